"""The web UI's own Python client (`webuiapi`, unchanged) against `sdxl-gen serve --model tiny`: txt2img,
img2img, inpainting, the lists its constructor and users call, progress/interrupt/skip; the API image equals
the CLI image of the mapped request bit for bit, and `--from-png` on it reproduces it."""
import base64
import json
import os
import signal
import threading
import time

import webuiapi
from PIL import Image, ImageDraw

from serverlib import Checks, Server, http, parse_args, pixels, run_cli

a = parse_args()
c = Checks()
W = H = 64
with Server(a.sdxl_gen) as s:
    api = webuiapi.WebUIApi(host="127.0.0.1", port=s.port, sampler="Euler", steps=3)  # asks for /scripts

    # txt2img, and the CLI command with the mapped flags (README "Server": field mapping) gives the same pixels.
    r = api.txt2img(prompt="a red fox", negative_prompt="", seed=1234, steps=3, cfg_scale=7, width=W, height=H,
                    sampler_name="Euler", scheduler="automatic")
    c.expect(len(r.images) == 1 and r.images[0].size == (W, H), "txt2img: one 64x64 image")
    c.expect(r.info.get("all_seeds") == [1234] and r.info.get("seed") == 1234, "txt2img: info seeds %s" % r.info.get("all_seeds"))
    api_png = base64.b64decode(r.json["images"][0])
    api_file = os.path.join(a.workdir, "api.png")
    open(api_file, "wb").write(api_png)
    cli_file = os.path.join(a.workdir, "cli.png")
    run_cli(a.sdxl_gen, "--model", "tiny", "--prompt", "a red fox", "--negative-prompt", "", "--seed", "1234",
            "--steps", "3", "--cfg", "7", "--size", "%dx%d" % (W, H), "--sampler", "euler", "--prompt-syntax", "a1111",
            "--long-prompt", "chunk", "--threads", "1", "-q", "-o", cli_file, "--overwrite")
    c.expect(pixels(api_png) == pixels(open(cli_file, "rb").read()), "API image == CLI image of the mapped request")
    again = os.path.join(a.workdir, "from_png.png")
    run_cli(a.sdxl_gen, "--from-png", api_file, "--threads", "1", "-q", "-o", again, "--overwrite")
    c.expect(pixels(api_png) == pixels(open(again, "rb").read()), "--from-png on the API image reproduces it")

    # batch_size x n_iter: seeds seed..seed+N*M-1, each the single run with its seed.
    rb = api.txt2img(prompt="a red fox", negative_prompt="", seed=1233, steps=3, cfg_scale=7, width=W, height=H,
                     sampler_name="Euler", batch_size=2, n_iter=1)
    c.expect(rb.info.get("all_seeds") == [1233, 1234] and len(rb.images) == 2, "batch seeds %s" % rb.info.get("all_seeds"))
    c.expect(pixels(base64.b64decode(rb.json["images"][1])) == pixels(api_png), "batch image 2 == single run with seed+1")

    # img2img and inpainting (the client's defaults: inpainting_fill 0, inpaint_full_res True).
    init = r.image
    r2 = api.img2img(images=[init], prompt="a blue fox", seed=5, steps=3, cfg_scale=7, width=W, height=H,
                     denoising_strength=0.6)
    c.expect(len(r2.images) == 1 and r2.images[0].size == (W, H), "img2img: one image")
    mask = Image.new("RGB", (W, H), "black")
    ImageDraw.Draw(mask).rectangle([16, 16, 47, 47], fill="white")
    r3 = api.img2img(images=[init], mask_image=mask, prompt="a cat", seed=6, steps=3, cfg_scale=7, width=W, height=H,
                     mask_blur=0, inpainting_fill=1, inpaint_full_res=False)
    c.expect(len(r3.images) == 1, "inpaint: one image")
    if r3.images:
        out, src = r3.images[0].convert("RGB"), init.convert("RGB")
        outside_same = all(out.getpixel((x, y)) == src.getpixel((x, y)) for x in range(W) for y in range(H)
                           if x < 8 or x > 55 or y < 8 or y > 55)
        inside_changed = any(out.getpixel((x, y)) != src.getpixel((x, y)) for x in range(20, 44) for y in range(20, 44))
        c.expect(outside_same and inside_changed, "inpaint: only the masked area changes")
    r4 = api.img2img(images=[init], mask_image=mask, prompt="a cat", seed=6, steps=3, cfg_scale=7, width=W, height=H)
    c.expect(len(r4.images) == 1, "inpaint with the client's defaults (fill 0, only masked) answers an image")
    c.expect("Masked content: fill" in (r4.info.get("infotexts") or [""])[0],
             "inpainting_fill 0 runs as --masked-content fill (%r)" % (r4.info.get("infotexts") or [""])[0][-160:])

    # The lists clients call.
    for path in ["scripts", "sd-models", "samplers", "schedulers", "upscalers", "latent-upscale-modes", "loras",
                 "sd-vae", "embeddings", "memory", "options", "progress"]:
        st, _, body = http("GET", s.url("/sdapi/v1/" + path))
        c.expect(st == 200 and json.loads(body) is not None, "GET /sdapi/v1/%s -> %d" % (path, st))
    c.expect([x["name"] for x in api.get_samplers()] == ["Euler", "Euler a", "DDIM", "DPM++ 2M", "LCM"], "sampler names")
    c.expect(api.get_options()["sd_model_checkpoint"] == "tiny-sdxl" or api.get_options()["sd_model_checkpoint"], "options")
    c.expect(isinstance(api.set_options({"sd_vae": "Automatic"}), object), "set_options answers")
    st, _, body = http("POST", s.url("/sdapi/v1/png-info"), {"image": "data:image/png;base64," + base64.b64encode(api_png).decode()})
    j = json.loads(body)
    c.expect(st == 200 and "Seed: 1234" in j["info"] and "sdxl-gen" in j["items"], "png-info reads the parameters text")
    for path in ["interrupt", "skip", "refresh-checkpoints", "refresh-loras"]:
        st, _, body = http("POST", s.url("/sdapi/v1/" + path), {})
        c.expect(st == 200 and json.loads(body) == {}, "POST /sdapi/v1/%s -> %d %r" % (path, st, body[:80]))

    # Errors in the web UI's shape.
    st, _, body = http("POST", s.url("/sdapi/v1/txt2img"), {"prompt": "x", "sampler_name": "Heun", "steps": 2, "width": W, "height": H})
    j = json.loads(body)
    c.expect(st == 422 and "sampler_name" in j["detail"] and "DPM++ 2M" in j["detail"] and set(j) >= {"error", "detail", "body", "errors"},
             "unknown sampler -> 422 naming the field and the valid names: %d %s" % (st, body[:200]))
    st, _, body = http("GET", s.url("/sdapi/v1/nothing"))
    c.expect(st == 404 and "detail" in json.loads(body), "unknown path -> 404 %d" % st)
    st, _, _ = http("POST", s.url("/sdapi/v1/txt2img"), b"{not json")
    c.expect(st == 400, "malformed JSON -> 400 (%d)" % st)

    # Progress: monotone, with a preview; interrupt stops within a step; skip moves to the next image.
    def long_job(result, **kw):
        body = dict(prompt="slow", seed=77, steps=40, cfg_scale=7, width=W, height=H, sampler_name="Euler", **kw)
        result.append(http("POST", s.url("/sdapi/v1/txt2img"), body, timeout=300))

    def poll_until(pred, limit_s=60):
        seen, deadline = [], time.monotonic() + limit_s
        while time.monotonic() < deadline:
            p = json.loads(http("GET", s.url("/sdapi/v1/progress"))[2])
            seen.append(p)
            if pred(p):
                return seen
            time.sleep(0.05)
        return seen

    res = []
    t = threading.Thread(target=long_job, args=(res,))
    t.start()
    seen = poll_until(lambda p: p["state"]["job_count"] == 1 and p["state"]["sampling_step"] >= 4)
    values = [p["progress"] for p in seen if p["state"]["job_count"]]
    c.expect(len(values) > 1 and all(x <= y for x, y in zip(values, values[1:])), "progress is monotone: %s" % values[:20])
    c.expect(any(p["current_image"] for p in seen), "progress shows a preview image")
    step_at_interrupt = seen[-1]["state"]["sampling_step"]
    api.interrupt()
    after = poll_until(lambda p: p["state"]["job_count"] == 0, 60)
    t.join(120)
    steps_after = [p["state"]["sampling_step"] for p in after if p["state"]["job_count"]]
    c.expect(all(x <= step_at_interrupt + 1 for x in steps_after), "interrupt stops within one step (%d then %s)" % (step_at_interrupt, steps_after))
    if res:
        st, _, body = res[0]
        info = json.loads(json.loads(body)["info"])
        c.expect(st == 200 and info["sdxl_gen"]["interrupted"], "interrupted job answers 200, interrupted")

    res = []
    t = threading.Thread(target=long_job, args=(res,), kwargs=dict(n_iter=2))
    t.start()
    poll_until(lambda p: p["state"]["job_count"] == 2 and p["state"]["sampling_step"] >= 2 and p["state"]["job_no"] == 0)
    api.skip()
    t.join(300)
    if c.expect(bool(res), "skip: job answered"):
        st, _, body = res[0]
        j = json.loads(body)
        info = json.loads(j["info"])
        c.expect(st == 200 and len(j["images"]) == 1 and info["sdxl_gen"]["skipped"] == 1 and "Seed: 78" in info["infotexts"][0],
                 "skip: the first image is skipped, the second made: %d %s" % (st, info.get("sdxl_gen")))
    c.expect(s.alive(), "server still up")
    st, headers, body = http("GET", s.url("/metrics"))
    text = body.decode()
    c.expect(st == 200 and 'sdxl_http_requests_total{endpoint="/sdapi/v1/txt2img",status="200"}' in text
             and 'status="422"' in text and 'endpoint="other",status="404"' in text, "/metrics counts requests by endpoint and status")
    for name in ["sdxl_images_total", "sdxl_queue_depth", "sdxl_current_step", "sdxl_seconds_per_step", "sdxl_model_load_seconds"]:
        c.expect(("\n%s " % name) in text, "/metrics has %s" % name)
    images = int(text.split("\nsdxl_images_total ")[1].split()[0])
    c.expect(images == 7, "images counted: 1 + 2 (batch) + 3 (img2img, inpaint x2) + 0 (interrupted) + 1 (skip) (%d)" % images)
    code = s.stop()
    c.expect(code == 0, "idle server exits 0 on SIGTERM (%s)" % code)
    c.expect(not any("a red fox" in line for line in s.log), "the access log never shows prompts")

# SIGINT during a job: the running job stops after its step and answers with what it finished, the queued one
# gets 503, and the server exits 130 as the CLI does.
with Server(a.sdxl_gen) as s:
    res, queued = [], []
    body = dict(prompt="slow", seed=77, steps=200, cfg_scale=7, width=W, height=H, sampler_name="Euler")
    t1 = threading.Thread(target=lambda: res.append(http("POST", s.url("/sdapi/v1/txt2img"), body, timeout=300)))
    t1.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and json.loads(http("GET", s.url("/sdapi/v1/progress"))[2])["state"]["sampling_step"] < 2:
        time.sleep(0.05)
    t2 = threading.Thread(target=lambda: queued.append(http("POST", s.url("/sdapi/v1/txt2img"), dict(body, steps=2), timeout=300)))
    t2.start()
    time.sleep(0.5)
    code = s.stop(signal.SIGINT)
    t1.join(60)
    t2.join(60)
    c.expect(code == 130, "SIGINT during a job exits 130 (%s)" % code)
    c.expect(res and res[0][0] == 200 and json.loads(json.loads(res[0][2])["info"])["sdxl_gen"]["interrupted"],
             "the running job answers 200, interrupted (%s)" % (res[0][:1] if res else None,))
    c.expect(queued and queued[0][0] == 503, "the queued job gets 503 (%s)" % (queued[0][:1] if queued else None,))
c.done()
