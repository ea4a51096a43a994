#!/usr/bin/env bash
# Renders a `camkit report` in headless Chromium and checks it: `bash tools/check_report.sh`.
#
# Installs Debian's chromium (and pngquant) when missing, builds camkit, trains a tiny model on
# the synthetic set (cached in $WORK), evaluates CAM and Grad-CAM at three layers, writes the
# report with the training curves, then:
#   - chromium --dump-dom + tools/check_report.py: table, charts, every image and link resolve
#     inside the report folder (PNG sizes as stated), no script, nothing from the network;
#   - screenshots at desktop and phone width: docs/img/report.png and docs/img/report-phone.png.
#
# Environment: SCRATCH (build folder, default .build), WORK (default ${TMPDIR:-/tmp}/camkit-report-check),
# REPORT (check this report folder instead of making one), SHOTS (default docs/img).
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
WORK=${WORK:-${TMPDIR:-/tmp}/camkit-report-check}
SHOTS=${SHOTS:-docs/img}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
DATA="synthetic:seed=0,classes=4,train=400,test=100,size=64"

need=""
for p in chromium pngquant fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  echo "installing:$need"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need
fi
mkdir -p "$WORK" "$SHOTS"

if [ -z "${REPORT:-}" ]; then
  swift build --scratch-path "$SCRATCH" --product camkit
  CAMKIT="$SCRATCH/debug/camkit"
  if [ ! -f "$WORK/train/best.safetensors" ]; then
    "$CAMKIT" train --dataset "$DATA" --arch small --epochs 3 --image-size 64 --out "$WORK/train" > "$WORK/train.log"
    tail -n 2 "$WORK/train.log"
  fi
  "$CAMKIT" evaluate --dataset "$DATA:test" --model "$WORK/train/best.safetensors" --method cam gradcam \
    --layer layer4 layer3 layer2 --threshold-interval 0.01 --overwrite --out "$WORK/eval"
  "$CAMKIT" report "$WORK/eval" --training "$WORK/train"
  REPORT="$WORK/eval/report"
fi
REPORT=$(cd "$REPORT" && pwd)

CHROME=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files)
"${CHROME[@]}" --dump-dom "file://$REPORT/index.html" > "$WORK/dom.html" 2> "$WORK/chromium.log"
python3 tools/check_report.py "$REPORT" "$WORK/dom.html"

"${CHROME[@]}" --window-size=1200,1500 --screenshot="$WORK/report.png" "file://$REPORT/index.html" 2>> "$WORK/chromium.log"
"${CHROME[@]}" --window-size=390,1400 --force-device-scale-factor=1 --screenshot="$WORK/report-phone.png" \
  "file://$REPORT/index.html" 2>> "$WORK/chromium.log"
for f in report report-phone; do
  pngquant --force --skip-if-larger --quality 60-90 --output "$SHOTS/$f.png" "$WORK/$f.png" || cp "$WORK/$f.png" "$SHOTS/$f.png"
done
ls -l "$SHOTS"/report*.png
