#!/usr/bin/env bash
# Hostile-client benchmark (issue 15): `sluice serve` under a 1,024-file-descriptor limit in front of `sluice engine`,
# with one tenant (so a key is required). Measures: 1,100 slowloris connections (does it live, does /health answer,
# RSS), 800 keyless 1 MB bodies (statuses, RSS peak and after), and failover from a dead upstream (x-sluice-queue-ms
# over 200 requests, half of which try the dead upstream first).
# Usage: bash scripts/bench_hostile.sh   (release build; all on this machine)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product sluice >/dev/null
bin=$(swift build -c release --show-bin-path)/sluice
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
"$bin" engine --port 18600 --served-model-name bench --model qwen2.5-0.5b --gpu h100-sxm >"$work/engine.log" 2>&1 &
key_hash=$("$bin" tenants hash-key bench-key | tail -n 1)
cat >"$work/gw.yaml" <<YAML
listen: { host: 127.0.0.1, port: 18610 }
router: round-robin
ledger: { sqlite: ledger.db }
tenants:
  - { name: bench, keySHA256: $key_hash }
upstreams:
  - { name: dead, url: "http://127.0.0.1:1", model: bench, pricePerHourUSD: 1 }
  - { name: live, url: "http://127.0.0.1:18600", model: bench, engine: vllm, pricePerHourUSD: 2.99 }
YAML
(ulimit -n 1024; exec "$bin" serve --config "$work/gw.yaml" >"$work/gw.log" 2>&1) &
gw=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18610/health >/dev/null && curl -sf http://127.0.0.1:18600/health >/dev/null && break; sleep 0.2; done
echo "== idle RSS $(rss $gw) kB, fd limit $(awk '/Max open files/ {print $4}' /proc/$gw/limits)"
echo "== slowloris: 1100 connections trickling header lines for 15 s"
python3 scripts/hostile_clients.py slowloris 18610 1100 15
echo "gateway alive: $(kill -0 $gw 2>/dev/null && echo yes || echo NO), RSS $(rss $gw) kB"
echo "== 800 keyless 1 MB bodies"
peak=0
( while kill -0 $gw 2>/dev/null; do r=$(rss $gw); [ "$r" -gt "$(cat "$work/peak" 2>/dev/null || echo 0)" ] && echo "$r" >"$work/peak"; sleep 0.1; done ) &
python3 scripts/hostile_clients.py bodies 18610 800 1048576
sleep 2
echo "gateway alive: $(kill -0 $gw 2>/dev/null && echo yes || echo NO), RSS peak $(cat "$work/peak") kB, after $(rss $gw) kB"
sleep 8
echo "RSS 10 s after the flood (idle memory trim every limits.idleMemoryTrimSeconds = 5 s): $(rss $gw) kB"
echo "== failover: 200 requests, round-robin over a dead upstream (port 1) and a live one"
sed -i 's/^tenants:/tenants_off:/; s/^  - { name: bench, keySHA256.*$//' "$work/gw.yaml"
kill -9 $gw; sleep 0.5
sed -i 's/port: 18610/port: 18611/; s/ledger: { sqlite: ledger.db }/ledger: none/' "$work/gw.yaml"
"$bin" serve --config "$work/gw.yaml" >"$work/gw2.log" 2>&1 &
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18611/health >/dev/null && break; sleep 0.2; done
python3 scripts/hostile_clients.py failover 18611 200
