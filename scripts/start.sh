#!/usr/bin/env bash
# `npm start`: single-machine mode on 127.0.0.1:5000 (see README "Quick start").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-deps.sh"
exec "$root/scripts/run-ts.sh" "$root/apps/server/src/main.ts"
