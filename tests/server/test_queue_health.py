"""`sdxl-gen serve` around its queue, on loopback with bounded waits: the port opens before the models load
and /health answers 503 {"status":"loading"} until they are in (requests sent meanwhile wait and then run);
a client that disconnects while its job is queued loses the job (it never runs); JPEG init images (the CLI's
--init-image takes them too) give the CLI's pixels, and an image that cannot be read is a 400; an interrupt
inside one long stage (a large image's VAE decode) ends the job within seconds."""
import base64
import json
import os
import re
import subprocess
import sys
import threading
import time

from serverlib import Checks, Server, http, parse_args, pixels, run_cli

a = parse_args()
c = Checks()
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "io", "data")
GOOD = {"prompt": "a quiet pond", "negative_prompt": "", "seed": 99, "steps": 1, "cfg_scale": 7, "width": 64,
        "height": 64, "sampler_name": "Euler"}


def metric(s, name):
    text = http("GET", s.url("/metrics"))[2].decode()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def until(pred, limit_s=60):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


# 1. Loading: sdxl-gen-test waits SDXL_GEN_SLOW_LOAD_S with the port open before it loads the models.
test_binary = os.environ.get("SDXL_GEN_TEST")
if c.expect(test_binary and os.path.exists(test_binary), "SDXL_GEN_TEST names the test binary (%s)" % test_binary):
    with Server(test_binary, env={"SDXL_GEN_SLOW_LOAD_S": "3"}, wait_ready=False) as s:
        st, _, body = http("GET", s.url("/health"))
        c.expect(st == 503 and json.loads(body) == {"status": "loading"}, "/health while loading -> 503 loading (%s %r)" % (st, body))
        early = {}
        t = threading.Thread(target=lambda: early.update(r=http("POST", s.url("/sdapi/v1/txt2img"), GOOD, timeout=120)))
        t.start()
        c.expect(until(lambda: http("GET", s.url("/health"))[0] == 200), "/health -> 200 once loaded")
        st, _, body = http("GET", s.url("/health"))
        c.expect(json.loads(body).get("status") == "ok", "/health ok (%r)" % body)
        t.join(120)
        st, _, later = http("POST", s.url("/sdapi/v1/txt2img"), GOOD)
        c.expect(early.get("r", (0,))[0] == 200, "a request sent while loading waits and runs (%s)" % (early.get("r", ("none",))[0],))
        if early.get("r", (0,))[0] == 200 and st == 200:
            c.expect(json.loads(early["r"][2])["images"] == json.loads(later)["images"], "... and gives the same image")
        c.expect(s.stop() == 0, "exit 0")

# 2. A client killed while its job waits behind a long one: the job leaves the queue and never runs.
with Server(a.sdxl_gen) as s:
    long_result = {}
    long_job = threading.Thread(target=lambda: long_result.update(
        r=http("POST", s.url("/sdapi/v1/txt2img"), dict(GOOD, steps=400, seed=1), timeout=300)))
    long_job.start()
    c.expect(until(lambda: json.loads(http("GET", s.url("/sdapi/v1/progress"))[2])["state"]["sampling_step"] > 0),
             "the long job runs")
    client = subprocess.Popen([sys.executable, "-c",
                               "import json,urllib.request as u;u.urlopen(u.Request(%r,data=json.dumps(%r).encode(),"
                               "headers={'Content-Type':'application/json'}),timeout=300)" %
                               (s.url("/sdapi/v1/txt2img"), dict(GOOD, seed=77))])
    c.expect(until(lambda: metric(s, "sdxl_queue_depth") == 1), "the second job is queued")
    client.kill()
    client.wait(30)
    c.expect(until(lambda: metric(s, 'sdxl_jobs_total{result="dropped"}') == 1, 10), "the killed client's job is dropped")
    c.expect(metric(s, "sdxl_queue_depth") == 0, "the queue is empty")
    http("POST", s.url("/sdapi/v1/interrupt"), {})
    long_job.join(300)
    c.expect(long_result.get("r", (0,))[0] == 200, "the interrupted long job answers 200")
    time.sleep(1.0)  # a job that wrongly stayed queued would run now
    c.expect(metric(s, "sdxl_images_total") == 0, "the dropped job never ran (images %s)" % metric(s, "sdxl_images_total"))
    c.expect(metric(s, 'sdxl_jobs_total{result="done"}') == 1, "one job done (the interrupted one)")
    c.expect(any(" 499 " in line for line in s.log), "the access log shows the dropped request (499)")

    # 3. JPEG init images: the API image equals the CLI's --init-image with the same file.
    jpeg_path = os.path.join(DATA, "photo_420.jpg")
    jpeg = open(jpeg_path, "rb").read()
    body = dict(GOOD, init_images=[base64.b64encode(jpeg).decode()], width=64, height=96, seed=5, steps=3,
                denoising_strength=0.6)
    st, _, raw = http("POST", s.url("/sdapi/v1/img2img"), body)
    c.expect(st == 200, "img2img with a JPEG -> 200 (%s %r)" % (st, raw[:200]))
    if st == 200:
        api_png = base64.b64decode(json.loads(raw)["images"][0])
        cli_file = os.path.join(a.workdir, "jpeg_cli.png")
        run_cli(a.sdxl_gen, "--model", "tiny", "--prompt", GOOD["prompt"], "--negative-prompt", "", "--seed", "5",
                "--steps", "3", "--cfg", "7", "--size", "64x96", "--sampler", "euler", "--prompt-syntax", "a1111",
                "--long-prompt", "chunk", "--init-image", jpeg_path, "--strength", "0.6", "--threads", "1", "-q",
                "-o", cli_file, "--overwrite")
        c.expect(pixels(api_png) == pixels(open(cli_file, "rb").read()), "JPEG img2img: API image == CLI image")
    for bad in [jpeg[: len(jpeg) // 2], b"\xff\xd8\xff\xe0garbage", open(os.path.join(DATA, "cmyk.jpg"), "rb").read()]:
        st, _, raw = http("POST", s.url("/sdapi/v1/img2img"), dict(body, init_images=[base64.b64encode(bad).decode()]))
        c.expect(st == 400 and b"init_images" in raw, "an unreadable JPEG -> 400 naming init_images (%s %r)" % (st, raw[:160]))
    c.expect(s.stop() == 0, "exit 0")

# 4. An interrupt inside one long stage: the tiny model's fp32 VAE decodes 1024x1024 in seconds, in blocks well
# under a second each, and the networks look at the job's stop between their blocks. Interrupted once the only
# step is done (inside the decode), the job answers within seconds, interrupted and without an image, rather
# than after the decode.
with Server(a.sdxl_gen, "--dtype", "fp32", "--vae-dtype", "fp32") as s:
    big = {}
    job = threading.Thread(target=lambda: big.update(
        r=http("POST", s.url("/sdapi/v1/txt2img"), dict(GOOD, width=1024, height=1024, cfg_scale=1), timeout=300)))
    job.start()
    c.expect(until(lambda: json.loads(http("GET", s.url("/sdapi/v1/progress"))[2])["state"]["sampling_step"] >= 1, 120),
             "the 1024x1024 job's step is done")
    time.sleep(1.0)  # inside the decode
    interrupted = time.monotonic()
    http("POST", s.url("/sdapi/v1/interrupt"), {})
    job.join(300)
    latency = time.monotonic() - interrupted
    st, _, raw = big.get("r", (0, None, b"{}"))
    answer = json.loads(raw) if st == 200 else {}
    c.expect(st == 200 and json.loads(answer.get("info", "{}")).get("sdxl_gen", {}).get("interrupted"),
             "the job interrupted inside the decode answers 200, interrupted (%s)" % st)
    c.expect(answer.get("images") == [], "... without an image (%d)" % len(answer.get("images") or []))
    c.expect(latency < 5.0, "... %.1f s after the interrupt (the decode was not waited for)" % latency)
    c.expect(s.stop() == 0, "exit 0")
c.done()
