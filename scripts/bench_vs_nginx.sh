#!/usr/bin/env bash
# Sluice's gateway against nginx as a plain reverse proxy (issue 15): the same `sluice engine` upstream (Qwen2.5-0.5B
# on one H100, real-time emulation, scripts/bench-catalog.yaml), the same open-loop schedules from `sluice loadtest`
# (about 100 prompt tokens, 10 output tokens, half streaming), each proxy's added p50/p99 (through it minus direct) and
# its CPU per request (utime + stime of its processes over the run / requests). nginx: Debian's, one worker, upstream
# keep-alive, no buffering (SSE passes through), no access log; Sluice: SQLite ledger on (each entry committed before
# the last byte). Usage: bash scripts/bench_vs_nginx.sh [RATES] [SECONDS]   (needs nginx: apt-get install nginx-light)
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${1:-100,500,1000}
seconds=${2:-10}
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 2; }
swift build -c release --product sluice >/dev/null
bin=$(swift build -c release --show-bin-path)/sluice
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT
"$bin" engine --port 18700 --served-model-name bench --catalog scripts/bench-catalog.yaml --model qwen2.5-0.5b --gpu h100-sxm \
    --chunk-size 8192 --max-num-seqs 1024 >"$work/engine.log" 2>&1 &
cat >"$work/gw.yaml" <<YAML
listen: { host: 127.0.0.1, port: 18710 }
router: least-outstanding
ledger: { sqlite: ledger.db }
upstreams:
  - { name: emulated-h100, url: "http://127.0.0.1:18700", model: bench, engine: vllm, pricePerHourUSD: 2.99, maxConcurrency: 2048 }
YAML
"$bin" serve --config "$work/gw.yaml" >"$work/gw.log" 2>&1 &
gw=$!
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/body; proxy_temp_path $work/proxy;
    upstream engine { server 127.0.0.1:18700; keepalive 256; }
    server {
        listen 127.0.0.1:18720;
        location / {
            proxy_pass http://engine;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
CONF
nginx -c "$work/nginx.conf"
for _ in $(seq 1 50); do
    curl -sf http://127.0.0.1:18710/health >/dev/null && curl -sf http://127.0.0.1:18720/health >/dev/null && break; sleep 0.2
done
# CPU seconds (user + system) of a process and its children threads, from /proc.
cpu() { local t=0; for p in "$@"; do t=$(awk -v t="$t" '{print t + ($14 + $15) / 100}' "/proc/$p/stat"); done; echo "$t"; }
master=$(cat "$work/nginx.pid")
nginx_pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
echo "rate/s  proxy   ok     added p50 ms  added p99 ms  CPU ms/req"
for r in ${rates//,/ }; do
    for proxy in sluice nginx; do
        if [ $proxy = sluice ]; then url=http://127.0.0.1:18710; pids=$gw; else url=http://127.0.0.1:18720; pids=$nginx_pids; fi
        before=$(cpu $pids)
        "$bin" loadtest --url $url --direct http://127.0.0.1:18700 --model bench --rate "$r" --duration "$seconds" --json "$work/$proxy-$r.json" >/dev/null
        after=$(cpu $pids)
        python3 - "$work/$proxy-$r.json" "$r" "$proxy" "$before" "$after" <<'PY'
import json, sys
row = json.load(open(sys.argv[1]))[0]
t = row["target"]
cpu_ms = (float(sys.argv[5]) - float(sys.argv[4])) * 1000 / max(1, t["sent"])
print(f'{sys.argv[2]:>6}  {sys.argv[3]:<6}  {t["succeeded"]:>5}  {row["addedP50Seconds"] * 1000:>12.3f}  {row["addedP99Seconds"] * 1000:>12.3f}  {cpu_ms:>10.3f}')
PY
    done
done
