#!/usr/bin/env bash
# The Swift layer's cost: a ResNet50 forward through CAMKit's Swift API vs the same ops written
# directly in C++ against libtorch, same thread count, same run. Prints both and the ratio.
# Usage: Benchmarks/forward_overhead.sh [iters] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-10}; threads=${2:-2}
mkdir -p Benchmarks/bin
g++ -O2 -std=c++17 -I/usr/include/torch/csrc/api/include Benchmarks/cpp/resnet50_forward.cpp \
    -ltorch -ltorch_cpu -lc10 -o Benchmarks/bin/resnet50_forward
swift build -c release --product camkit-bench >/dev/null
for batch in 1 16; do
  cpp=$(Benchmarks/bin/resnet50_forward "$batch" "$iters" "$threads")
  # The literal layers and glibc defaults, as the C++ program runs them (no folding, no channels-last).
  swift=$(.build/release/camkit-bench forward --arch resnet50 --batch "$batch" --iters "$iters" --threads "$threads" --optimize off --allocator system)
  python3 - "$cpp" "$swift" <<'PY'
import json, sys
c, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"batch {c['batch']:>2}: C++ {c['median_ms']:9.1f} ms   Swift {s['median_ms']:9.1f} ms   Swift/C++ {s['median_ms']/c['median_ms']:.3f}")
PY
done
