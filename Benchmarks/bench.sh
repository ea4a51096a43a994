#!/usr/bin/env bash
# `make bench`: CAMKit and its PyTorch peers side by side in one run (Benchmarks/peers.py), on the
# same weights, inputs and thread count; prints the table and writes Benchmarks/RESULTS.md.
# Needs a quiet machine: anything else running (a build) distorts every ratio.
# With CAMKIT_LIBTORCH set (a libtorch root, e.g. a torch 2.x wheel's `torch` folder), also builds
# camkit-bench against it (.build-torch2) and adds its rows beside the Debian build's.
# Python side: tools/.venv, created from tools/requirements-gradcam.txt (pinned torch, torchvision,
# grad-cam, torchcam, opencv-python-headless, safetensors, pillow) when it lacks one of them.
# Then CAMKit vs TensorFlow on Keras graph models (MobileNetV2, EfficientNetB0: Benchmarks/keras_peers.py,
# writes Benchmarks/RESULTS-keras.md) in tools/.venv-tf, created from tools/requirements-tensorflow.txt
# when it lacks TensorFlow, Keras, h5py or safetensors; CAMKIT_TF_PYTHON names another interpreter
# with those instead (nothing is installed then). CAMKIT_BENCH_KERAS=0 skips the Keras rows,
# CAMKIT_BENCH_KERAS=only runs them alone (no PyTorch peers, no tools/.venv). CAMKIT_BASELINE_REV=<rev>
# builds camkit-bench at that commit (a git worktree in .build-baseline) and times its ResNet50 rows
# beside this build's in the Keras step: a regression check in one run.
# Usage: Benchmarks/bench.sh [--threads N] [--iters N] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
keras=${CAMKIT_BENCH_KERAS:-1}
venv=tools/.venv
if [ "$keras" != only ] && ! "$venv/bin/python" -c "import torch, torchvision, pytorch_grad_cam, torchcam, cv2, safetensors, PIL" 2>/dev/null; then
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
if [ "$keras" != only ]; then
  cc -O3 -funroll-loops -fopenmp Benchmarks/peak/fma_peak.c -o Benchmarks/.work/fma_peak
  "$venv/bin/python" Benchmarks/peers.py run "${other[@]}" "$@"
fi
if [ "$keras" != 0 ]; then
  tf_python=${CAMKIT_TF_PYTHON:-tools/.venv-tf/bin/python}
  if [ -z "${CAMKIT_TF_PYTHON:-}" ] && ! "$tf_python" -c "import tensorflow, keras, h5py, safetensors" 2>/dev/null; then
    echo "setting up tools/.venv-tf from tools/requirements-tensorflow.txt (tensorflow-cpu, keras, h5py, safetensors from PyPI)"
    python3 -m venv tools/.venv-tf
    tools/.venv-tf/bin/pip install -q -r tools/requirements-tensorflow.txt
  fi
  baseline=()
  if [ -n "${CAMKIT_BASELINE_REV:-}" ]; then
    rev=$(git rev-parse --short "$CAMKIT_BASELINE_REV")
    [ -d .build-baseline/src ] || git worktree add --detach .build-baseline/src "$rev"
    git -C .build-baseline/src checkout -q --detach "$rev"
    (cd .build-baseline/src && env -u CAMKIT_LIBTORCH swift build -c release --product camkit-bench)
    baseline=(--baseline .build-baseline/src/.build/release/camkit-bench --baseline-name "at $rev")
  fi
  "$tf_python" Benchmarks/keras_peers.py run "${baseline[@]}" "$@"
fi
