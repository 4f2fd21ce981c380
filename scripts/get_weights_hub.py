"""get_weights_hub.py REPO FILE DEST: puts one file of a Hugging Face repository at DEST (for get-weights.sh).

Takes it from the Hugging Face cache when it is there (no network), else downloads it with huggingface_hub
into DEST's folder (resumable: the partial file stays under DEST's folder/.cache/huggingface/ between runs).
HF_TOKEN, HF_ENDPOINT, HF_HOME/HF_HUB_CACHE and HF_HUB_OFFLINE are read by huggingface_hub itself.
Prints the sha256 the hub reports for the file (its Git LFS object id) on stdout, or nothing for a file that is
not stored with LFS; errors are one line on stderr and exit status 3.
"""
import os
import re
import shutil
import sys

from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url, try_to_load_from_cache
from huggingface_hub.utils import GatedRepoError, RepositoryNotFoundError, EntryNotFoundError

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def fail(message):
    print(f"get-weights: {message}", file=sys.stderr)
    sys.exit(3)


def place(source, dest):
    """Hard-links (same file system) or copies the cached file to DEST, atomically."""
    source = os.path.realpath(source)  # the cache's snapshot entries are symlinks to its blobs
    tmp = dest + ".tmp-get-weights"
    if os.path.exists(tmp):
        os.remove(tmp)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


def main():
    repo, filename, dest = sys.argv[1:4]
    if os.path.basename(dest) != os.path.basename(filename):
        fail(f"{dest}: the local name must be the repository's ({filename})")
    cached = try_to_load_from_cache(repo, filename)
    if isinstance(cached, str) and os.path.isfile(cached):
        # The cache stores each file under its etag, which for LFS files is the sha256.
        etag = os.path.basename(os.path.realpath(cached))
        print(f"get-weights: {dest}: from the Hugging Face cache ({cached})", file=sys.stderr)
        place(cached, dest)
        print(etag if SHA256.match(etag) else "")
        return
    what = f"{repo}/{filename}"
    try:
        etag = get_hf_file_metadata(hf_hub_url(repo, filename)).etag or ""
        print(f"get-weights: downloading {what} -> {dest}", file=sys.stderr)
        hf_hub_download(repo, filename, local_dir=os.path.dirname(dest) or ".")
    except GatedRepoError:
        fail(f"{what}: the repository is gated: accept its licence on the model page and set HF_TOKEN")
    except RepositoryNotFoundError:
        fail(f"{what}: repository not found (or private: set HF_TOKEN)")
    except EntryNotFoundError:
        fail(f"{what}: no such file in the repository")
    except KeyboardInterrupt:
        fail(f"{what}: interrupted; run the same command again to resume")
    except Exception as e:  # network errors of every kind: one line, the caller exits non-zero
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        fail(f"{what}: download failed: {detail}")
    etag = etag.strip('"').lower()
    print(etag if SHA256.match(etag) else "")


if __name__ == "__main__":
    main()
