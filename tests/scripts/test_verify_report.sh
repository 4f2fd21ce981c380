#!/usr/bin/env bash
# `sdxl-gen verify`'s HTML report in a real browser: three goldens of the tiny model (one passes, one differs
# because it is re-run in another dtype, one has no recorded request), the report opened in headless Chromium
# (Debian's `chromium`): the DOM has the three cases and their embedded images decode; a screenshot is kept as
# an artifact in $SDXL_ARTIFACTS (default build/artifacts/verify-report.png) for a person to look at.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
GEN="${SDXL_GEN:-$ROOT/build/sdxl-gen}"
ART="${SDXL_ARTIFACTS:-$ROOT/build/artifacts}"
source "$ROOT/tests/scripts/check_lib.sh"
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then echo "FAIL: chromium is not installed (scripts/bootstrap.sh installs it)" >&2; exit 1; fi

cd "$T"; mkdir goldens
TINY="--model tiny --size 64x64 --steps 2 --quiet --dtype fp32 --vae-dtype fp32"
"$GEN" $TINY --prompt "a lighthouse" --seed 1 --out goldens/a-passes.png
"$GEN" $TINY --prompt "a red fox" --seed 2 --out goldens/b-differs.png
"$GEN" $TINY --prompt "no metadata" --seed 3 --metadata none --out goldens/c-no-request.png
# b's pixels change (one byte of the image data), its recorded request stays: as if the engine had changed.
python3 - goldens/b-differs.png <<'PYEOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, chunks = 8, []
while pos < len(data):
    n = struct.unpack(">I", data[pos:pos + 4])[0]
    chunks.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n])); pos += 12 + n
raw = bytearray(zlib.decompress(b"".join(c for k, c in chunks if k == b"IDAT")))
raw[50] = (raw[50] + 40) % 256
out, idat_done = bytearray(data[:8]), False
for kind, body in chunks:
    if kind == b"IDAT":
        if idat_done: continue
        body, idat_done = zlib.compress(bytes(raw)), True
    out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
open(sys.argv[1], "wb").write(out)
PYEOF
"$GEN" verify goldens --out-dir out --junit verify.xml --report report.html > verify.txt; rc=$?
check "pass, fail and cannot-re-run: exit 3 ($rc: $(cat verify.txt))" '[ $rc -eq 3 ] && grep -q "^PASS  goldens/a-passes.png" verify.txt && grep -q "^FAIL  goldens/b-differs.png: differs" verify.txt && grep -q "^ERROR goldens/c-no-request.png: cannot be re-run" verify.txt'

timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 \
  --dump-dom "file://$T/report.html" > dom.html 2> chromium.log
check "DOM: a pass, a fail and an error section" 'grep -q "<section class=\"pass\"" dom.html && grep -q "<section class=\"fail\"" dom.html && grep -q "<section class=\"error\"" dom.html'

# The images decode in the browser: a page script reports each <img>'s natural size into the title.
python3 - report.html > probe.html <<'PYEOF'
import sys
html = open(sys.argv[1]).read()
probe = """<script>window.addEventListener('load', () => { const s = [...document.images].map(i => i.naturalWidth + 'x' + i.naturalHeight); document.title = 'IMAGES ' + s.join(','); });</script>"""
print(html.replace("</body>", probe + "</body>"))
PYEOF
timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 --dump-dom "file://$T/probe.html" > probe-dom.html 2>> chromium.log
title=$(grep -o '<title>[^<]*</title>' probe-dom.html)
check "every embedded image decodes at 64x64 ($title)" '[ "$title" = "<title>IMAGES 64x64,64x64,64x64,64x64,64x64,64x64,64x64</title>" ]'

mkdir -p "$ART"
timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1300 \
  --screenshot="$ART/verify-report.png" "file://$T/report.html" >> chromium.log 2>&1
check "screenshot written ($ART/verify-report.png)" '[ -s "$ART/verify-report.png" ] && [ "$(head -c 8 "$ART/verify-report.png" | od -An -tx1 | tr -d " ")" = 89504e470d0a1a0a ]'
cp report.html "$ART/verify-report.html" 2>/dev/null

[ $failures -eq 0 ] || tail -5 chromium.log >&2
finish
