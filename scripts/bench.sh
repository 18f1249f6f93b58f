#!/usr/bin/env bash
# `npm run bench [script patterns...]`: Wharf (fresh data dir, token auth on) and CNCF Distribution
# 2.8.2 (Debian's docker-registry, no auth) on free loopback ports, the shared harness
# (../shared/bench/all.sh) against each back to back, our micro-benchmarks, and one comparison
# table in bench/results/<timestamp>/comparison.md. ROUNDS (default 1) is passed to the harness.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-deps.sh"
cd "$root"
HARNESS=${BENCH_HARNESS:-$root/../shared/bench}
[ -x "$HARNESS/all.sh" ] || { echo "benchmark harness not found at $HARNESS (set BENCH_HARNESS)" >&2; exit 2; }
if [ "$(id -u)" = 0 ]; then
  need=""
  for p in docker-registry wrk iperf3 skopeo docker.io jq curl; do dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"; done
  [ -z "$need" ] || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null; }
fi
ts=$(date -u +%Y%m%dT%H%M%SZ)
out="$root/bench/results/$ts"
work=$(mktemp -d /tmp/wharf-bench-XXXXXX)
chmod 755 "$work"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 3
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -L "$work/wharf/postgres" ] && rm -rf "$(readlink -f "$work/wharf/postgres")"
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_http() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "nothing answers at $1" >&2; exit 1; }

# dockerd for 06-docker-e2e, unless one is given
if [ -z "${DOCKER_HOST:-}" ] && command -v dockerd >/dev/null && [ "$(id -u)" = 0 ]; then
  mkdir -p "$work/docker"
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs --data-root="$work/docker/data" \
    --exec-root="$work/docker/exec" -H "unix://$work/docker/sock" --pidfile="$work/docker/pid" >"$work/docker.log" 2>&1 &
  pids+=($!)
  export DOCKER_HOST="unix://$work/docker/sock"
  for _ in $(seq 1 100); do docker version >/dev/null 2>&1 && break; sleep 0.3; done
fi

dport=$(free_port)
cat >"$work/distribution.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/distribution }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$dport }
YML
docker-registry serve "$work/distribution.yml" >"$work/distribution.log" 2>&1 &
pids+=($!)

wport=$(free_port)
pw="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
node "$root/scripts/build.mjs" >/dev/null
# Launched with the process settings of scripts/start.sh, on a fresh data directory and free port.
(source "$root/scripts/runtime-env.sh"; WHARF_DATA_DIR="$work/wharf" WHARF_PORT=$wport WHARF_ADMIN_PASSWORD=$pw \
  exec node $WHARF_NODE_FLAGS "$root/dist/apps/server/src/main.js" >"$work/wharf.log" 2>&1) &
pids+=($!)
wait_http "http://127.0.0.1:$dport/v2/"
wait_http "http://127.0.0.1:$wport/v2/"
wpid=$(ss -ltnpH "sport = :$wport" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)

# CPU seconds of Wharf's Postgres (the harness counts only the registry process) and peak RSS.
pg_cpu() {
  local pm t=0 p
  # As root the cluster may live under /var/lib/wharf, linked from the data directory.
  pm=$(pgrep -f -- "-D $(readlink -f "$work/wharf/postgres")" | head -1)
  [ -n "$pm" ] || { echo 0; return; }
  # The postmaster's own time plus that of its reaped children (fields 16-17), plus the live
  # backends: monotonic, so a backend that exits between two readings does not make it negative.
  t=$(awk '{print $14+$15+$16+$17}' "/proc/$pm/stat" 2>/dev/null || echo 0)
  for p in $(pgrep -P "$pm"); do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
# Peak resident memory per phase: the phase is whatever `$work/phase` names when sampled (the
# harness script running, or the 1 GiB push). Writes "phase peak_kib" lines to $1.
rss_sampler() {
  declare -A peak=()
  local r ph k
  while kill -0 "$wpid" 2>/dev/null; do
    r=$(awk '/VmRSS/{print $2}' "/proc/$wpid/status" 2>/dev/null || echo 0)
    ph=$(cat "$work/phase" 2>/dev/null || echo idle)
    if [ "$r" -gt "${peak[$ph]:-0}" ]; then
      peak[$ph]=$r
      for k in "${!peak[@]}"; do echo "$k ${peak[$k]}"; done >"$1"
    fi
    sleep 0.1
  done
}
# Passes the harness output through, noting which script runs (for rss_sampler).
track_phase() {
  local line
  while IFS= read -r line; do
    echo "$line"
    [[ $line =~ ^==\ round\ [0-9/]+:\ ([0-9][0-9]-[a-z-]+)\.sh ]] && echo "${BASH_REMATCH[1]}" >"$work/phase"
  done
}

echo "== Distribution 2.8.2 on :$dport"
RESULTS_DIR="$out/distribution" "$HARNESS/all.sh" "http://127.0.0.1:$dport" "$@" || true
echo "== Wharf on :$wport (token auth)"
pg0=$(pg_cpu)
rss_sampler "$out/wharf-peak-rss-kib" & sampler=$!
REG_USER=admin REG_PASS=$pw RESULTS_DIR="$out/wharf" "$HARNESS/all.sh" "http://127.0.0.1:$wport" "$@" | track_phase || true
pg1=$(pg_cpu)
echo "postgres_cpu_s_during_wharf_run=$(awk -v a="$pg0" -v b="$pg1" 'BEGIN{printf "%.2f", (b-a)/100}')" >"$out/wharf-extra.txt"

# Resident memory during a 1 GiB push (monolithic, streamed from a file).
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$work/1g.bin"
digest="sha256:$(sha256sum "$work/1g.bin" | cut -d' ' -f1)"
tok=$(curl -s -u "admin:$pw" "http://127.0.0.1:$wport/token?service=wharf-registry&scope=repository:bench/big:pull,push" | jq -r .token)
echo 1GiB-push >"$work/phase"
curl -s -o "$work/1g.body" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $tok" -T "$work/1g.bin" -X POST \
  "http://127.0.0.1:$wport/v2/bench/big/blobs/uploads?digest=$digest" >"$work/1g.out"
echo idle >"$work/phase"
sleep 0.3
kill "$sampler" 2>/dev/null || true
echo "wharf_1GiB_push=$(cat "$work/1g.out")" >>"$out/wharf-extra.txt"
grep -q '^201 ' "$work/1g.out" || echo "1 GiB push failed: $(head -c 300 "$work/1g.body")" >&2
# Peak resident memory (MiB) during each harness script and the 1 GiB push.
awk '{gsub(/[^A-Za-z0-9]/, "_", $1); printf "wharf_peak_rss_mib_%s=%.0f\n", $1, $2 / 1024}' "$out/wharf-peak-rss-kib" >>"$out/wharf-extra.txt"
rm -f "$work/1g.bin"

echo "== micro-benchmarks"
WHARF_BENCH_URL="http://127.0.0.1:$wport" WHARF_BENCH_PASSWORD=$pw "$root/scripts/run-ts.sh" "$root/bench/micro.ts" >"$out/micro.md"
echo "== management lists at scale (100,000 repositories, 1,000,000 tags)"
# The embedded Postgres has a random port and password: the running server says where (run.json).
DATABASE_URL=$(jq -r .databaseUrl "$work/wharf/run.json") WHARF_BENCH_URL="http://127.0.0.1:$wport" WHARF_BENCH_PASSWORD=$pw \
  "$root/scripts/run-ts.sh" "$root/bench/list-scale.ts" >>"$out/micro.md" || echo "list-scale failed" >>"$out/micro.md"
echo "== garbage collection at scale (mark over the seeded tags, sweep of 100,000 blobs)"
DATABASE_URL=$(jq -r .databaseUrl "$work/wharf/run.json") WHARF_BENCH_URL="http://127.0.0.1:$wport" WHARF_BENCH_PASSWORD=$pw \
  WHARF_DATA_DIR="$work/wharf" WHARF_PID=$wpid "$root/scripts/run-ts.sh" "$root/bench/gc-scale.ts" >>"$out/micro.md" || echo "gc-scale failed" >>"$out/micro.md"
echo "== page upload of a 1 GiB docker save archive, against skopeo copy docker-archive: into Wharf"
WHARF_BENCH_URL="http://127.0.0.1:$wport" WHARF_BENCH_PASSWORD=$pw WHARF_PID=$wpid \
  "$root/scripts/run-ts.sh" "$root/bench/import-scale.ts" >>"$out/micro.md" || echo "import-scale failed" >>"$out/micro.md"
node "$root/scripts/bench-compare.mjs" "$out/distribution/summary.md" "$out/wharf/summary.md" "$out/wharf-extra.txt" "$out/micro.md" >"$out/comparison.md"
echo "== written $out/comparison.md"
cat "$out/comparison.md"
