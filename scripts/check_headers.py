#!/usr/bin/env python3
"""Every header compiles on its own: each header of include/ and src/ is compiled alone (-fsyntax-only), so a
header that uses a project type without including its header fails here instead of hiding behind the unity
build, whose batches include it after the header it needs.

libtorch's headers (and nlohmann's), the content of src/common/pch.h, are precompiled once and given to the
headers that include libtorch, directly or through another project header: they are the project's ground,
not what this check is about. The other headers compile without them, so they cannot lean on them.

Each header's verdict is kept in a cache (build/check_headers.cache.json, or $CHECK_HEADERS_CACHE; the
precompiled libtorch ground beside it in check_headers_pch/) under a key
made of the compiler, the flags, libtorch's version and the text of the header and of every project header it
includes, directly or not: a run compiles only the headers whose key changed (seconds when few did; the first
run compiles them all, ~5 min for 173 headers on 2 busy cores). NO_CACHE=1 checks every header.

Usage: scripts/check_headers.py [HEADER...]   (JOBS=N compilers at once, default 2; CXX, default c++)
"""
import hashlib, json, os, re, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
CXX = os.environ.get('CXX', 'c++')
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
TORCH = ('torch/', 'ATen/', 'c10/')


def project_header(name):
    for base in ('include', 'src'):
        if os.path.isfile(os.path.join(base, name)):
            return os.path.join(base, name)
    return None


def needs_torch(header, seen):
    """Whether `header` includes libtorch, itself or through project headers."""
    if header in seen:
        return seen[header]
    seen[header] = False
    found = False
    for kind, name in INCLUDE.findall(open(header, encoding='utf-8').read()):
        if name.startswith(TORCH):
            found = True
        elif kind == '"' and (dep := project_header(name)) and needs_torch(dep, seen):
            found = True
    seen[header] = found
    return found


def project_closure(header, out):
    """`header` and every project header it includes, directly or not (into the set `out`)."""
    if header in out:
        return out
    out.add(header)
    for kind, name in INCLUDE.findall(open(header, encoding='utf-8').read()):
        if kind == '"' and (dep := project_header(name)):
            project_closure(dep, out)
    return out


def cache_key(header, toolchain, pch):
    h = hashlib.sha256(toolchain.encode())
    h.update(b'pch' if pch else b'plain')
    for dep in sorted(project_closure(header, set())):
        h.update(dep.encode() + b'\0' + open(dep, 'rb').read() + b'\0')
    return h.hexdigest()


def main():
    torch_cmake = subprocess.check_output(['scripts/torch_cmake_prefix.sh'], text=True).strip()
    torch_include = os.path.realpath(os.path.join(torch_cmake, '..', '..', 'include'))
    flags = ['-std=gnu++17', '-D_GNU_SOURCE', '-Iinclude', '-Isrc', '-isystem', torch_include, '-isystem',
             os.path.join(torch_include, 'torch/csrc/api/include'), '-isystem', '/usr/include/opencv4']
    headers = sys.argv[1:] or sorted(subprocess.check_output(['git', 'ls-files', 'include/*.h', 'src/*.h'],
                                                             text=True).split())
    seen = {}
    start = time.time()
    version = subprocess.run([CXX, '--version'], capture_output=True, text=True).stdout
    torch_version = os.path.join(torch_include, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h')
    toolchain = '\n'.join([version, ' '.join(flags), open(torch_version).read() if os.path.exists(torch_version) else ''])
    cache_path = os.environ.get('CHECK_HEADERS_CACHE', os.path.join(ROOT, 'build', 'check_headers.cache.json'))
    cache = {}
    if not os.environ.get('NO_CACHE') and os.path.exists(cache_path) and os.path.exists(
            os.path.join(os.path.dirname(cache_path), 'check_headers_pch', 'ground.h.gch')):
        try:
            cache = json.load(open(cache_path))
        except ValueError:
            cache = {}
    keys = {h: cache_key(h, toolchain, needs_torch(h, seen)) for h in headers}
    todo = [h for h in headers if cache.get(h) != keys[h]]
    # The precompiled libtorch ground is kept beside the cache too (building it costs minutes on a busy machine).
    pch_dir = os.path.join(os.path.dirname(cache_path), 'check_headers_pch')
    ground = os.path.join(pch_dir, 'ground.h')
    ground_key = hashlib.sha256(toolchain.encode()).hexdigest()
    if any(needs_torch(h, seen) for h in todo) and cache.get('<ground>') != ground_key:
        os.makedirs(pch_dir, exist_ok=True)
        with open(ground, 'w') as f:
            f.write('#include <torch/torch.h>\n#include <nlohmann/json.hpp>\n')
        subprocess.run([CXX, *flags, '-x', 'c++-header', ground, '-o', ground + '.gch'], check=True)
        cache['<ground>'] = ground_key
    with tempfile.TemporaryDirectory() as work:

        def check(header):
            tu = os.path.join(work, header.replace('/', '_') + '.cpp')
            with open(tu, 'w') as f:
                f.write(f'#include "{os.path.join(ROOT, header)}"\n')
            pch = ['-include', ground, '-Winvalid-pch'] if needs_torch(header, seen) else []
            r = subprocess.run([CXX, *flags, *pch, '-fsyntax-only', tu], capture_output=True, text=True)
            if r.returncode == 0:
                cache[header] = keys[header]  # only successes are remembered
                return None
            errors = [l for l in r.stderr.splitlines() if 'error' in l][:3]
            return f'not self-contained: {header}\n  ' + '\n  '.join(errors)

        with ThreadPoolExecutor(int(os.environ.get('JOBS', '2'))) as pool:
            failures = [f for f in pool.map(check, todo) if f]
    os.makedirs(os.path.dirname(cache_path), exist_ok=True)
    with open(cache_path + '.tmp', 'w') as f:
        json.dump(cache, f, indent=0, sort_keys=True)
    os.replace(cache_path + '.tmp', cache_path)
    for f in failures:
        print(f, file=sys.stderr)
    torch_count = sum(1 for h in headers if seen.get(h))
    print(f'check_headers: {len(headers) - len(failures)} of {len(headers)} headers compile on their own '
          f'({torch_count} with libtorch precompiled; {len(todo)} compiled now, the others unchanged since they '
          f'passed) in {time.time() - start:.0f} s')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
