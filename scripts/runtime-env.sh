# Sourced by scripts/start.sh and scripts/bench.sh (docker/Dockerfile sets the same values): the
# process settings Wharf's services are measured with (docs/performance.md, "Memory" and "Large
# push"). Every value can be overridden from the environment.
# - MALLOC_ARENA_MAX=2: one malloc arena per thread otherwise keeps socket and file buffers freed
#   on other threads resident (32 parallel pulls: 210 -> 160 MiB peak).
# - --max-semi-space-size=4 (MiB): V8's young generation grows to 3 x 16 MiB under load and stays
#   there; 4 keeps the resident set under 200 MiB with no measurable CPU cost.
# - WHARF_NODE_FLAGS, V8 flags NODE_OPTIONS refuses, so callers put them on node's command line:
#   --initial-old-space-size=64 (MiB). V8 counts request-body buffers allocated since the last full
#   GC against the old generation's limit, and a young GC frees them only after ~32 MiB; with a
#   ~30 MiB heap the default limit (~54 MiB) is reached every ~25 MiB of upload, so a 256 MiB
#   push ran ~12 full GCs that freed nothing (0.6 -> 1.4 CPU-s). 64 leaves room for the 32 MiB.
#   Set WHARF_NODE_FLAGS empty to drop the floor: ~30 MiB less resident memory, ~2x the CPU of
#   large pushes.
# - --expose-gc: lets the front server's YoungGcPacer run a young GC every 16 MiB of request
#   bodies, so the chunks are freed before they count against that limit (the floor alone still
#   left 3-16 full GCs per push once the heap had grown; both together: at most one per push).
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
export NODE_OPTIONS=${NODE_OPTIONS:---max-semi-space-size=4 --expose-gc}
export WHARF_NODE_FLAGS=${WHARF_NODE_FLAGS---initial-old-space-size=64}
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
