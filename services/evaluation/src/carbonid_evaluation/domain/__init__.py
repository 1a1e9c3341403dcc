"""Pure domain of the evaluation service: rule sets, benchmark selection, carbon-efficiency evaluation.

No I/O, no framework, no database. Every number is a ``decimal.Decimal``; see ``evaluation`` for rounding.
"""
