"""The CarbonID demo loader: the identifier node's demo enterprises driven through the real platform."""
