# Sourced by scripts/start.sh and scripts/bench.sh (docker/Dockerfile sets the same ENV): the
# process settings Wharf's services are measured with (docs/performance.md, "Memory").
# - MALLOC_ARENA_MAX=2: one malloc arena per thread otherwise keeps socket and file buffers freed
#   on other threads resident (32 parallel pulls: 210 -> 160 MiB peak).
# - --max-semi-space-size=8 (MiB): V8's young generation grows to 3 x 16 MiB under load and stays
#   there; 8 keeps the resident set under 200 MiB after the whole benchmark with no measurable
#   CPU cost on pushes or small requests. Both can be overridden from the environment.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
export NODE_OPTIONS=${NODE_OPTIONS:---max-semi-space-size=8}
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
