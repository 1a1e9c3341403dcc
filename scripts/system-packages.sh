#!/usr/bin/env bash
# The Debian packages the two commands need, installed by them: `make up` runs `scripts/system-packages.sh up`,
# `make test` runs `scripts/system-packages.sh test`. Safe to run again; it does nothing when all is there.
#
# A package counts as present when dpkg has it installed and its key file exists (a package whose files were
# removed is reinstalled). Missing, as root with apt-get: installed. Missing otherwise: one line naming the
# package and what goes without it; the command goes on (the services then report the part as degraded).
# Downloaded .deb files are kept in ~/.cache/carbonid/apt, so a reinstall needs no download.
set -euo pipefail

usage="usage: scripts/system-packages.sh up|test"
[ $# -eq 1 ] || { echo "$usage" >&2; exit 2; }

# package | key file | what needs it | for which command (up: both; test: make test only)
table=(
  "fonts-noto-cjk|/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc|PDF reports (calculator) and the coloured codes' labels (certificates)|up"
  "chromium|/usr/bin/chromium|the console's browser journeys in make test|test"
)

present() {  # package key-file
  [ -e "$2" ] && [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
declare -A why
for row in "${table[@]}"; do
  IFS='|' read -r package file purpose scope <<<"$row"
  case "$1:$scope" in
    up:up | test:up | test:test) ;;
    up:test) continue ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  why[$package]=$purpose
  if ! command -v dpkg-query >/dev/null 2>&1; then
    [ -e "$file" ] || echo "carbonid: missing $file (Debian package $package; needed for $purpose): install it" >&2
    continue
  fi
  present "$package" "$file" && continue
  missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  for package in "${missing[@]}"; do
    echo "carbonid: Debian package $package is missing (needed for ${why[$package]}); as root: apt-get install $package" >&2
  done
  exit 0
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/carbonid/apt"
mkdir -p "$cache/partial"
apt_options=(-y -qq --no-install-recommends -o "Dir::Cache::Archives=$cache")
echo "carbonid: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# --reinstall: also mends a package whose files were removed; for one not installed it is a plain install.
install() { apt-get "${apt_options[@]}" install --reinstall "${missing[@]}" >/dev/null; }
status=0
install 2>/dev/null || { apt-get update -qq >/dev/null && install; } || status=$?
for package in "${missing[@]}"; do
  for row in "${table[@]}"; do
    IFS='|' read -r name file _ _ <<<"$row"
    [ "$name" = "$package" ] || continue
    if present "$package" "$file"; then
      echo "carbonid: installed $package"
    else
      echo "carbonid: could not install $package (apt-get exit $status; needed for ${why[$package]})" >&2
    fi
  done
done
exit 0
