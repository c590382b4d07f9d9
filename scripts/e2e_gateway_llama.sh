#!/usr/bin/env bash
# End-to-end check of `sluice serve` in front of two real llama.cpp servers (llama-cpp-python) serving a tiny
# random-weight model, driven by the official `openai` Python client: JSON and streamed answers, the routing headers,
# an unknown model, one engine killed mid-run (failover), the ledger read back with `sluice usage`, and a tool plan
# whose LLM tool is answered through the gateway (`sluice plan --execute --llm-tool`).
# Needs: pip install 'llama-cpp-python[server]' gguf openai
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
python3 scripts/make_tiny_model.py "$work/tiny.gguf"
python3 -m llama_cpp.server --model "$work/tiny.gguf" --port 18112 --n_ctx 512 >"$work/a.log" 2>&1 &
python3 -m llama_cpp.server --model "$work/tiny.gguf" --port 18113 --n_ctx 512 >"$work/b.log" 2>&1 &
echo $! >"$work/b.pid"
cat >"$work/gw.yaml" <<YAML
listen: { host: 127.0.0.1, port: 18120 }
router: round-robin
ledger: { sqlite: ledger.db }
loadPollSeconds: 0.5
upstreams:
  - { name: llama-a, url: "http://127.0.0.1:18112", model: tiny, engine: llama.cpp, pricePerHourUSD: 1.0, maxConcurrency: 4 }
  - { name: llama-b, url: "http://127.0.0.1:18113", model: tiny, engine: llama.cpp, pricePerHourUSD: 1.0, maxConcurrency: 4 }
YAML
swift build --product sluice >/dev/null
bin=$(swift build --show-bin-path)/sluice
"$bin" serve --config "$work/gw.yaml" >"$work/gw.log" 2>&1 &
up=0
for _ in $(seq 1 120); do
    if curl -sf http://127.0.0.1:18112/v1/models >/dev/null && curl -sf http://127.0.0.1:18113/v1/models >/dev/null \
        && curl -sf http://127.0.0.1:18120/health >/dev/null; then up=1; break; fi
    sleep 1
done
[ "$up" = 1 ] || { echo "engines or gateway did not start"; tail -n 20 "$work"/*.log; exit 1; }
B_PID=$(cat "$work/b.pid") python3 - <<'PY'
import os, signal, time
from openai import OpenAI, NotFoundError
c = OpenAI(base_url="http://127.0.0.1:18120/v1", api_key="k", max_retries=0)
seen = set()
for _ in range(4):
    r = c.chat.completions.with_raw_response.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=6)
    seen.add(r.headers.get("x-sluice-upstream"))
    assert r.headers.get("x-request-id"), "every answer names its request id"
    assert r.parse().choices[0].message.content is not None
assert seen == {"llama-a", "llama-b"}, f"round-robin uses both engines: {seen}"
chunks = sum(1 for _ in c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=6, stream=True))
assert chunks >= 2, chunks
try:
    c.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    raise SystemExit("unknown model accepted")
except NotFoundError:
    pass
# Kill one engine: every later request is still answered (failover before the first byte), by the survivor.
os.kill(int(os.environ["B_PID"]), signal.SIGKILL)
time.sleep(0.3)
after = set()
for _ in range(6):
    r = c.chat.completions.with_raw_response.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
    after.add(r.headers.get("x-sluice-upstream"))
assert after == {"llama-a"}, f"the killed engine is failed over: {after}"
print(f"ok: upstreams used {sorted(seen)}, {chunks} stream chunks, after the kill {sorted(after)}")
PY
usage=$("$bin" usage --config "$work/gw.yaml" --since 1h --html "${SLUICE_REPORT_DIR:-$work}/usage.html")
echo "$usage"
echo "$usage" | grep -qE '^llama-a +[0-9]+' || { echo "sluice usage does not report llama-a"; exit 1; }
grep -q "Cost per tenant over time" "${SLUICE_REPORT_DIR:-$work}/usage.html" || { echo "sluice usage --html wrote no timeline"; exit 1; }
# A tool plan whose text tool is an LLM call through the gateway (CATP-LLM's plans with Sluice as the LLM backend):
# caption (emulated from OpenCATP's logged measurements) → machine_translation (llama.cpp behind the gateway).
"$bin" plan --task 12 --plan '["image_captioning",["input_of_query"],"machine_translation",["image_captioning"]]' \
    --execute --time-scale 0.01 --llm-tool machine_translation --gateway http://127.0.0.1:18120 --model tiny \
    --json "$work/plan.json"
python3 - "$work/plan.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["run"]
steps = run["steps"]
assert run["succeeded"], run
assert steps[1]["via"] == "llm" and steps[1]["outcome"] == "ok", steps[1]
assert run["actualPriceUSD"] > 0
print(f"ok: plan ran, LLM tool answered {steps[1]['output'][:40]!r} in {steps[1]['endMs'] - steps[1]['startMs']:.0f} ms")
PY
echo "e2e ok"
