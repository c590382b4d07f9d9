#!/usr/bin/env bash
# End-to-end check of `sluice serve` in front of two real llama.cpp servers (llama-cpp-python) serving a tiny
# random-weight model, driven by the official `openai` Python client. Needs: pip install 'llama-cpp-python[server]' gguf openai
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
python3 scripts/make_tiny_model.py "$work/tiny.gguf"
python3 -m llama_cpp.server --model "$work/tiny.gguf" --port 18112 --n_ctx 512 >"$work/a.log" 2>&1 &
python3 -m llama_cpp.server --model "$work/tiny.gguf" --port 18113 --n_ctx 512 >"$work/b.log" 2>&1 &
cat >"$work/gw.yaml" <<YAML
listen: { host: 127.0.0.1, port: 18120 }
router: least-outstanding
upstreams:
  - { name: llama-a, url: "http://127.0.0.1:18112", model: tiny, maxConcurrency: 4 }
  - { name: llama-b, url: "http://127.0.0.1:18113", model: tiny, maxConcurrency: 4 }
YAML
swift build --product sluice >/dev/null
.build/debug/sluice serve --config "$work/gw.yaml" >"$work/gw.log" 2>&1 &
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:18112/v1/models >/dev/null && curl -sf http://127.0.0.1:18113/v1/models >/dev/null \
    && curl -sf http://127.0.0.1:18120/health >/dev/null && break; sleep 1; done
python3 - <<'PY'
from openai import OpenAI, NotFoundError
c = OpenAI(base_url="http://127.0.0.1:18120/v1", api_key="k")
seen = set()
for _ in range(4):
    r = c.chat.completions.with_raw_response.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=6)
    seen.add(r.headers.get("x-sluice-upstream"))
    assert r.parse().choices[0].message.content is not None
chunks = sum(1 for _ in c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=6, stream=True))
assert chunks >= 2, chunks
try:
    c.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    raise SystemExit("unknown model accepted")
except NotFoundError:
    pass
print(f"ok: upstreams used {sorted(seen)}, {chunks} stream chunks")
PY
