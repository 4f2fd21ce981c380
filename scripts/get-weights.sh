#!/usr/bin/env bash
# scripts/get-weights.sh [base] [refiner] [vae-fp16-fix] [taesdxl] [--dir weights] [--verify-only] [--setup]
#
# Downloads the official SDXL 1.0 files with the Hugging Face client (huggingface_hub from PyPI, in a small
# pinned virtual environment, .venv-weights/) and verifies each one's sha256 against the published value in
# data/official-weights.tsv (sources: weights/README.md); files without a pinned value are checked against the
# sha256 the hub reports for them (their Git LFS object id). A wrong or truncated file is named and removed.
#
# Downloads resume (huggingface_hub keeps the partial file under DIR/.cache/huggingface/), HF_TOKEN and
# HF_ENDPOINT are honoured, and a file already in the Hugging Face cache (HF_HOME / HF_HUB_CACHE) is taken
# from there. Files already in DIR with the right size and sha256 are not fetched again.
#
# Exit codes: 0 every file present and verified; 1 a file failed verification (it was removed); 2 bad
# arguments; 3 the hub cannot be reached or a download failed (one line; without network in seconds).
# --verify-only checks what is in DIR without touching the network (1 for a missing file too); --setup only
# creates the client's virtual environment (CI does it once so that the tests can use it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HUB_VERSION=0.25.2  # huggingface_hub, pinned (the version the reference environment uses)
TABLE="${SDXL_WEIGHTS_TABLE:-$ROOT/data/official-weights.tsv}"  # tests point this at a table of small files
VENV="${SDXL_WEIGHTS_VENV:-$ROOT/.venv-weights}"
ENDPOINT="${HF_ENDPOINT:-https://huggingface.co}"

die() { echo "get-weights: $2" >&2; exit "$1"; }

dir=weights verify_only=0 setup_only=0 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || die 2 "--dir needs a folder"; dir="$2"; shift 2 ;;
    --dir=*) dir="${1#--dir=}"; shift ;;
    --verify-only) verify_only=1; shift ;;
    --setup) setup_only=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die 2 "unknown option '$1' (see --help)" ;;
    *) targets+=("$1"); shift ;;
  esac
done
# The pinned client, in its own small venv (created once; offline reruns reuse it).
setup_venv() {
  "$VENV/bin/python" -c "import huggingface_hub, sys; sys.exit(huggingface_hub.__version__ != '$HUB_VERSION')" 2>/dev/null && return
  echo "get-weights: installing huggingface_hub==$HUB_VERSION into $VENV"
  python3 -m venv "$VENV" || die 3 "cannot create the virtual environment $VENV (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install -q --retries 1 --timeout 15 "huggingface_hub==$HUB_VERSION" >/dev/null 2>&1 ||
    die 3 "cannot install huggingface_hub==$HUB_VERSION from PyPI into $VENV (no network?)"
}
if [ "$setup_only" = 1 ]; then setup_venv; exit 0; fi
[ -r "$TABLE" ] || die 2 "cannot read the file table $TABLE"
known=$(grep -v '^#' "$TABLE" | cut -f1 | sort -u | tr '\n' ' ')
[ ${#targets[@]} -gt 0 ] || targets=(base)
for t in "${targets[@]}"; do
  [[ " $known" == *" $t "* ]] || die 2 "unknown model '$t' (known: ${known% })"
done

# The table rows of the chosen targets: target repo repo_file local size sha256
rows=()
for t in "${targets[@]}"; do
  while IFS=$'\t' read -r target repo file local size sha; do
    [ "$target" = "$t" ] && rows+=("$target"$'\t'"$repo"$'\t'"$file"$'\t'"$local"$'\t'"$size"$'\t'"$sha")
  done < <(grep -v '^#' "$TABLE")
done

file_size() { stat -c %s "$1"; }

# verify PATH SIZE SHA256 [HUB_SHA256]: 0 when right; else names the file, removes it and returns 1.
verify() {
  local path="$1" size="$2" want="$3" hub="${4:-}"
  [ "$want" != "-" ] || want="$hub"
  if [ "$size" != "-" ] && [ "$(file_size "$path")" -lt "$size" ]; then
    echo "get-weights: $path is truncated ($(file_size "$path") of $size bytes): removed" >&2
    rm -f -- "$path"; return 1
  fi
  if [ "$size" != "-" ] && [ "$(file_size "$path")" -ne "$size" ]; then
    echo "get-weights: $path has $(file_size "$path") bytes, the official file $size: removed" >&2
    rm -f -- "$path"; return 1
  fi
  if [ -z "$want" ] || [ "$want" = "-" ]; then
    echo "get-weights: $path: present (no published sha256 pinned for it; checked against the hub's at download)"
    return 0
  fi
  local got
  got=$(sha256sum -- "$path" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    echo "get-weights: $path: sha256 $got, expected $want (corrupt or not the official file): removed" >&2
    rm -f -- "$path"; return 1
  fi
  echo "get-weights: $path: sha256 ok"
}

if [ "$verify_only" = 1 ]; then
  rc=0
  for row in "${rows[@]}"; do
    IFS=$'\t' read -r target repo file local size sha <<<"$row"
    if [ ! -f "$dir/$local" ]; then echo "get-weights: $dir/$local: missing ($target)" >&2; rc=1; continue; fi
    [[ "$local" == *.json ]] && continue
    verify "$dir/$local" "$size" "$sha" || rc=1
  done
  exit $rc
fi

# Files already in DIR with a pinned size and sha256 that match need no network.
todo=()
for row in "${rows[@]}"; do
  IFS=$'\t' read -r target repo file local size sha <<<"$row"
  if [ -f "$dir/$local" ] && [ "$sha" != "-" ] && [ "$(file_size "$dir/$local")" = "$size" ] &&
     [ "$(sha256sum -- "$dir/$local" | cut -d' ' -f1)" = "$sha" ]; then
    echo "get-weights: $dir/$local: already there, sha256 ok"
  else
    todo+=("$row")
  fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

# Fail in seconds without network: resolve and connect to the endpoint (stdlib only, before any venv work).
# A file already in the Hugging Face cache needs no network; the helper below finds it offline.
if [ "${HF_HUB_OFFLINE:-0}" != 1 ]; then
  probe=$(python3 - "$ENDPOINT" <<'EOF' 2>&1
import socket, sys, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
host, port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
result = {}
def run():
    try:
        socket.create_connection((host, port), timeout=5).close()
        result["ok"] = True
    except OSError as e:
        result["err"] = e.strerror or str(e)
t = threading.Thread(target=run, daemon=True)
t.start(); t.join(6)  # name resolution has no timeout of its own
if not result.get("ok"):
    print(result.get("err", "no answer in 6 s"))
    sys.exit(1)
EOF
  ) || die 3 "cannot reach $ENDPOINT ($probe): no network? set HF_ENDPOINT for a mirror, or HF_HUB_OFFLINE=1 to use the Hugging Face cache"
fi

setup_venv

rc=0
for row in "${todo[@]}"; do
  IFS=$'\t' read -r target repo file local size sha <<<"$row"
  mkdir -p "$dir/$(dirname "$local")"
  hub_sha=$("$VENV/bin/python" "$ROOT/scripts/get_weights_hub.py" "$repo" "$file" "$dir/$local") || exit 3
  [[ "$local" == *.json ]] && { echo "get-weights: $dir/$local: ok"; continue; }
  if [ "$sha" != "-" ] && [ -n "$hub_sha" ] && [ "$hub_sha" != "$sha" ]; then
    echo "get-weights: warning: the hub reports sha256 $hub_sha for $repo/$file, the published value is $sha" >&2
  fi
  verify "$dir/$local" "$size" "$sha" "$hub_sha" || rc=1
done
exit $rc
