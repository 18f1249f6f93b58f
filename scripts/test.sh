#!/usr/bin/env bash
# `npm test`: type-check, lint (Nx module boundaries), then the whole Jest suite with its servers
# (scripts/test-runner.mjs compiles the services first: the e2e suites run the compiled code).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-deps.sh"
cd "$root"
echo "== typecheck"; npx tsc -p tsconfig.base.json --noEmit
echo "== lint"; export NX_DAEMON=false; npx nx show projects >/dev/null; npx eslint --max-warnings 0 .
echo "== tests"; exec node scripts/test-runner.mjs "$@"
