"""CarbonID metering: active identifier carriers (meters) and their readings, checked and aggregated by day."""
