#!/usr/bin/env bash
# Predicted against actual cost through a load change: emulated Llama-3.1-8B on an A100 behind a gateway configured as H100.
set -euo pipefail
B=${B:-.build/release/sluice}
d=$(mktemp -d)
$B engine --port 0 --served-model-name m --model llama-3.1-8b --gpu a100-80g --calibration none > $d/engine.log 2>&1 &
E=$!
sleep 2; EP=$(grep -o 'http://[0-9.]*:[0-9]*' $d/engine.log | head -1 | sed 's/.*://')
cat > $d/gw.yaml <<Y
listen: { host: 127.0.0.1, port: 0 }
ledger: { sqlite: $d/ledger.db }
upstreams:
  - { name: emulated, url: "http://127.0.0.1:$EP", model: m, engine: vllm, gpu: h100-sxm, catalogModel: llama-3.1-8b, pricePerHourUSD: 2.99, maxConcurrency: 64 }
Y
$B serve --config $d/gw.yaml > $d/gw.log 2>&1 &
G=$!
sleep 2; GP=$(grep -o 'http://[0-9.]*:[0-9]*' $d/gw.log | head -1 | sed 's/.*://')
for rate in 2 20 2; do
  $B loadtest --url http://127.0.0.1:$GP --model m --rate $rate --duration 20 --stream-share 1 --prompt-tokens 300 --output-tokens 60 --seed 1 > $d/lt-$rate.log 2>&1 || true
  sleep 1
  echo "after rate $rate:"; $B usage --config $d/gw.yaml --since 25s 2>&1 | sed -n 1,12p
done
kill $G $E
