#!/usr/bin/env bash
# Load run of `camkit serve` on loopback: 8 concurrent clients for 60 s (wrk, Debian's package),
# then a 20 s overload phase with a short queue to show the documented 503s.
#
# Each client posts an explain request, alternating between an uploaded 640x480 JPEG
# (Grad-CAM + LayerCAM at two layers: one forward, one backward, four maps) and a dataset
# sample (Grad-CAM at the last layer), and checks every status: 200 counts as success, 503 as
# the documented "queue full", anything else as an error. The server's RSS is sampled every
# second. Results: Benchmarks/RESULTS-web.md (written by hand from this script's output).
#
# Environment: SCRATCH (build folder, default .build), CAMKIT (a built camkit to use instead), MODEL (default: the e2e model that
# tools/web_e2e.sh trains), PORT (default 18090), DURATION (default 60), CLIENTS (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
PORT=${PORT:-18090}
DURATION=${DURATION:-60}
CLIENTS=${CLIENTS:-8}
MODEL=${MODEL:-tools/.web-e2e/model/best.safetensors}
DATASET="synthetic:seed=11,classes=8,train=0,test=48,size=128:test"
OUT=${OUT:-tools/.web-e2e/load}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
need=""
command -v wrk > /dev/null || need="wrk"
convert -version 2>/dev/null | grep -q ImageMagick || need="$need imagemagick"
if [ -n "$need" ]; then $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need; fi
[ -f "$MODEL" ] || { echo "no model at $MODEL: run tools/web_e2e.sh once (it trains one) or set MODEL"; exit 1; }
if [ -z "${CAMKIT:-}" ]; then
  swift build -c release --scratch-path "$SCRATCH" --product camkit
  CAMKIT="$SCRATCH/release/camkit"
fi
mkdir -p "$OUT"

serve() {  # serve QUEUE LOG
  "$CAMKIT" serve --model "$MODEL" --dataset "$DATASET" --port "$PORT" --queue "$1" --threads 2 > "$2" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$PORT/api/health" > /dev/null 2>&1 && return 0
    kill -0 $SERVER 2>/dev/null || { cat "$2"; exit 1; }
    sleep 0.2
  done
  echo "server did not start"; exit 1
}
stop() { kill -INT $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; }
trap stop EXIT

sample_rss() {  # sample_rss PID FILE: "seconds rss_kib" every second while PID lives
  local t=0
  while kill -0 "$1" 2>/dev/null; do
    echo "$t $(awk '/VmRSS/ {print $2}' /proc/$1/status 2>/dev/null || echo 0)" >> "$2"
    sleep 1; t=$((t + 1))
  done
}

cat > "$OUT/explain.lua" <<'EOF'
-- Alternates an upload (4 maps) and a dataset sample (1 map); counts statuses per thread.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  local f = assert(io.open(args[1], "rb")); upload = f:read("*all"); f:close()
  ok, busy, other, n = 0, 0, 0, 0
end
function request()
  n = n + 1
  if n % 2 == 1 then
    return wrk.format("POST", "/api/explain?methods=gradcam,layercam&layers=layer3,layer4&threshold=0.3",
                      {["Content-Type"] = "image/jpeg"}, upload)
  end
  return wrk.format("POST", "/api/explain?sample=" .. (n % 48), {}, "")
end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other") end
  io.write(string.format("STATUS ok=%d busy503=%d other=%d socket_errors=%d\n", o, b, x,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do io.write(string.format("LATENCY p%s=%.1fms\n", p, latency:percentile(p) / 1000)) end
  io.write(string.format("LATENCY max=%.1fms mean=%.1fms\n", latency.max / 1000, latency.mean / 1000))
end
EOF

run_phase() {  # run_phase NAME QUEUE SECONDS
  local name=$1 queue=$2 seconds=$3
  serve "$queue" "$OUT/serve-$name.log"
  # The upload: dataset sample 0 as a photo-sized (640x480) JPEG.
  curl -fsS "http://127.0.0.1:$PORT/api/dataset/samples/0/image" -o "$OUT/sample0.png"
  convert "$OUT/sample0.png" -resize '640x480!' -quality 90 "$OUT/upload.jpg"
  # Warm up (first passes allocate), then measure.
  for i in 1 2 3; do curl -fsS -X POST --data-binary @"$OUT/upload.jpg" "http://127.0.0.1:$PORT/api/explain" > /dev/null; done
  # One client alone: the service time of each request kind (median of 10).
  for kind in upload sample; do
    for i in $(seq 1 10); do
      if [ $kind = upload ]; then
        curl -fsS -o /dev/null -w '%{time_total}\n' -X POST -H 'Content-Type: image/jpeg' --data-binary @"$OUT/upload.jpg" \
          "http://127.0.0.1:$PORT/api/explain?methods=gradcam,layercam&layers=layer3,layer4&threshold=0.3"
      else
        curl -fsS -o /dev/null -w '%{time_total}\n' -X POST "http://127.0.0.1:$PORT/api/explain?sample=$i"
      fi
    done | sort -n | awk -v k=$kind '{a[NR] = $1} END {printf "ALONE %s: median %.1f ms, min %.1f ms, max %.1f ms\n", k, 1000 * a[int((NR + 1) / 2)], 1000 * a[1], 1000 * a[NR]}'
  done
  rm -f "$OUT/rss-$name.txt"
  sample_rss $SERVER "$OUT/rss-$name.txt" &
  local sampler=$!
  wrk -t 2 -c "$CLIENTS" -d "${seconds}s" --timeout 30s --latency -s "$OUT/explain.lua" "http://127.0.0.1:$PORT" -- "$OUT/upload.jpg" \
    | tee "$OUT/wrk-$name.txt"
  curl -fsS "http://127.0.0.1:$PORT/api/health"; echo
  sleep 2
  stop
  wait $sampler 2>/dev/null || true
  awk -v name="$name" 'NR == 1 {first = $2} {last = $2; if ($2 > max) max = $2} NR == 6 {warm = $2}
    END {printf "RSS %s: start %.1f MiB, after 5 s %.1f MiB, end %.1f MiB, max %.1f MiB (%d samples)\n",
         name, first / 1024, warm / 1024, last / 1024, max / 1024, NR}' "$OUT/rss-$name.txt"
}

echo "== phase 1: $CLIENTS clients, ${DURATION} s, default queue (8)"
run_phase steady 8 "$DURATION"
echo "== phase 2: $CLIENTS clients, 20 s, --queue 2 (overload: 503 with Retry-After expected)"
run_phase overload 2 20
