"""Pure analytics rules: dimensions of a fact, ratios and changes, rankings, benchmarks, webhook signatures."""
