"""Nothing is written outside --save-dir (issue 24, "nothing is read or written outside --lora-dir,
--embeddings-dir, --models-dir, --save-dir"): uploads (web UI init_images and mask, OpenAI edits' image and
mask) reach the library in memory. The server runs with TMPDIR, HOME and its working folder pointed at empty
folders watched with inotify (through ctypes: no package) from before it starts until it stops; img2img,
inpainting (both "only masked" and whole-picture) and both kinds of edit must leave them without a single
event and empty."""
import ctypes
import io
import os
import shutil
import struct

import openai
from PIL import Image, ImageDraw

from serverlib import Checks, Server, http, parse_args, png_b64

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = (
    0x2, 0x4, 0x8, 0x40, 0x80, 0x100, 0x200)
WATCHED_EVENTS = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE


class Watch:
    """inotify on some folders; events() returns what happened in them so far as (folder, name, mask)."""

    def __init__(self, folders):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.folders = {}
        for f in folders:
            wd = self.libc.inotify_add_watch(self.fd, f.encode(), WATCHED_EVENTS)
            if wd < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch " + f)
            self.folders[wd] = f

    def events(self):
        out = []
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            i = 0
            while i < len(buf):
                wd, mask, _cookie, n = struct.unpack_from("iIII", buf, i)
                name = buf[i + 16:i + 16 + n].rstrip(b"\0").decode(errors="replace")
                out.append((self.folders.get(wd, "?"), name, hex(mask)))
                i += 16 + n


a = parse_args()
c = Checks()
W = H = 64
folders = {k: os.path.join(a.workdir, k) for k in ("tmp", "home", "cwd", "saved")}
for f in folders.values():
    shutil.rmtree(f, ignore_errors=True)
    os.makedirs(f)
watched = [folders["tmp"], folders["home"], folders["cwd"]]
watch = Watch(watched)

init = Image.new("RGB", (W, H))
ImageDraw.Draw(init).rectangle([0, 0, W - 1, H // 2], fill=(200, 60, 30))
ImageDraw.Draw(init).ellipse([10, 20, 50, 60], fill=(20, 90, 220))
mask = Image.new("RGB", (W, H), "black")
ImageDraw.Draw(mask).rectangle([16, 16, 47, 47], fill="white")
body = {"prompt": "a fox", "seed": 3, "steps": 2, "cfg_scale": 6, "width": W, "height": H,
        "sampler_name": "Euler", "init_images": [png_b64(init)], "denoising_strength": 0.6}

with Server(a.sdxl_gen, "--save-dir", folders["saved"], cwd=folders["cwd"],
            env={"TMPDIR": folders["tmp"], "HOME": folders["home"]}) as s:
    c.expect(watch.events() == [], "starting: nothing written in TMPDIR, HOME or the working folder")
    cases = [("img2img", body),
             ("inpaint, only masked, fill", dict(body, mask=png_b64(mask))),
             ("inpaint, whole picture, original", dict(body, mask=png_b64(mask), inpaint_full_res=False, inpainting_fill=1)),
             ("img2img, saved", dict(body, save_images=True))]
    for what, b in cases:
        st, _, raw = http("POST", s.url("/sdapi/v1/img2img"), b, timeout=120)
        c.expect(st == 200, "%s -> 200 (%d %r)" % (what, st, raw[:200]))
        c.expect(watch.events() == [], "%s: nothing written outside --save-dir" % what)
    c.expect(len(os.listdir(folders["saved"])) == 1, "save_images wrote into --save-dir (%s)" % os.listdir(folders["saved"]))

    client = openai.OpenAI(base_url=s.url("/v1"), api_key="none", max_retries=0, timeout=120)
    rgba = init.convert("RGBA")
    for x in range(16, 48):
        for y in range(16, 48):
            rgba.putpixel((x, y), (0, 0, 0, 0))
    transparent = io.BytesIO()
    rgba.save(transparent, format="PNG")
    alpha = Image.new("RGBA", (W, H), (0, 0, 0, 255))
    ImageDraw.Draw(alpha).rectangle([0, 0, 31, H - 1], fill=(0, 0, 0, 0))
    alpha_png = io.BytesIO()
    alpha.save(alpha_png, format="PNG")
    opaque = io.BytesIO()
    init.save(opaque, format="PNG")
    edits = [("edit, transparent pixels", {"image": ("in.png", transparent.getvalue(), "image/png")}),
             ("edit, mask file", {"image": ("in.png", opaque.getvalue(), "image/png"),
                                  "mask": ("mask.png", alpha_png.getvalue(), "image/png")})]
    for what, files in edits:
        e = client.images.edit(prompt="a boat", size="64x64", extra_body={"seed": 7, "steps": 2}, **files)
        c.expect(len(e.data) == 1, "%s: one image" % what)
        c.expect(watch.events() == [], "%s: nothing written outside --save-dir" % what)
    c.expect(s.stop() == 0, "exit 0")
c.expect(watch.events() == [], "stopping: nothing written")
c.expect(all(os.listdir(f) == [] for f in watched), "TMPDIR, HOME and the working folder stay empty (%s)" %
         {f: os.listdir(f) for f in watched})
c.done()
