"""CarbonID evaluation service: carbon-efficiency evaluations of enterprises (精准碳效计算)."""
