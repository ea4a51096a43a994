#!/usr/bin/env bash
# Loader throughput: CAMKit's DataLoader (OpenCV decode + resize, 2 worker threads, float NCHW
# batches) vs a PyTorch DataLoader with PIL + torchvision Resize/ToTensor (2 worker processes),
# on the same JPEG files (500x375, quality 90), resized to 224. Prints images/s per epoch for
# both (epoch 0 includes start-up; later epochs read from a warm page cache) and the ratio of
# the best epochs.
# Usage: Benchmarks/loader_bench.sh [images=512] [epochs=3] [workers=2]
# Needs tools/.venv (torch, torchvision, pillow) from tools/requirements-torch.txt:
#   python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-torch.txt
# SCRATCH picks the SwiftPM build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-512}; epochs=${2:-3}; workers=${3:-2}
scratch=${SCRATCH:-.build}
py=${PYTHON:-tools/.venv/bin/python}
data=${TMPDIR:-/tmp}/camkit-loader-bench-$n
if [ ! -f "$data/annotations.csv" ]; then "$py" Benchmarks/loader_bench.py make "$data" "$n"; fi
swift build -c release --scratch-path "$scratch" --product camkit-bench >/dev/null
bench="$scratch/release/camkit-bench"
swift_linear=$("$bench" loader --threads 1 --spec "folder:$data" --batch 32 --size 224 --workers "$workers" --epochs "$epochs")
swift_area=$("$bench" loader --threads 1 --spec "folder:$data" --batch 32 --size 224 --workers "$workers" --epochs "$epochs" --interpolation area)
torch_out=$("$py" Benchmarks/loader_bench.py torch "$data" --size 224 --batch 32 --workers "$workers" --epochs "$epochs")
python3 - "$swift_linear" "$swift_area" "$torch_out" <<'PY'
import json, sys
runs = {"CAMKit (OpenCV linear)": sys.argv[1], "CAMKit (OpenCV area)": sys.argv[2], "PyTorch DataLoader + PIL": sys.argv[3]}
best = {}
for name, text in runs.items():
    rows = [json.loads(l) for l in text.strip().splitlines()]
    print(f"{name:26s} " + "  ".join(f"epoch {r['epoch']}: {r['images_per_s']:7.1f} img/s" for r in rows))
    best[name] = max(r["images_per_s"] for r in rows)
peer = best["PyTorch DataLoader + PIL"]
for name in list(best)[:2]:
    print(f"{name} / PyTorch+PIL (best epochs): {best[name] / peer:.2f}x")
PY
