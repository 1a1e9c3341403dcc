"""Identity's rules: pure functions, no I/O, no framework."""
