#!/usr/bin/env bash
# `npm run admin -- <command> <username>`: operator commands for single-machine mode (unlock a
# locked-out user, reset a password); see apps/server/src/admin.ts and the README.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-deps.sh"
node "$root/scripts/build.mjs" >/dev/null
exec node --enable-source-maps "$root/dist/apps/server/src/admin.js" "$@"
