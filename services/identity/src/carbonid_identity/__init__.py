"""CarbonID identity: accounts, roles, region scopes, sessions, password policy and token signing keys."""
