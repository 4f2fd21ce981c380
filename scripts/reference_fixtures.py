"""The tiny fixture models as the reference packages load them: the preamble the golden generators share
(scripts/rederive_seed_goldens.py, tests/pipeline/data/make_hires_rescale_goldens.py, make_fewstep_goldens.py,
make_webui_inpaint_goldens.py).

The fixture folders keep git symlinks as small text files naming their target (cmake/materialize_fixtures.cmake),
which diffusers and transformers cannot read: resolved_copy() copies a folder into a scratch directory with those
files replaced by their targets. The scratch directory is removed when the generator exits.

A generator outside scripts/ imports this module with scripts/ put on sys.path, e.g.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
    from reference_fixtures import load_pipeline, resolved_copy
"""
import atexit
import logging
import os
import shutil
import tempfile

import torch

# diffusers / transformers warn about the tiny configs (unused keys, small sizes); the generators' output is data.
logging.disable(logging.WARNING)

_scratch = []


def scratch_dir():
    """One scratch directory per process, removed at exit."""
    if not _scratch:
        _scratch.append(tempfile.mkdtemp(prefix="reference_fixtures_"))
        atexit.register(shutil.rmtree, _scratch[0], ignore_errors=True)
    return _scratch[0]


def resolved_copy(folder):
    """A copy of `folder` with every link placeholder (a one-line file of at most 1 KiB naming an existing file,
    relative to its own folder) replaced by the file it names; returns the copy's path."""
    out = tempfile.mkdtemp(dir=scratch_dir()) + "/model"
    shutil.copytree(folder, out)
    for root, _, files in os.walk(out):
        for name in files:
            path = os.path.join(root, name)
            if os.path.getsize(path) > 1024:
                continue
            text = open(path, "rb").read().decode("utf-8", "replace").strip()
            source_dir = os.path.realpath(os.path.join(folder, os.path.relpath(root, out)))
            target = os.path.normpath(os.path.join(source_dir, text))
            if "\n" not in text and text and os.path.isfile(target):
                shutil.copyfile(target, path)
    return out


def load_pipeline(cls, folder, **components):
    """cls.from_pretrained on a resolved copy of the fixture folder, float32, progress bar off; `components`
    (e.g. text_encoder_2=...) are passed through."""
    pipe = cls.from_pretrained(resolved_copy(folder), torch_dtype=torch.float32, **components)
    pipe.set_progress_bar_config(disable=True)
    return pipe
