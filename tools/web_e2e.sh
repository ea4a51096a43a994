#!/usr/bin/env bash
# End-to-end test of `camkit serve` in headless Chromium: `make web-e2e` (or run this by hand).
#
# Installs what is missing (Debian's chromium and chromium-driver; selenium from PyPI, pinned in
# tools/requirements-web.txt, in the git-ignored venv tools/.venv-web), builds camkit, makes a
# small model if none is given (CAMKit's `small` ResNet trained for a few epochs on the synthetic
# localisation set, cached in tools/.web-e2e/), serves it with a synthetic dataset on loopback,
# runs tools/web_e2e.py and writes docs/img/web.png (desktop) and docs/img/web-phone.png (phone width).
#
# Environment: SCRATCH (build folder, default .build), MODEL (a model file to serve instead),
# PORT (default 18089), SHOTS (screenshot folder, default docs/img).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=${SCRATCH:-.build}
PORT=${PORT:-18089}
SHOTS=${SHOTS:-docs/img}
WORK=tools/.web-e2e
VENV=tools/.venv-web
DATASET="synthetic:seed=11,classes=8,train=2400,test=48,size=128:test"
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

need=""
for p in chromium chromium-driver pngquant; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  echo "installing:$need"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need fonts-dejavu-core
fi
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/python" -c "import selenium" 2>/dev/null || "$VENV/bin/pip" install -q -r tools/requirements-web.txt

swift build --scratch-path "$SCRATCH" --product camkit
swift build --scratch-path "$SCRATCH" --product camkit-serve
CAMKIT="$SCRATCH/debug/camkit"
mkdir -p "$WORK" "$SHOTS"

if [ -z "${MODEL:-}" ]; then
  MODEL="$WORK/model/best.safetensors"
  if [ ! -f "$MODEL" ]; then
    echo "training a small model on the synthetic set (once; cached in $WORK/model)"
    "$CAMKIT" train --dataset "synthetic:seed=11,classes=8,train=2400,test=48,size=128" --arch small --image-size 128 \
      --epochs 6 --batch-size 32 --lr 0.05 --momentum 0.9 --schedule cosine --augment --out "$WORK/model" > "$WORK/train.log"
    tail -n 3 "$WORK/train.log"
  fi
fi

LOG="$WORK/serve.log"
"$CAMKIT" serve --model "$MODEL" --dataset "$DATASET" --port "$PORT" > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/api/health" > /dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { cat "$LOG"; exit 1; }
  sleep 0.2
done
head -n 1 "$LOG"

# An upload that is not a dataset image: test sample 5, re-encoded as a JPEG file.
IMAGE="$ROOT/$WORK/upload.jpg"
curl -fsS "http://127.0.0.1:$PORT/api/dataset/samples/5/thumbnail?size=128" -o "$IMAGE"

"$VENV/bin/python" tools/web_e2e.py "http://127.0.0.1:$PORT" "$IMAGE" "$SHOTS/web.png" "$SHOTS/web-phone.png"
# Keep the committed screenshots small (lossy palette; the page is flat colours and maps).
for f in "$SHOTS/web.png" "$SHOTS/web-phone.png"; do pngquant --force --skip-if-larger --quality 60-90 --output "$f" "$f" || true; done
ls -l "$SHOTS"/web*.png
