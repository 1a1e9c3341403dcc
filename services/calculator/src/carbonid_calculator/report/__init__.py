"""Emission report: the same content as an HTML page and a PDF (Chinese fonts, charts, trace, signatures)."""
