#!/usr/bin/env bash
# `make bench`: CAMKit and its PyTorch peers side by side in one run (Benchmarks/peers.py), on the
# same weights, inputs and thread count; prints the table and writes Benchmarks/RESULTS.md.
# Needs a quiet machine: anything else running (a build) distorts every ratio.
# With CAMKIT_LIBTORCH set (a libtorch root, e.g. a torch 2.x wheel's `torch` folder), also builds
# camkit-bench against it (.build-torch2) and adds its rows beside the Debian build's.
# Python side: tools/.venv, created from tools/requirements-gradcam.txt (pinned torch, torchvision,
# grad-cam, torchcam, opencv-python-headless, safetensors, pillow) when it lacks one of them.
# Usage: Benchmarks/bench.sh [--threads N] [--iters N] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=tools/.venv
if ! "$venv/bin/python" -c "import torch, torchvision, pytorch_grad_cam, torchcam, cv2, safetensors, PIL" 2>/dev/null; then
  echo "setting up $venv from tools/requirements-gradcam.txt (torch, torchvision, grad-cam, torchcam, opencv, safetensors from PyPI)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r tools/requirements-gradcam.txt
fi
other=()
if [ -n "${CAMKIT_LIBTORCH:-}" ]; then
  swift build -c release --scratch-path .build-torch2 --product camkit-bench
  version=$(sed -n 's/^__version__ = .\(.*\).$/\1/p' "$CAMKIT_LIBTORCH/version.py" 2>/dev/null || true)
  export CAMKIT_OTHER_LIBTORCH_NAME="libtorch ${version:-from $CAMKIT_LIBTORCH}"
  other=(--other-libtorch .build-torch2/release/camkit-bench)
fi
env -u CAMKIT_LIBTORCH swift build -c release --product camkit-bench
env -u CAMKIT_LIBTORCH swift build -c release --product camkit
mkdir -p Benchmarks/.work
cc -O3 -funroll-loops -fopenmp Benchmarks/peak/fma_peak.c -o Benchmarks/.work/fma_peak
"$venv/bin/python" Benchmarks/peers.py run "${other[@]}" "$@"
