"""CarbonID calculator service: industry taxonomy, emission-factor library and emission calculations."""
