"""CarbonID analytics: projections of the platform events, dashboards, benchmarks and regulator webhooks."""
