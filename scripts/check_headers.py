#!/usr/bin/env python3
"""Every header compiles on its own: each header of include/ and src/ is compiled alone (-fsyntax-only), so a
header that uses a project type without including its header fails here instead of hiding behind the unity
build, whose batches include it after the header it needs.

libtorch's headers (and nlohmann's), the content of src/common/pch.h, are precompiled once and given to the
headers that include libtorch, directly or through another project header: they are the project's ground,
not what this check is about. The other headers compile without them, so they cannot lean on them.

Usage: scripts/check_headers.py [HEADER...]   (JOBS=N compilers at once, default 2; CXX, default c++)
"""
import os, re, subprocess, sys, tempfile, time
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


def main():
    torch_cmake = subprocess.check_output(['scripts/torch_cmake_prefix.sh'], text=True).strip()
    torch_include = os.path.realpath(os.path.join(torch_cmake, '..', '..', 'include'))
    flags = ['-std=gnu++17', '-D_GNU_SOURCE', '-Iinclude', '-Isrc', '-isystem', torch_include, '-isystem',
             os.path.join(torch_include, 'torch/csrc/api/include'), '-isystem', '/usr/include/opencv4']
    headers = sys.argv[1:] or sorted(subprocess.check_output(['git', 'ls-files', 'include/*.h', 'src/*.h'],
                                                             text=True).split())
    seen = {}
    start = time.time()
    with tempfile.TemporaryDirectory() as work:
        ground = os.path.join(work, 'ground.h')
        with open(ground, 'w') as f:
            f.write('#include <torch/torch.h>\n#include <nlohmann/json.hpp>\n')
        if any(needs_torch(h, seen) for h in headers):
            subprocess.run([CXX, *flags, '-x', 'c++-header', ground, '-o', ground + '.gch'], check=True)

        def check(header):
            tu = os.path.join(work, header.replace('/', '_') + '.cpp')
            with open(tu, 'w') as f:
                f.write(f'#include "{os.path.join(ROOT, header)}"\n')
            pch = ['-include', ground, '-Winvalid-pch'] if needs_torch(header, seen) else []
            r = subprocess.run([CXX, *flags, *pch, '-fsyntax-only', tu], capture_output=True, text=True)
            if r.returncode == 0:
                return None
            errors = [l for l in r.stderr.splitlines() if 'error' in l][:3]
            return f'not self-contained: {header}\n  ' + '\n  '.join(errors)

        with ThreadPoolExecutor(int(os.environ.get('JOBS', '2'))) as pool:
            failures = [f for f in pool.map(check, headers) if f]
    for f in failures:
        print(f, file=sys.stderr)
    torch_count = sum(1 for h in headers if seen.get(h))
    print(f'check_headers: {len(headers) - len(failures)} of {len(headers)} headers compile on their own '
          f'({torch_count} with libtorch precompiled) in {time.time() - start:.0f} s')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
