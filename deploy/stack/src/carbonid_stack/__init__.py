"""The embedded CarbonID stack: everything on one machine, no Docker."""
