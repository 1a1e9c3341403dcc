# CarbonID: the two commands are `make up` (run) and `make test` (test).
.PHONY: install up test lint contracts bench-messaging clean

install:            ## .venv with the locked packages and every CarbonID distribution (editable)
	scripts/install.sh

up: install         ## the whole platform on this machine: PostgreSQL, broker, identifier node, services, gateway
	.venv/bin/carbonid-stack up $(ARGS)

test: install       ## ruff, mypy --strict, import-linter, contract checks, every test suite
	scripts/check.sh $(ARGS)

lint: install
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

contracts: install  ## regenerate JSON Schemas and the AsyncAPI document after changing contracts/
	.venv/bin/carbonid-contracts generate

bench-messaging: install  ## outbox -> broker -> inbox throughput and commit-to-effect latency
	.venv/bin/python kit/bench/bench_messaging.py

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
