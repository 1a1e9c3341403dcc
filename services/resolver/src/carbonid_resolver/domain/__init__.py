"""Pure resolution logic: records, templates, validation, mapping, breaker and cache (no I/O)."""
