#!/usr/bin/env bash
# Renders sluice's HTML reports in a real headless Chromium (Debian's chromium-headless-shell): each page must load
# with no console error and no failed request, every chart must reach the DOM, and a screenshot must have the size
# asked for and not be blank. Usage: scripts/check_html_reports.sh [DIR] — reports are written to DIR (default: a
# temporary folder); any other *.html already in DIR (the usage report of e2e_gateway_llama.sh) is checked too.
# SCREENSHOT=FILE copies the compare report's screenshot there (the README's picture).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
browser=$(command -v chromium-headless-shell || command -v chromium || true)
[ -n "$browser" ] || { echo "no headless Chromium (apt-get install chromium-headless-shell)"; exit 1; }
swift build --product sluice >/dev/null
bin=$(swift build --show-bin-path)/sluice
"$bin" compare --requests 1500 --schedulers vllm,sarathi,sarathi-spf --rates 8,16,24,32 --no-progress --html "$out/compare.html" >/dev/null
# Two SLO classes, so the per-class charts are rendered too.
"$bin" capacity --requests 1000 --min-rate 2 --max-rate 64 --tolerance 0.1 --no-progress \
    --slo interactive:0.3:ttft=0.3,tbt=0.1 --slo batch:0.7:e2e=60 --html "$out/capacity.html" >/dev/null
"$bin" simulate --requests 1000 --no-progress --slo interactive:0.3:ttft=0.3,tbt=0.1 --slo batch:0.7:e2e=60 \
    --budget batch:tokens=40000,period=60 --html "$out/simulate.html" >/dev/null
"$bin" reproduce catp --folds 3 --html "$out/catp.html" >/dev/null
"$bin" reproduce slai --requests 300 --rates 0.5,1.5,2.5 --html "$out/slai.html" >/dev/null
width=1200 height=2400
status=0
for page in "$out"/*.html; do
    case "$page" in *.dom.html) continue ;; esac  # this script's own DOM dumps (a second run in the same folder)
    name=$(basename "$page" .html)
    log="$out/$name.chromium.log"
    "$browser" --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 --window-size=$width,$height \
        --screenshot="$out/$name.png" "file://$(realpath "$page")" 2>"$log" >/dev/null
    "$browser" --no-sandbox --disable-gpu --dump-dom "file://$(realpath "$page")" 2>/dev/null >"$out/$name.dom.html"
    if grep -E "CONSOLE|Uncaught|net::ERR|Failed to load resource" "$log"; then
        echo "FAIL $name: errors while loading"; status=1
    fi
    python3 - "$page" "$out/$name.dom.html" "$out/$name.png" "$width" "$height" <<'PY' || status=1
import re, struct, sys
page, dom, png, w, h = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
source = open(page, encoding="utf-8").read()
rendered = open(dom, encoding="utf-8").read()
want = len(re.findall(r"<svg\b", source))
got = len(re.findall(r"<svg\b", rendered))
assert want > 0, f"{page}: no chart"
assert got == want, f"{page}: {got} of {want} charts reached the DOM"
assert "<script" not in source, f"{page}: has a script"
data = open(png, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png}: not a PNG"
size = struct.unpack(">II", data[16:24])
assert size == (w, h), f"{png}: {size}, expected {(w, h)}"
assert len(data) > 20_000, f"{png}: only {len(data)} bytes, blank?"
print(f"ok {page}: {want} charts, screenshot {size[0]}x{size[1]} ({len(data) // 1024} KB)")
PY
done
if [ -n "${SCREENSHOT:-}" ]; then
    "$browser" --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1500 --screenshot="$SCREENSHOT" \
        "file://$(realpath "$out/compare.html")" 2>/dev/null >/dev/null
fi
exit $status
