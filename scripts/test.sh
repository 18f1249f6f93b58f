#!/usr/bin/env bash
# `npm test`: type-check, lint (Nx module boundaries), then the whole Jest suite with its servers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-deps.sh"
cd "$root"
echo "== typecheck"; npx tsc -p tsconfig.base.json --noEmit
echo "== lint"; export NX_DAEMON=false; npx nx show projects >/dev/null; npx eslint --max-warnings 0 .
echo "== build"; node scripts/build.mjs   # e2e starts the compiled services, as npm start and the image run them
echo "== tests"; exec node scripts/test-runner.mjs "$@"
