#!/usr/bin/env python3
"""Runs every `build/sdxl-gen ...` command of README.md's ```sh blocks, as written, in a scratch folder where
`build/` is the built executable's folder and `tests/` the checkout's (the examples use the tiny model and the test
fixtures), and fails naming each command that exits non-zero. A block right after the line
`<!-- readme-examples: skip (REASON) -->` is not run (the real weights, a cluster, the server).

Usage: scripts/readme_examples.py [--sdxl-gen build/sdxl-gen] [--list] [README]
"""
import argparse, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP = re.compile(r'<!--\s*readme-examples:\s*skip\b')


def examples(readme):
    """(line number, command) for each build/sdxl-gen command outside skipped blocks; `\\` continues a line."""
    out, fence, skip_next, skip, pending = [], False, False, False, None
    for number, line in enumerate(open(readme, encoding='utf-8').read().splitlines(), 1):
        if line.startswith('```'):
            fence = not fence
            skip = fence and skip_next
            skip_next = False
            continue
        if not fence:
            skip_next = bool(SKIP.search(line)) or (skip_next and not line.strip())
            continue
        if pending:
            pending[1] += '\n' + line
        elif not skip and (line.startswith('build/sdxl-gen') or ' && build/sdxl-gen' in line):
            pending = [number, line[line.index('build/sdxl-gen'):]]  # after `scripts/bootstrap.sh && `
        if pending and not line.rstrip().endswith('\\'):
            out.append(tuple(pending))
            pending = None
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sdxl-gen', default=os.environ.get('SDXL_GEN', os.path.join(ROOT, 'build', 'sdxl-gen')))
    ap.add_argument('--list', action='store_true', help='print the commands, run nothing')
    ap.add_argument('readme', nargs='?', default=os.path.join(ROOT, 'README.md'))
    args = ap.parse_args()
    commands = examples(args.readme)
    if args.list:
        for number, command in commands:
            print(f'README.md:{number}: {command}')
        return 0
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        os.symlink(os.path.dirname(os.path.abspath(args.sdxl_gen)), os.path.join(work, 'build'))
        os.symlink(os.path.join(ROOT, 'tests'), os.path.join(work, 'tests'))
        for number, command in commands:
            start = time.time()
            r = subprocess.run(['bash', '-c', command], cwd=work, capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, OMP_WAIT_POLICY='PASSIVE'))
            status = 'ok' if r.returncode == 0 else f'FAIL (exit {r.returncode})'
            print(f'{status:>14}  {time.time() - start:5.1f} s  README.md:{number}: {command.splitlines()[0]}', flush=True)
            if r.returncode != 0:
                failures += 1
                print('\n'.join('      ' + l for l in r.stderr.strip().splitlines()[-5:]), file=sys.stderr)
    print(f'readme_examples: {len(commands) - failures} of {len(commands)} README commands ran')
    return 1 if failures or not commands else 0


if __name__ == '__main__':
    sys.exit(main())
