#!/usr/bin/env bash
# Runs a TypeScript entry point of the workspace with SWC (decorator metadata and tsconfig paths).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SWC_NODE_PROJECT="$here/tsconfig.base.json"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec node -r @swc-node/register "$@"
