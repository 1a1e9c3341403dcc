"""CarbonID gateway: routes /api/<service>/... to the services, checks tokens, limits rates, serves the console."""
