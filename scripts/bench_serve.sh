#!/usr/bin/env bash
# Benchmark of `sdxl-gen serve` against the CLI for the same request (not a test; figures in README "Server"):
#  - overhead: a warm server's request-to-response time (HTTP + PNG + base64 included) against the CLI's own
#    "generate" time (its summary line, model load excluded), median of REPEAT runs each;
#  - time to first image: server start -> first answer, against the CLI's whole run (load + generate).
#
#   scripts/bench_serve.sh [MODEL [SIZE [STEPS [REPEAT]]]]     defaults: tiny 64x64 4 5
#   BENCH_FLAGS="--dtype bf16"                                  more flags for both sides (model flags)
#
# Full size without the real files: scripts/make_random_checkpoint.py writes a checkpoint of random weights
# (the shapes `sdxl-gen bench` builds). Run full-size models alone on a shared machine (its benchmark lock);
# the machine's load skews both sides alike, so read the ratio rather than the seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-tiny} SIZE=${2:-64x64} STEPS=${3:-4} REPEAT=${4:-5}
# Passive OpenMP waiting on both sides: spinning threads on a shared machine make either side crawl at random.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec python3 - "$MODEL" "$SIZE" "$STEPS" "$REPEAT" "${BENCH_FLAGS:-}" <<'PY'
import json, re, statistics, subprocess, sys, time, urllib.request
model, size, steps, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
flags = sys.argv[5].split()
w, h = map(int, size.split("x"))
binary = "build/sdxl-gen"
body = {"prompt": "a lighthouse", "negative_prompt": "", "seed": 7, "steps": steps, "cfg_scale": 7, "width": w,
        "height": h, "sampler_name": "Euler"}
cli = [binary, "--model", model, "--prompt", "a lighthouse", "--negative-prompt", "", "--seed", "7", "--steps",
       str(steps), "--cfg", "7", "--size", size, "--sampler", "euler", "--prompt-syntax", "a1111", "--long-prompt",
       "chunk", "-o", "/tmp/bench_serve_cli.png", "--overwrite", *flags]

def post(port):
    req = urllib.request.Request("http://127.0.0.1:%d/sdapi/v1/txt2img" % port, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    t = time.monotonic()
    with urllib.request.urlopen(req, timeout=7200) as r:
        r.read()
    return time.monotonic() - t

cli_total, cli_generate = [], []
for _ in range(repeat):
    t = time.monotonic()
    r = subprocess.run(cli, capture_output=True, text=True, check=True)
    cli_total.append(time.monotonic() - t)
    cli_generate.append(float(re.search(r"generate ([0-9.e+-]+) s", r.stderr).group(1)))

t0 = time.monotonic()
server = subprocess.Popen([binary, "serve", "--model", model, "--port", "0", *flags], stderr=subprocess.PIPE, text=True)
port = None
for line in server.stderr:
    if "listening on http://" in line:
        port = int(line.rsplit(":", 1)[1])
        break
post(port)  # waits in the queue while the models load
first = time.monotonic() - t0  # start, load and the first request
warm = [post(port) for _ in range(repeat)]
status = dict(l.split(":", 1) for l in open("/proc/%d/status" % server.pid) if ":" in l)
rss_gb, peak_gb = (int(status[k].split()[0]) / 2 ** 20 for k in ("VmRSS", "VmHWM"))
server.terminate()
server.wait(60)
med = statistics.median
print("model %s, %s, %d steps, %s, %d runs each (medians)" % (model, size, steps, " ".join(flags) or "default flags", repeat))
print("CLI generate runs: %s; warm server requests: %s" % (["%.3f" % x for x in cli_generate], ["%.3f" % x for x in warm]))
print("CLI generate (load excluded): %.3f s; warm server request: %.3f s; overhead %.1f%%"
      % (med(cli_generate), med(warm), 100 * (med(warm) / med(cli_generate) - 1)))
print("time to first image: CLI (load + generate) %.3f s; server start -> first answer %.3f s" % (med(cli_total), first))
print("server memory after the requests: RSS %.2f GiB, peak %.2f GiB" % (rss_gb, peak_gb))
PY
