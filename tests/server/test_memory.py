"""No leak: resident memory of `sdxl-gen serve --model tiny` after 300 tiny requests (txt2img, img2img, LoRA
tags, errors) stays within 5% of what it was after the first 20; a model switch through /sdapi/v1/options
(to a --models-dir checkpoint and back) returns it to the single-model level."""
import base64
import json
import os
import shutil

from serverlib import Checks, Server, http, parse_args

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
a = parse_args()
c = Checks()
lora_dir = os.path.join(a.workdir, "loras")
models_dir = os.path.join(a.workdir, "models")
os.makedirs(lora_dir, exist_ok=True)
os.makedirs(models_dir, exist_ok=True)
shutil.copy(os.path.join(ROOT, "tests/adapters/data/kohya_diffusers.safetensors"), os.path.join(lora_dir, "style.safetensors"))
shutil.copy(os.path.join(ROOT, "tests/fixtures/tiny_sdxl_base.safetensors"), os.path.join(models_dir, "other.safetensors"))


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


# The single-file tiny checkpoint needs the tiny folder's configs (--config applies to every checkpoint).
tiny_configs = os.path.join(os.path.dirname(os.path.abspath(a.sdxl_gen)), "fixtures", "tiny-sdxl")
with Server(a.sdxl_gen, "--lora-dir", lora_dir, "--models-dir", models_dir, "--config", tiny_configs) as s:
    base = {"prompt": "a field", "negative_prompt": "", "steps": 1, "cfg_scale": 7, "width": 64, "height": 64,
            "sampler_name": "Euler"}
    st, _, raw = http("POST", s.url("/sdapi/v1/txt2img"), dict(base, seed=1))
    c.expect(st == 200, "first request 200")
    init = json.loads(raw)["images"][0]
    kinds = [("/sdapi/v1/txt2img", base), ("/sdapi/v1/img2img", dict(base, init_images=[init], steps=2, denoising_strength=0.5)),
             ("/sdapi/v1/txt2img", dict(base, prompt="a field <lora:style:0.7>")),
             ("/sdapi/v1/txt2img", dict(base, width=60)), ("/sdapi/v1/img2img", dict(base, init_images=["!!"]))]
    statuses = {}
    after20 = None
    for i in range(300):
        path, body = kinds[i % len(kinds)]
        st, _, _ = http("POST", s.url(path), dict(body, seed=i))
        statuses[st] = statuses.get(st, 0) + 1
        if i == 19:
            after20 = rss_kb(s.proc.pid)
    after300 = rss_kb(s.proc.pid)
    c.expect(statuses.get(200) == 180 and statuses.get(422, 0) + statuses.get(400, 0) == 120, "statuses %s" % statuses)
    c.expect(after300 <= after20 * 1.05, "RSS after 300 requests %d kB within 5%% of after 20 (%d kB)" % (after300, after20))
    print("RSS after 20: %d kB, after 300: %d kB" % (after20, after300))

    models = [m["model_name"] for m in json.loads(http("GET", s.url("/sdapi/v1/sd-models"))[2])]
    c.expect("other" in models and len(models) == 2, "sd-models lists the --models-dir checkpoint (%s)" % models)
    loaded = json.loads(http("GET", s.url("/sdapi/v1/options"))[2])["sd_model_checkpoint"]
    st, _, _ = http("POST", s.url("/sdapi/v1/options"), {"sd_model_checkpoint": "other"})
    c.expect(st == 200 and json.loads(http("GET", s.url("/sdapi/v1/options"))[2])["sd_model_checkpoint"] == "other", "switched")
    st, _, _ = http("POST", s.url("/sdapi/v1/txt2img"), dict(base, seed=3))
    c.expect(st == 200, "generates after the switch")
    st, _, _ = http("POST", s.url("/sdapi/v1/options"), {"sd_model_checkpoint": loaded})
    st2, _, _ = http("POST", s.url("/sdapi/v1/txt2img"), dict(base, seed=3))
    switched_back = rss_kb(s.proc.pid)
    c.expect(st == 200 and st2 == 200, "switched back and generates")
    c.expect(switched_back <= after300 * 1.05, "RSS after switching away and back %d kB ~ single-model level %d kB" % (switched_back, after300))
    print("RSS after switching away and back: %d kB" % switched_back)
    c.expect(s.stop() == 0, "exit 0")
c.done()
