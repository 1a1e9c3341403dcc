"""CarbonID certificates: signed carbon-efficiency certificates, coloured codes, public verification, identifiers."""
