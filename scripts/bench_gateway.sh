#!/usr/bin/env bash
# The gateway's overhead benchmark (issue 6): `sluice engine` (Qwen2.5-0.5B on one H100 with 8k-token chunks, the
# simulator's engine model in real time, scripts/bench-catalog.yaml) as the upstream, `sluice serve` in front of it with the SQLite ledger, and `sluice loadtest` sending the
# same open-loop schedule (about 100 prompt tokens, 10 output tokens, half streaming) straight to the engine and
# through the gateway; the difference of each percentile is the gateway's added latency. Then the gateway's memory per
# in-flight request: RSS with about N long streams held open, minus RSS idle, over N.
# Usage: bash scripts/bench_gateway.sh [RATES] [SECONDS]   (release build; all on this machine)
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${1:-500,1000,1500,2000,2500}
seconds=${2:-10}
swift build -c release --product sluice >/dev/null
bin=$(swift build -c release --show-bin-path)/sluice
work=$(mktemp -d)
ledger=${LEDGER:-"{ sqlite: ledger.db }"}   # LEDGER=none measures the gateway without its ledger
# PIN=1: the gateway on core 1, the engine and the load generator on core 0 (no contention for the gateway's core).
if [ "${PIN:-0}" = 1 ]; then gwcpu="taskset -c 1"; othercpu="taskset -c 0"; else gwcpu=""; othercpu=""; fi
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
$othercpu "$bin" engine --port 18500 --served-model-name bench --catalog scripts/bench-catalog.yaml --model qwen2.5-0.5b --gpu h100-sxm \
    --chunk-size 8192 --max-num-seqs 1024 >"$work/engine.log" 2>&1 &
cat >"$work/gw.yaml" <<YAML
listen: { host: 127.0.0.1, port: 18510 }
router: least-outstanding
ledger: $ledger
limits: { maxConnections: 4096 }   # the held-streams measurement keeps more than the default 512 connections open
upstreams:
  - { name: emulated-h100, url: "http://127.0.0.1:18500", model: bench, engine: vllm,
      pricePerHourUSD: 2.99, maxConcurrency: 2048 }
YAML
$gwcpu "$bin" serve --config "$work/gw.yaml" >"$work/gw.log" 2>&1 &
gw=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18510/health >/dev/null && curl -sf http://127.0.0.1:18500/health >/dev/null && break; sleep 0.2; done
echo "== overhead: $rates req/s, ${seconds}s each, 100 prompt / 10 output tokens, half streaming"
$othercpu "$bin" loadtest --url http://127.0.0.1:18510 --direct http://127.0.0.1:18500 --model bench --rate "$rates" --duration "$seconds" \
    --json "${BENCH_JSON:-/dev/null}"
echo "== ledger rows: $(sqlite3 "$work/ledger.db" 'select count(*) from ledger' 2>/dev/null || echo '?')"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# Memory: a fresh gateway, warmed up with a few hundred requests, then about HELD long streams held open at once.
kill -9 $gw; wait $gw 2>/dev/null || true
sed -i 's/port: 18510/port: 18511/' "$work/gw.yaml"
"$bin" serve --config "$work/gw.yaml" >"$work/gw2.log" 2>&1 &
gw=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18511/health >/dev/null && break; sleep 0.2; done
"$bin" loadtest --url http://127.0.0.1:18511 --model bench --rate 200 --duration 2 >/dev/null 2>&1
sleep 1
idle=$(rss $gw)
held=${HELD:-1000}
echo "== memory: $held streams of 3000 tokens held open (warm idle RSS ${idle} kB)"
"$bin" loadtest --url http://127.0.0.1:18511 --model bench --rate $((held / 2)) --duration 2 --stream-share 1 --output-tokens 3000 \
    >"$work/held.log" 2>&1 &
load=$!
peak=0; inflight=0
for _ in $(seq 1 20); do
    sleep 0.5
    r=$(rss $gw); [ "$r" -gt "$peak" ] && peak=$r
    n=$(curl -s http://127.0.0.1:18511/metrics | awk '/^sluice_upstream_in_flight_requests/ {print $2}' | head -n 1)
    n=${n%.*}; [ -n "$n" ] && [ "$n" -gt "$inflight" ] && inflight=$n
done
kill $load 2>/dev/null || true
echo "peak RSS ${peak} kB with up to ${inflight} in flight: $(( (peak - idle) * 1024 / (inflight > 0 ? inflight : 1) )) bytes per in-flight request"
