#!/usr/bin/env python3
"""Every header compiles on its own, seeing only what its stage may see.

Each header of include/sdxl/ and src/ is compiled alone (-fsyntax-only) as its users include it
(`#include "unet/attention.h"`), with the include folders of its stage's CMake target
(build/stage_headers/<stage>.include_dirs, written at configure time): its own stage's folder and those of
the stages it links, nothing later. include/sdxl/ headers see include/ and their third-party libraries only.
So a header that uses a project type without including its header fails here instead of hiding behind the
unity build (whose batches include it after the header it needs), and a header that reaches into a later
stage fails here even when no source of its own stage includes it.

Third-party headers are the ground, not what this check is about: libtorch's (torch/torch.h, ATen/ATen.h) and
nlohmann/json.hpp are precompiled once per combination a header needs ("grounds": the closure of the header's
includes says which), so a header gets exactly the heavy libraries it includes, directly or through project
headers. clang is used when present: its precompiled headers load lazily (an ATen ground costs ~0.2 s per
header; gcc's reads the whole 700 MB torch ground, ~5 s per header).

Each header's verdict is kept in a cache (build/check_headers.cache.json, or $CHECK_HEADERS_CACHE; the
grounds beside it in check_headers_pch/) under a key made of the compiler, the flags, libtorch's version, the
header's include folders and the text of the header and of every project header it includes, directly or
not: a run compiles only the headers whose key changed. NO_CACHE=1 checks every header.

Usage: scripts/check_headers.py [HEADER...]   (JOBS=N compilers at once, default: the CPU count;
CXX: the compiler, default clang++ if found, else c++; BUILD: the configured build folder, default build)
"""
import hashlib, json, os, re, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
CXX = os.environ.get('CXX') or shutil.which('clang++') or 'c++'
BUILD = os.environ.get('BUILD', 'build')
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
# The ground's parts, each a heavy third-party header, and which includes call for it.
PARTS = {'torch': '<torch/torch.h>', 'aten': '<ATen/ATen.h>', 'json': '<nlohmann/json.hpp>'}


def project_header(name):
    for base in ('include', 'src'):
        if os.path.isfile(os.path.join(base, name)):
            return os.path.join(base, name)
    return None


def project_closure(header, out):
    """`header` and every project header it includes, directly or not (into the set `out`)."""
    if header in out:
        return out
    out.add(header)
    for kind, name in INCLUDE.findall(open(header, encoding='utf-8').read()):
        if kind == '"' and (dep := project_header(name)):
            project_closure(dep, out)
    return out


def ground_parts(closure):
    """The heavy third-party headers the closure includes: torch (any torch/ header: the API's modules),
    else aten (ATen/ or c10/ only), and json."""
    parts = set()
    for dep in closure:
        for kind, name in INCLUDE.findall(open(dep, encoding='utf-8').read()):
            if name.startswith('torch/'):
                parts.add('torch')
            elif name.startswith(('ATen/', 'c10/')):
                parts.add('aten')
            elif name.startswith('nlohmann/'):
                parts.add('json')
    if 'torch' in parts:
        parts.discard('aten')
    return tuple(sorted(parts))


def stage_include_dirs(header):
    """The include folders `header`'s users compile with: its stage target's (CMake wrote them), or for a
    public header include/ and libtorch's."""
    if header.startswith('include/'):
        return [os.path.join(ROOT, 'include')]
    stage = header.split('/')[1]
    listing = os.path.join(BUILD, 'stage_headers', stage + '.include_dirs')
    if not os.path.exists(listing):
        sys.exit(f'check_headers: {listing} is missing: configure the build first (scripts/bootstrap.sh)')
    # Each folder once, in order; the compiler's own /usr/include is left out as CMake leaves it out (given
    # as -isystem it would break libstdc++'s #include_next).
    return [d for d in dict.fromkeys(open(listing).read().split('\n')) if d and d != '/usr/include']


def include_name(header):
    """How users include it: "unet/attention.h", "sdxl/run.h"."""
    return header.split('/', 1)[1]


def main():
    torch_cmake = subprocess.check_output(['scripts/torch_cmake_prefix.sh'], text=True).strip()
    torch_include = os.path.realpath(os.path.join(torch_cmake, '..', '..', 'include'))
    torch_dirs = [torch_include, os.path.join(torch_include, 'torch/csrc/api/include')]
    flags = ['-std=gnu++17', '-D_GNU_SOURCE', '-w']
    system = [a for d in torch_dirs for a in ('-isystem', d)]
    headers = sys.argv[1:] or sorted(subprocess.check_output(['git', 'ls-files', 'include/*.h', 'src/*.h'],
                                                             text=True).split())
    start = time.time()
    version = subprocess.run([CXX, '--version'], capture_output=True, text=True).stdout
    torch_version = os.path.join(torch_include, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h')
    toolchain = '\n'.join([CXX, version, ' '.join(flags + system),
                           open(torch_version).read() if os.path.exists(torch_version) else ''])
    cache_path = os.environ.get('CHECK_HEADERS_CACHE', os.path.join(ROOT, BUILD, 'check_headers.cache.json'))
    pch_dir = os.path.join(os.path.dirname(cache_path), 'check_headers_pch')
    cache = {}
    if not os.environ.get('NO_CACHE') and os.path.exists(cache_path):
        try:
            cache = json.load(open(cache_path))
        except ValueError:
            cache = {}

    plan = {}
    for h in headers:
        closure = project_closure(h, set())
        dirs = stage_include_dirs(h)
        parts = ground_parts(closure)
        key = hashlib.sha256(toolchain.encode())
        key.update('\n'.join(dirs).encode() + b'\0' + '+'.join(parts).encode() + b'\0')
        for dep in sorted(closure):
            key.update(dep.encode() + b'\0' + open(dep, 'rb').read() + b'\0')
        plan[h] = (dirs, parts, key.hexdigest())
    todo = [h for h in headers if cache.get(h) != plan[h][2]]

    # The grounds the headers to check need, each precompiled once (in parallel) and kept while the toolchain
    # is the same.
    os.makedirs(pch_dir, exist_ok=True)
    jobs = int(os.environ.get('JOBS', os.cpu_count() or 2))
    grounds = {}
    stale = []
    for parts in sorted({plan[h][1] for h in todo if plan[h][1]}):
        name = '+'.join(parts)
        source = os.path.join(pch_dir, name + '.h')
        pch = source + ('.pch' if 'clang' in os.path.basename(CXX) else '.gch')
        grounds[parts] = (source, pch)
        key = hashlib.sha256((toolchain + name).encode()).hexdigest()
        if cache.get('<ground:' + name + '>') != key or not os.path.exists(pch):
            stale.append((parts, name, source, pch, key))

    def precompile(job):
        parts, name, source, pch, key = job
        with open(source, 'w') as f:
            f.write(''.join(f'#include {PARTS[p]}\n' for p in parts))
        extra = ['-fpch-instantiate-templates'] if pch.endswith('.pch') else []
        subprocess.run([CXX, *flags, *system, *extra, '-x', 'c++-header', source, '-o', pch], check=True)
        cache['<ground:' + name + '>'] = key

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(precompile, stale))

    with tempfile.TemporaryDirectory() as work:

        def check(header):
            dirs, parts, key = plan[header]
            tu = os.path.join(work, header.replace('/', '_') + '.cpp')
            with open(tu, 'w') as f:
                f.write(f'#include "{include_name(header)}"\n')
            ground = []
            if parts:
                source, pch = grounds[parts]
                ground = ['-include-pch', pch] if pch.endswith('.pch') else ['-include', source, '-Winvalid-pch']
            includes = []
            for d in dirs:
                includes += ['-I', d] if os.path.realpath(d).startswith(ROOT + os.sep) else ['-isystem', d]
            r = subprocess.run([CXX, *flags, *ground, *includes, *system, '-fsyntax-only', tu], capture_output=True,
                               text=True)
            if r.returncode == 0:
                cache[header] = key  # only successes are remembered
                return None
            # Errors name the header by its source path, not the stage folder's link to it.
            errors = [re.sub(r'\S*/stage_headers/([a-z_]+)/\1/', r'src/\1/', l)
                      for l in r.stderr.splitlines() if 'error' in l][:3]
            return f'not self-contained: {header}\n  ' + '\n  '.join(errors)

        with ThreadPoolExecutor(jobs) as pool:
            failures = [f for f in pool.map(check, todo) if f]
    with open(cache_path + '.tmp', 'w') as f:
        json.dump(cache, f, indent=0, sort_keys=True)
    os.replace(cache_path + '.tmp', cache_path)
    for f in failures:
        print(f, file=sys.stderr)
    sys.stderr.flush()
    print(f'check_headers: {len(headers) - len(failures)} of {len(headers)} headers compile on their own with '
          f'their stage\'s include folders ({os.path.basename(CXX)}; {len(todo)} compiled now, the others '
          f'unchanged since they passed) in {time.time() - start:.0f} s')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
