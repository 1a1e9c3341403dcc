#!/usr/bin/env bash
# The test command: static checks, contract freshness and compatibility, then every test suite.
# Extra arguments go to pytest (e.g. scripts/check.sh -k calculator).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin

echo "== ruff"
"$bin/ruff" check .
"$bin/ruff" format --check .
echo "== mypy --strict"
mapfile -t sources < <(ls -d contracts/src kit/src services/*/src deploy/*/src 2>/dev/null)
"$bin/mypy" --strict "${sources[@]}"
echo "== test helpers are imported from uniquely named modules, never from conftest"
if grep -rnE "^\s*(from conftest import|import conftest)" --include='*.py' contracts kit services deploy tests; then
  echo "import test helpers from a uniquely named module (see docs/ENGINEERING.md)" >&2; exit 1
fi
echo "== lock files name no download address"
if grep -nE "://" web/package-lock.json requirements/dev.lock; then
  echo "a lock file holds a URL: npm adds 'funding' links on npm install; remove them (see web/README.md)" >&2; exit 1
fi
echo "== import-linter"
"$bin/lint-imports"
echo "== contracts: generated files fresh, events backward compatible"
"$bin/carbonid-contracts" check
echo "== docker-compose.yml loads with compose-go (the loader of docker compose config)"
(cd deploy/compose-check && POSTGRES_PASSWORD=x CARBONID_SERVICE_TOKEN=x CARBONID_KEY_ENCRYPTION_SECRET=x \
  CARBONID_SIGNING_KEY_SECRET=x CARBONID_NODES='[]' CARBONID_EVENT_PRODUCER_KEYS='{}' \
  CARBONID_EVENT_SIGNING_SECRET_RESOLVER=x CARBONID_EVENT_SIGNING_SECRET_CALCULATOR=x \
  CARBONID_EVENT_SIGNING_SECRET_EVALUATION=x CARBONID_EVENT_SIGNING_SECRET_CERTIFICATES=x \
  CARBONID_EVENT_SIGNING_SECRET_ANALYTICS=x CARBONID_EVENT_SIGNING_SECRET_METERING=x go run . ../../docker-compose.yml)
echo "== Kubernetes overlays build with kustomize and decode strictly into the Kubernetes types"
(cd deploy/kube-check && go run . ../kubernetes/overlays/*)
echo "== web console: clean install, type-check and build, unit tests"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm test)
echo "== pytest"
"$bin/pytest" "$@"
echo "== the integration suite again, on Apache Kafka (KRaft, from Maven Central jars) instead of Tansu"
CARBONID_TEST_KAFKA_FLAVOUR=apache "$bin/pytest" kit/tests services deploy -m integration -q "$@"
echo "== fault injection on Apache Kafka and PostgreSQL: nothing lost, nothing applied twice"
CARBONID_FAULTS=1 "$bin/pytest" tests/faults -q "$@"
echo "== web console: browser journeys in headless Chromium against the whole platform"
if [ -x /usr/bin/chromium ]; then
  CARBONID_E2E_SKIP_BUILD=1 web/e2e/run-against-stack.sh
elif [ "${CI:-}" = "true" ]; then
  echo "no /usr/bin/chromium in CI" >&2; exit 1
else
  echo "skipped: no /usr/bin/chromium here (apt-get install chromium fonts-noto-cjk)"
fi
