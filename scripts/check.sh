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
echo "== import-linter"
"$bin/lint-imports"
echo "== contracts: generated files fresh, events backward compatible"
"$bin/carbonid-contracts" check
echo "== pytest"
"$bin/pytest" "$@"
