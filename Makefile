# CarbonID: the two commands are `make up` (run) and `make test` (test).
.PHONY: install up test web demo lint contracts bench-messaging kafka kafka-jars clean

install:            ## .venv with the locked packages and every CarbonID distribution (editable)
	scripts/install.sh

up: install web/dist/index.html  ## the whole platform on this machine: PostgreSQL, broker, identifier node, services, gateway
	scripts/system-packages.sh up
	.venv/bin/carbonid-stack up $(ARGS)

web/dist/index.html: web/package.json web/package-lock.json web/index.html web/vite.config.ts $(shell find web/src web/public -type f 2>/dev/null)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build

test: install       ## ruff, mypy --strict, import-linter, contract checks, every test suite
	scripts/system-packages.sh test
	scripts/check.sh $(ARGS)

lint: install
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

contracts: install  ## regenerate JSON Schemas and the AsyncAPI document after changing contracts/
	.venv/bin/carbonid-contracts generate

bench-messaging: install  ## outbox -> broker -> inbox throughput and commit-to-effect latency
	.venv/bin/python kit/bench/bench_messaging.py

kafka: install      ## Apache Kafka 4.x (KRaft, from Maven Central jars) on 127.0.0.1:9092 until Ctrl-C; data in .data/kafka
	.venv/bin/python -m carbonid_kit.kafka_server --data-dir .data/kafka --port $(or $(KAFKA_PORT),9092) $(ARGS)

kafka-jars: install ## fetch the Apache Kafka jars into ~/.cache/carbonid (once; later runs are instant)
	.venv/bin/python -c "from carbonid_kit.kafka_server import ensure_kafka_jars; print(ensure_kafka_jars())"

demo: install       ## load the demo enterprises through a running platform's gateway (idempotent)
	.venv/bin/carbonid-demo load --gateway $(or $(GATEWAY),http://127.0.0.1:8000) $(ARGS)

web:                ## build the web console into web/dist (the gateway serves it)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
