"""Metering's rules, free of I/O: units, device records, reading formats and the data-quality reasons."""
