"""CarbonID runtime kit: what every service needs and no service owns. It knows no domain."""
