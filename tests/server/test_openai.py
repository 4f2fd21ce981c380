"""The official `openai` Python client (unchanged) against `sdxl-gen serve --model tiny`: images.generate and
images.edit (transparent = repaint), models.list, and errors in OpenAI's shape."""
import base64
import io
import json
import os
import shutil
import urllib.request

import openai
from PIL import Image

from serverlib import Checks, Server, http, parse_args, pixels

a = parse_args()
c = Checks()
save_dir = os.path.join(a.workdir, "saved")
shutil.rmtree(save_dir, ignore_errors=True)
scratch = os.path.join(a.workdir, "tmp")  # the server's TMPDIR: stays empty (uploads stay in memory; test_no_files)
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
with Server(a.sdxl_gen, "--api-key", "sekrit", "--save-dir", save_dir, env={"TMPDIR": scratch}) as s:
    client = openai.OpenAI(base_url=s.url("/v1"), api_key="sekrit", max_retries=0, timeout=120)
    models = [m.id for m in client.models.list()]
    c.expect(len(models) == 1, "models.list: the loaded model (%s)" % models)

    g = client.images.generate(prompt="a lighthouse", n=2, size="64x64", response_format="b64_json",
                               extra_body={"seed": 42, "steps": 3, "cfg_scale": 6, "negative_prompt": "fog", "sampler": "euler"})
    c.expect(len(g.data) == 2 and g.created > 0, "generate: n=2 images")
    pngs = [base64.b64decode(d.b64_json) for d in g.data]
    c.expect(all(pixels(p)[0] == (64, 64) for p in pngs) and pixels(pngs[0]) != pixels(pngs[1]), "generate: two different 64x64 images")
    g2 = client.images.generate(prompt="a lighthouse", size="64x64", model=models[0],
                                extra_body={"seed": 43, "steps": 3, "cfg_scale": 6, "negative_prompt": "fog", "sampler": "euler"})
    c.expect(pixels(base64.b64decode(g2.data[0].b64_json)) == pixels(pngs[1]), "n=2 image 2 == the single run with seed+1")

    # response_format=url: the PNG lands in --save-dir and is served from /outputs/ (with the key).
    u = client.images.generate(prompt="a lighthouse", size="64x64", response_format="url",
                               extra_body={"seed": 43, "steps": 3, "cfg_scale": 6, "negative_prompt": "fog", "sampler": "euler"})
    req = urllib.request.Request(u.data[0].url, headers={"Authorization": "Bearer sekrit"})
    served = urllib.request.urlopen(req, timeout=60).read()
    c.expect(pixels(served) == pixels(pngs[1]) and os.listdir(save_dir) == [u.data[0].url.rsplit("/", 1)[1]],
             "url: the image is saved in --save-dir and served from %s" % u.data[0].url)
    st, _, body = http("POST", s.url("/sdapi/v1/txt2img"), {"prompt": "x", "seed": 1, "steps": 2, "width": 64, "height": 64,
                                                          "save_images": True}, headers={"Authorization": "Bearer sekrit"})
    c.expect(st == 200 and len(os.listdir(save_dir)) == 2, "web UI save_images writes into --save-dir (%d, %s)" % (st, os.listdir(save_dir)))

    # Edit: the image is opaque except a transparent square, which alone is repainted.
    base = Image.open(io.BytesIO(pngs[0])).convert("RGBA")
    for x in range(16, 48):
        for y in range(16, 48):
            base.putpixel((x, y), (0, 0, 0, 0))
    buf = io.BytesIO()
    base.save(buf, format="PNG")
    e = client.images.edit(image=("in.png", buf.getvalue(), "image/png"), prompt="a boat", size="64x64",
                           extra_body={"seed": 7, "steps": 3})
    c.expect(len(e.data) == 1, "edit: one image")
    out = Image.open(io.BytesIO(base64.b64decode(e.data[0].b64_json))).convert("RGB")
    src = Image.open(io.BytesIO(pngs[0])).convert("RGB")
    c.expect(all(out.getpixel((x, y)) == src.getpixel((x, y)) for x in range(64) for y in range(64)
                 if x < 8 or x > 55 or y < 8 or y > 55), "edit: opaque pixels kept")
    # A separate mask file (transparent = repaint).
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    for x in range(0, 32):
        for y in range(0, 64):
            mask.putpixel((x, y), (0, 0, 0, 0))
    mb = io.BytesIO()
    mask.save(mb, format="PNG")
    e2 = client.images.edit(image=("in.png", pngs[0], "image/png"), mask=("mask.png", mb.getvalue(), "image/png"),
                            prompt="a boat", extra_body={"seed": 7, "steps": 3})
    c.expect(len(e2.data) == 1, "edit with a mask file: one image")
    c.expect(os.listdir(scratch) == [], "nothing is left in TMPDIR (%s)" % os.listdir(scratch))

    # OpenAI's error shape, with the status the client raises on.
    try:
        client.images.generate(prompt="x", size="12x34x", extra_body={"steps": 2})
        c.expect(False, "bad size must fail")
    except openai.BadRequestError as err:
        c.expect(err.body and err.body.get("param") == "size" and "message" in err.body, "bad size -> 400 param=size: %s" % err.body)
    try:
        client.images.generate(prompt="x", model="no-such-model", size="64x64", extra_body={"steps": 2})
        c.expect(False, "unknown model must fail")
    except openai.NotFoundError as err:
        c.expect(err.body.get("code") == "model_not_found", "unknown model -> 404 model_not_found: %s" % err.body)
    bad = openai.OpenAI(base_url=s.url("/v1"), api_key="wrong", max_retries=0)
    try:
        bad.models.list()
        c.expect(False, "wrong key must fail")
    except openai.AuthenticationError as err:
        c.expect(err.status_code == 401, "wrong key -> 401")
    st, _, body = http("GET", s.url("/health"))
    c.expect(st == 200 and json.loads(body)["status"] == "ok", "/health needs no key")
    c.expect(s.stop() == 0, "exit 0")
c.done()
