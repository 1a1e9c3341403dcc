"""CarbonID resolver: enterprise profiles and energy activity data through identifier resolution."""
