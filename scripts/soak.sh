#!/usr/bin/env bash
# Soak test (not part of CI): the release daemon against `ticktape simulate` at a high rate with
# random faults, sampling the daemon's resident memory, open file descriptors and threads.
#
#   scripts/soak.sh [SECONDS] [RATE]        default 600 s at 50 000 msg/s
#   SCRATCH=.build-soak scripts/soak.sh     build directory (default .build)
#
# Faults: one random recoverable fault every 10 s on average (resets, closes 1000/1001/1008,
# stalls, garbage of every kind, duplicates, reorders, serverShutdown), seed 42; connections
# rotate every 1–2 min (max_connection_age scaled down). Closed segments are deleted as they
# appear so the disk stays bounded (~10 MB/s is written). It prints one sample per 10 s and a
# summary; "flat" means RSS after warm-up grows by less than 10 % and fds/threads never grow.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
duration=${1:-600}
rate=${2:-50000}
scratch=${SCRATCH:-.build}

swift build -c release --scratch-path "$scratch" >/dev/null
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
work=$(mktemp -d /tmp/ticktape-soak.XXXXXX)
cleanup() {
    [[ -n "${daemon:-}" ]] && kill "$daemon" 2>/dev/null || true
    [[ -n "${sim:-}" ]] && kill "$sim" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work/data"
}
trap cleanup EXIT

"$bin/ticktape" simulate --port 0 --rate "$rate" --seed 42 --random-faults 10s --fault-connections 4 \
    >"$work/sim.out" 2>"$work/sim.log" &
sim=$!
for _ in $(seq 100); do grep -q simulating "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/sim.out" | head -n1)
[[ -n "$port" ]] || { echo "soak: simulator did not start" >&2; exit 1; }

cat >"$work/soak.toml" <<TOML
data_dir = "$work/data"
[storage]
rotate_size = "64MiB"
[[capture]]
name = "soak"
url = "ws://127.0.0.1:$port/public/stream?streams=btcusdt@bookTicker"
connections = 4
stale_after = "2s"
backoff_initial = "100ms"
backoff_max = "2s"
max_connection_age = "2m"
max_connection_age_jitter = "1m"
TOML
"$bin/ticktaped" --config "$work/soak.toml" >"$work/daemon.log" 2>&1 &
daemon=$!

echo "soak: ${duration}s at ${rate} msg/s, logs in $work"
printf '%6s %10s %5s %7s\n' t_s rss_kib fds threads | tee "$work/samples.txt"
start=$(date +%s)
while (($(date +%s) - start < duration)); do
    sleep 10
    kill -0 "$daemon" 2>/dev/null || { echo "soak: the daemon died" >&2; tail -n 20 "$work/daemon.log" >&2; exit 1; }
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status")
    threads=$(awk '/^Threads/ {print $2}' "/proc/$daemon/status")
    fds=$(ls "/proc/$daemon/fd" | wc -l)
    printf '%6d %10d %5d %7d\n' $(($(date +%s) - start)) "$rss" "$fds" "$threads" | tee -a "$work/samples.txt"
    find "$work/data" -type f ! -name '*.open' ! -name 'gaps.jsonl' -delete 2>/dev/null || true
done
kill -TERM "$daemon"
wait "$daemon" || true
daemon=

awk 'NR > 1 && $1 >= 60 { if (!n++) { r0 = $2; f0 = $3; t0 = $4 } r = $2; if ($2 > rmax) rmax = $2
     if ($3 > fmax) fmax = $3; if ($4 > tmax) tmax = $4 }
     END { if (!n) { print "soak: too short for a summary (needs > 60 s)"; exit }
           printf "soak: rss %d → %d KiB (max %d, %+.1f%%), fds %d → max %d, threads %d → max %d\n", r0, r, rmax, (r - r0) * 100 / r0, f0, fmax, t0, tmax }' \
    "$work/samples.txt"
echo "soak: faults injected: $(grep -c 'injecting fault' "$work/sim.log" || true)," \
    "reconnects: $(grep -c 'disconnected; reconnecting' "$work/daemon.log" || true)," \
    "rotations: $(grep -c 'rotated connection' "$work/daemon.log" || true)," \
    "stale: $(grep -c 'connection is silent' "$work/daemon.log" || true)," \
    "skipped frames logged: $(grep -c 'skipped a frame' "$work/daemon.log" || true)"
