"""Starting and stopping `sdxl-gen serve` for the server tests (tests/server/*.py, run by CTest).

Each test starts its own server on 127.0.0.1 with --port 0 (the server prints the port it bound), talks to it
with the real clients of .venv-clients (scripts/client_env.sh), and stops it by pid. Every wait is bounded.
"""
import argparse
import base64
import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--sdxl-gen", required=True, help="path of the sdxl-gen binary")
    p.add_argument("--workdir", required=True, help="scratch folder for this test (created)")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    return a


class Server:
    """`sdxl-gen serve --model tiny --port 0 ...`; the stderr lines (access log) are kept in .log."""

    def __init__(self, binary, *extra, env=None, wait_ready=True, cwd=None):
        cmd = [binary, "serve", "--model", "tiny", "--port", "0", "--threads", "1", *extra]
        e = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        e.update(env or {})
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=e,
                                     cwd=cwd)
        self.log = []
        lines = queue.Queue()

        def drain():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        self.port = None
        while self.port is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise RuntimeError("server did not start in %d s:\n%s" % (START_TIMEOUT_S, "\n".join(self.log)))
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError("server exited (%s) before listening:\n%s" % (self.proc.wait(), "\n".join(self.log)))
            if "listening on http://" in line:
                self.port = int(line.rsplit(":", 1)[1])
        self.base = "http://127.0.0.1:%d" % self.port
        # The port opens before the models load (/health: 503 "loading" until they are in).
        while wait_ready:
            try:
                if http("GET", self.url("/health"), timeout=10)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.kill()
                raise RuntimeError("server not ready in %d s:\n%s" % (START_TIMEOUT_S, "\n".join(self.log)))
            time.sleep(0.05)

    def url(self, path):
        return self.base + path

    def stop(self, sig=signal.SIGTERM):
        """Signals the server by pid and returns its exit code (bounded wait)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError("server did not stop within %d s of signal %s" % (STOP_TIMEOUT_S, sig))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)

    def alive(self):
        return self.proc.poll() is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def http(method, url, body=None, headers=None, timeout=60):
    """(status, headers, body bytes) without raising on HTTP errors."""
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def png_b64(image):
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def pixels(png_bytes):
    from PIL import Image
    im = Image.open(io.BytesIO(png_bytes))
    return im.size, im.convert("RGB").tobytes()


def run_cli(binary, *args, timeout=300):
    r = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
    if r.returncode != 0:
        raise RuntimeError("sdxl-gen %s failed (%d):\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r


class Checks:
    """Counts failed expectations and reports them all at the end (exit status 1 when any failed)."""

    def __init__(self):
        self.failures = []

    def expect(self, cond, what):
        if not cond:
            self.failures.append(what)
            print("FAIL:", what, flush=True)
        return cond

    def done(self):
        if self.failures:
            print("%d check(s) failed" % len(self.failures))
            sys.exit(1)
        print("all checks passed")
