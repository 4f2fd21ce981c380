"""Load and faults against `sdxl-gen serve --model tiny` on loopback, every loop bounded: 32 concurrent
clients (FIFO, none lost or duplicated), a full queue (503 + Retry-After), 1,000 malformed requests
(each 4xx, the server stays up), an oversized body (413), stalled and killed clients, authentication (401);
afterwards a good request still gives the same bytes as before."""
import base64
import concurrent.futures as cf
import json
import socket
import subprocess
import sys
import threading
import time

from serverlib import Checks, Server, http, parse_args, pixels

a = parse_args()
c = Checks()
W = H = 64
GOOD = {"prompt": "a quiet pond", "negative_prompt": "", "seed": 99, "steps": 1, "cfg_scale": 7, "width": W, "height": H,
        "sampler_name": "Euler"}


def txt2img(s, body, timeout=300):
    st, headers, raw = http("POST", s.url("/sdapi/v1/txt2img"), body, timeout=timeout)
    return st, headers, json.loads(raw) if raw else None


with Server(a.sdxl_gen, "--max-queue", "64", "--max-body-mb", "2") as s:
    st, _, first = txt2img(s, GOOD)
    c.expect(st == 200, "good request -> 200")
    reference = base64.b64decode(first["images"][0])

    # 32 clients x 2 jobs, all at once: each answered once with its own seed, started in admission order.
    def client(k):
        out = []
        for j in range(2):
            body = dict(GOOD, seed=1000 + 2 * k + j)
            st, _, r = txt2img(s, body)
            out.append((body["seed"], st, r and json.loads(r["info"])))
        return out

    with cf.ThreadPoolExecutor(32) as pool:
        results = [x for f in [pool.submit(client, k) for k in range(32)] for x in f.result(timeout=600)]
    c.expect(all(st == 200 for _, st, _ in results), "32 clients: every job 200 (%s)" % sorted({st for _, st, _ in results}))
    ok = [(seed, info) for seed, st, info in results if st == 200]
    c.expect(sorted(info["all_seeds"][0] for _, info in ok) == list(range(1000, 1064)), "none lost or duplicated")
    c.expect(all(info["all_seeds"][0] == seed for seed, info in ok), "each client got its own image")
    order = sorted((info["sdxl_gen"]["admitted"], info["sdxl_gen"]["started"]) for _, info in ok)
    c.expect([st for _, st in order] == sorted(st for _, st in order) and len({ad for ad, _ in order}) == 64,
             "FIFO: jobs start in admission order")

    # Malformed requests: each 4xx, never 5xx, the server stays up.
    cases = []
    good_text = json.dumps(GOOD)
    for cut in range(1, len(good_text), max(1, len(good_text) // 40)):
        cases.append(("POST", "/sdapi/v1/txt2img", good_text[:cut].encode()))
    # Values of the wrong type or out of range for each field (never a valid one).
    strings, ints = [1.5, [], {}, True, 10 ** 30], ["x", 1.5, [], {}, True, 10 ** 30, -10 ** 30, 1e308]
    numbers, bools = ["x", [], {}, True, 1e308, -1e308, 10 ** 30], ["x", 1.5, [], {}, 10 ** 30, 0]
    for field, values in [("prompt", strings), ("negative_prompt", strings), ("sampler_name", strings),
                          ("scheduler", strings), ("seed", ints), ("steps", ints), ("width", ints), ("height", ints),
                          ("batch_size", ints), ("n_iter", ints), ("hr_scale", numbers), ("cfg_scale", numbers),
                          ("denoising_strength", numbers), ("enable_hr", bools), ("send_images", bools),
                          ("override_settings", ["x", 1.5, [], True])]:
        for v in values:
            body = dict(GOOD, enable_hr=field in ("hr_scale", "denoising_strength"))
            body[field] = v
            cases.append(("POST", "/sdapi/v1/txt2img", body))
    for body in [dict(GOOD, width=60), dict(GOOD, steps=0), dict(GOOD, steps=10 ** 6), dict(GOOD, batch_size=1000),
                 dict(GOOD, width=0), dict(GOOD, height=100000), dict(GOOD, sampler_name="Heun"),
                 dict(GOOD, scheduler="Exponential"), dict(GOOD, enable_hr=True, hr_upscaler="ESRGAN"),
                 dict(GOOD, override_settings={"sd_vae": "other.safetensors"}), dict(GOOD, save_images=True),
                 dict(GOOD, refiner_checkpoint="refiner"), dict(GOOD, override_settings={"sd_model_checkpoint": "../x"}),
                 [1, 2], "just a string", 42]:
        cases.append(("POST", "/sdapi/v1/txt2img", body if isinstance(body, dict) else json.dumps(body).encode()))
    for name in ["../../etc/passwd", "/etc/passwd", "..\\..\\x", "a/../../b", "nope", "x\u0000y", "..", "%2e%2e/x"]:
        cases.append(("POST", "/sdapi/v1/txt2img", dict(GOOD, prompt="p <lora:%s:1>" % name)))
        cases.append(("POST", "/v1/images/generations", {"prompt": "p <lora:%s:0.5>" % name, "size": "64x64", "steps": 1}))
    png = reference
    for init in ["", "!!!!", "abc", "data:image/png;base64,@@@@", base64.b64encode(b"not a png").decode(),
                 base64.b64encode(png[:40]).decode(), base64.b64encode(png[:-20]).decode(), "data:text/plain,hello",
                 base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()]:
        cases.append(("POST", "/sdapi/v1/img2img", dict(GOOD, init_images=[init])))
        cases.append(("POST", "/sdapi/v1/img2img", dict(GOOD, init_images=[base64.b64encode(png).decode()], mask=init or "x")))
    for body in [dict(GOOD), dict(GOOD, init_images=[]), dict(GOOD, init_images="x"), dict(GOOD, init_images=[1]),
                 dict(GOOD, init_images=[base64.b64encode(png).decode()], resize_mode=3),
                 dict(GOOD, init_images=[base64.b64encode(png).decode()], resize_mode=9),
                 dict(GOOD, init_images=[base64.b64encode(png).decode()], inpainting_fill=7, mask=base64.b64encode(png).decode())]:
        cases.append(("POST", "/sdapi/v1/img2img", body))
    for body in [{}, {"prompt": ""}, {"prompt": 5}, {"prompt": "x", "n": 0}, {"prompt": "x", "n": 10 ** 6},
                 {"prompt": "x", "size": "64"}, {"prompt": "x", "size": "64x"}, {"prompt": "x", "size": "-64x64"},
                 {"prompt": "x", "size": "99999999999x64"}, {"prompt": "x", "size": "60x64"}, {"prompt": "x", "size": 64},
                 {"prompt": "x", "response_format": "url"}, {"prompt": "x", "response_format": "gif"},
                 {"prompt": "x", "model": "../../etc/passwd"}, {"prompt": "x", "sampler": "heun"}, {"prompt": "x", "steps": -3}]:
        cases.append(("POST", "/v1/images/generations", body))
    cases.append(("POST", "/v1/images/edits", {"prompt": "x"}))
    cases.append(("POST", "/v1/images/edits", b"--xyz\r\ngarbage"))
    for body in [{"image": "!!"}, {"image": ""}, {}, {"image": base64.b64encode(b"zz").decode()}]:
        cases.append(("POST", "/sdapi/v1/png-info", body))
    for body in [{"sd_model_checkpoint": "nope"}, {"sd_model_checkpoint": "../../etc/passwd"}, {"sd_vae": "x"}, [], "x"]:
        cases.append(("POST", "/sdapi/v1/options", body if isinstance(body, dict) else json.dumps(body).encode()))
    for path in ["/../../etc/passwd", "/outputs/../../etc/passwd", "/outputs/x.png", "/sdapi/v1/../../etc/passwd",
                 "/%2e%2e/%2e%2e/etc/passwd", "/sdapi/v2/txt2img", "/v1/images", "/index.html"]:
        cases.append(("GET", path, None))
    while len(cases) < 1000:  # a bounded tail of random byte strings as JSON bodies
        k = len(cases)
        cases.append(("POST", ["/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/v1/images/generations"][k % 3],
                      bytes((k * 7919 + i * 104729) % 256 for i in range(k % 97 + 1))))
    bad = []
    for method, path, body in cases:
        st, _, raw = http(method, s.url(path), body, timeout=120)
        if not (400 <= st < 500):
            bad.append((st, path, str(body)[:100], raw[:200]))
    c.expect(not bad, "%d malformed requests -> 4xx each; not: %s" % (len(cases), bad[:5]))
    c.expect(s.alive(), "server up after the malformed requests")

    # 100 MB announced, a little sent: 413 without reading the rest.
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as sock:
        sock.sendall(b"POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 104857600\r\n\r\n" + b"{" * 1024)
        reply = sock.recv(4096)
    c.expect(reply.startswith(b"HTTP/1.1 413"), "100 MB body -> 413 (%r)" % reply[:40])

    # Stalled clients (partial headers or bodies) do not block others; a client killed mid-request neither.
    stalled = []
    for k in range(12):
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        sock.sendall(b"POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"pro" if k % 2 else b"GET /sdapi/v1/opt")
        stalled.append(sock)
    killed = subprocess.Popen([sys.executable, "-c",
                               "import json,urllib.request as u;u.urlopen(u.Request(%r,data=json.dumps(%r).encode(),"
                               "headers={'Content-Type':'application/json'}),timeout=60)" %
                               (s.url("/sdapi/v1/txt2img"), dict(GOOD, steps=20, seed=5))])
    time.sleep(0.5)
    killed.kill()
    killed.wait(30)
    st, _, again = txt2img(s, GOOD)
    c.expect(st == 200 and base64.b64decode(again["images"][0]) == reference,
             "with stalled and killed clients, the good request still gives the same bytes")
    for sock in stalled:
        sock.close()
    c.expect(s.stop() == 0, "exit 0")

# A full queue answers 503 with Retry-After.
with Server(a.sdxl_gen, "--max-queue", "1") as s:
    slow = dict(GOOD, steps=200, seed=1)
    with cf.ThreadPoolExecutor(6) as pool:
        first = pool.submit(txt2img, s, slow)
        time.sleep(1.0)
        rest = [pool.submit(txt2img, s, dict(GOOD, seed=k)) for k in range(4)]
        statuses = [f.result(timeout=300)[:2] for f in rest]
        http("POST", s.url("/sdapi/v1/interrupt"), {})
        first.result(timeout=300)
    full = [h for st, h in statuses if st == 503]
    c.expect(full and all("Retry-After" in h for h in full), "queue full -> 503 with Retry-After (%s)" % [st for st, _ in statuses])
    c.expect(any(st == 200 for st, _ in statuses), "the queued job still runs")
    c.expect(s.stop() == 0, "exit 0")

# Authentication: 401 without or with a wrong key everywhere but /health; Bearer or Basic (password = key).
with Server(a.sdxl_gen, "--api-key", "k3y") as s:
    gets = ["/", "/metrics", "/sdapi/v1/options", "/sdapi/v1/sd-models", "/sdapi/v1/progress", "/sdapi/v1/scripts",
            "/v1/models", "/sdapi/v1/loras", "/outputs/x.png", "/nothing"]
    posts = ["/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/interrupt", "/sdapi/v1/options", "/v1/images/generations",
             "/v1/images/edits", "/sdapi/v1/png-info"]
    basic = lambda pw: "Basic " + base64.b64encode(("user:" + pw).encode()).decode()
    for headers in [{}, {"Authorization": "Bearer nope"}, {"Authorization": basic("nope")}, {"Authorization": "Bearer "},
                    {"Authorization": "k3y"}, {"Authorization": "Basic !!"}]:
        for path in gets:
            c.expect(http("GET", s.url(path), headers=headers)[0] == 401, "GET %s %s -> 401" % (path, headers))
        for path in posts:
            c.expect(http("POST", s.url(path), GOOD, headers=headers)[0] == 401, "POST %s %s -> 401" % (path, headers))
    c.expect(http("GET", s.url("/health"))[0] == 200, "/health without a key -> 200")
    # The web UI's client speaks only Basic auth (its --api-auth): the key is the password.
    import webuiapi
    try:
        webuiapi.WebUIApi(host="127.0.0.1", port=s.port, username="me", password="nope").txt2img(prompt="x", steps=1, width=64, height=64)
        c.expect(False, "webuiapi with a wrong password must fail")
    except RuntimeError as err:
        c.expect(err.args[0] == 401, "webuiapi wrong password -> 401 (%s)" % (err.args,))
    r = webuiapi.WebUIApi(host="127.0.0.1", port=s.port, username="me", password="k3y").txt2img(
        prompt="x", seed=1, steps=1, width=64, height=64)
    c.expect(len(r.images) == 1, "webuiapi with the key as Basic password generates")
    c.expect(http("GET", s.url("/sdapi/v1/options"), headers={"Authorization": "Bearer k3y"})[0] == 200, "Bearer -> 200")
    c.expect(http("GET", s.url("/sdapi/v1/options"), headers={"Authorization": basic("k3y")})[0] == 200, "Basic -> 200")
    c.expect(s.stop() == 0, "exit 0")
c.done()
