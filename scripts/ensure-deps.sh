# shellcheck shell=bash
# Sourced by start.sh and test.sh: installs npm dependencies when node_modules is missing or stale.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -d "$root/node_modules/.bin" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  echo "installing npm dependencies (npm ci)"
  (cd "$root" && npm ci --no-audit --no-fund)
fi
