#!/usr/bin/env bash
# Create .venv with every pinned third-party package (hashes checked) and every CarbonID distribution
# installed editable. Safe to run again: it brings an existing .venv in line with the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
[ -x .venv/bin/python ] || uv venv --quiet --python 3.11 .venv
uv pip sync --quiet --python .venv/bin/python --require-hashes requirements/dev.lock

# Every distribution of the monorepo (each folder with its own pyproject.toml), without dependencies:
# their third-party dependencies all come from the lock above.
mapfile -t parts < <(ls -d contracts kit services/*/ deploy/*/ 2>/dev/null | while read -r d; do
  [ -f "$d/pyproject.toml" ] && echo "${d%/}"; done)
args=()
for p in "${parts[@]}"; do args+=(-e "$p"); done
uv pip install --quiet --python .venv/bin/python --no-deps "${args[@]}"
echo "installed: ${parts[*]}"
