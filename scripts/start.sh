#!/usr/bin/env bash
# `npm start`: single-machine mode on 127.0.0.1:5000 (see README "Quick start"). Compiles the
# TypeScript to dist/ first (a second or so) and runs the JavaScript: ~100 MiB less resident memory
# than compiling on the fly.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-deps.sh"
node "$root/scripts/build.mjs" >/dev/null
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# Two malloc arenas instead of one per thread: socket and file buffers freed on other threads'
# arenas otherwise stay resident (32 parallel pulls: 210 -> 160 MiB peak; docs/performance.md).
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
exec node --enable-source-maps "$root/dist/apps/server/src/main.js"
