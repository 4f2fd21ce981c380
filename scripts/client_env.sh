#!/usr/bin/env bash
# The HTTP clients the server tests (tests/server/) drive sdxl-gen serve with: the web UI's `webuiapi`, the
# official `openai` client and `selenium` (driving Debian's chromium + chromium-driver for the page test),
# and PyYAML (examples/kubernetes syntax), pinned, in a small virtual environment .venv-clients beside the heavy reference one. Idempotent: re-running
# installs nothing when the pins are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PINS=(webuiapi==0.9.17 openai==3.63.0 selenium==4.35.0 PyYAML==6.0.2)
if [ ! -x .venv-clients/bin/python ]; then python3 -m venv .venv-clients; fi
if ! .venv-clients/bin/python - "${PINS[@]}" <<'PY' 2>/dev/null; then
import importlib.metadata as m, sys
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    assert m.version(name) == version, pin
PY
  echo "client_env: installing ${PINS[*]} into .venv-clients"
  .venv-clients/bin/pip install -q "${PINS[@]}"
fi
