#!/usr/bin/env bash
# make fuzz: builds the libFuzzer harnesses (Fuzz/Package.swift) into .build-fuzz, replays the kept
# crashers (Tests/Fixtures/fuzz/<target>/), then runs each target for FUZZ_SECONDS (default 60) from
# seeds made from the test fixtures, keeping what it finds under Tests/Fixtures/fuzz/<target>/, and
# prints each target's executions and coverage (libFuzzer's final cov/ft). Fails when any target
# crashes, times out or passes -rss_limit_mb. FUZZ_TARGETS="npy wsol" runs only those.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD=.build-fuzz
FLAGS=(--package-path Fuzz --build-path "$BUILD" -Xswiftc -sanitize=fuzzer)
ALL="tfrecord example npy safetensors mat image-header coco voc csv wsol keras-config keras-h5 keras-zip server-request"
TARGETS=${FUZZ_TARGETS:-$ALL}
F=Tests/Fixtures
# Swift's own backtracer would take the trap signal from libFuzzer, which then keeps no crasher.
export SWIFT_BACKTRACE=enable=no

start=$(date +%s)
"$SWIFT" build "${FLAGS[@]}" -j "${FUZZ_JOBS:-2}" || exit 1
bin=$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)
echo "fuzz build: $(($(date +%s) - start)) s"

# The seeds of one target, into $2: fixture files copied, several files joined as one input by
# "\n----\n" (the harnesses' parts()), or made by the harness itself (FUZZ_WRITE_SEEDS).
seed() {
    local t=$1 dir=$2
    join() { local first=1; for f in "$@"; do [ $first = 1 ] || printf '\n----\n'; cat "$f"; first=0; done; }
    case $t in
    tfrecord) cp $F/data/tfrecord/*.tfrecord "$dir" ;;
    example | keras-config) FUZZ_WRITE_SEEDS="$dir" "$bin/fuzz-$t" ;;
    npy) cp $F/imaging/color/addweighted_f32.npy $F/imaging/threshold/u8_otsu.npy $F/tutorial/resize.2x2.in.npy \
        $F/imaging/resize/u8_down.npy "$dir" ;;
    safetensors) cp $F/foundation/linear.safetensors $F/foundation/python_dtypes.safetensors "$dir"
        FUZZ_WRITE_SEEDS="$dir" "$bin/fuzz-$t" ;;
    mat) cp $F/data/stanford-cars/*.mat $F/data/stanford-cars/devkit/*.mat "$dir" ;;
    image-header) cp $F/imaging/*.png $F/imaging/*.webp $F/imaging/src.bmp $F/imaging/gray.jpg "$dir" ;;
    coco) cp $F/data/coco/instances.json "$dir" ;;
    voc) join $F/data/voc/ImageSets/Main/test.txt $F/data/voc/Annotations/2007_000001.xml >"$dir/a"
        join $F/data/voc/ImageSets/Main/test.txt $F/data/voc/Annotations/2007_000002.xml >"$dir/b" ;;
    csv) cp $F/data/folder/annotations.csv $F/data/stanford-cars/anno_*.csv "$dir" ;;
    wsol) (cd $F/data/wsol && join image_ids.txt class_labels.txt image_sizes.txt localization.txt) >"$dir/wsol" ;;
    keras-h5) cp $F/keras/keras3_native_dense.weights.h5 $F/keras-graph/sequential.h5 "$dir" ;;
    keras-zip) cp $F/keras-graph/sequential.keras "$dir" ;;
    server-request)
        printf '/api/explain?method=gradcam,cam&layer=layer4&class=1&score=softmax&threshold=0.3&truth=0.1,0.1,0.5,0.5;0,0,1,1&overlay=true\n' >"$dir/upload"
        cat $F/imaging/gray.png >>"$dir/upload"
        printf '/api/dataset/samples?offset=1&limit=2\n' >"$dir/page"
        printf '/api/explain?sample=2&maps=raw&normalize=minmax&colormap=jet&alpha=0.4\n' >"$dir/sample" ;;
    esac
}

# Whether the crash stack in log $1 reaches a third-party library before any frame of CAMKit's Sources/.
third_party() {
    awk '/^ *#[0-9]+ 0x/ { if ($0 ~ /\/Sources\//) exit 1; if ($0 ~ /libhdf5|libFoundationXML|libxml2/) { found = 1; exit 0 } }
         END { exit found ? 0 : 1 }' "$1"
}
third_party_name() { grep -m1 -oE 'libhdf5[^ )/]*|libFoundationXML|libxml2' "$1"; }

status=0
summary=()
for t in $TARGETS; do
    exe="$bin/fuzz-$t"
    keep="$F/fuzz/$t"
    corpus="$BUILD/corpus/$t"
    log="$BUILD/logs/$t.log"
    mkdir -p "$corpus" "$(dirname "$log")"
    opts=(-rss_limit_mb=2048 -timeout=20 -print_final_stats=1)
    # Regression: every kept crasher must now pass (one run each).
    if compgen -G "$keep/*" >/dev/null; then
        if ! "$exe" "${opts[@]}" "$keep"/* >"$log.replay" 2>&1; then
            echo "fuzz-$t: a kept crasher under $keep fails again (see $log.replay)"
            status=1
            summary+=("$(printf '%-15s %10s %7s %7s %5s  %s' "$t" - - - - "REPLAY FAILED")")
            continue
        fi
    fi
    [ -n "$(ls -A "$corpus")" ] || seed "$t" "$corpus"
    mkdir -p "$keep"
    began=$(date +%s)
    # A wall-clock guard: a crash inside libhdf5 can corrupt the heap so that libFuzzer's own crash
    # handler deadlocks (seen: SEGV in libhdf5, then "realloc(): invalid pointer" and a hang).
    timeout -s KILL $((SECONDS_EACH + 60)) "$exe" "${opts[@]}" -max_total_time="$SECONDS_EACH" -artifact_prefix="$keep/" "$corpus" >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - began))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
    result=ok
    if [ $rc -ne 0 ]; then
        found=$(ls -t "$keep" | head -1)
        if third_party "$log"; then
            # A crash inside libhdf5 or Foundation's XML parser before any CAMKit frame: theirs, kept apart.
            mkdir -p "$BUILD/third-party/$t"
            [ -n "$found" ] && [ "$rc" -ne 137 ] && mv "$keep/$found" "$BUILD/third-party/$t/"
            result="third-party crash ($(third_party_name "$log")): $BUILD/third-party/$t/$found"
        else
            status=1
            result="FOUND $keep/$found (rc $rc; see $log)"
        fi
    fi
    rmdir "$keep" 2>/dev/null
    summary+=("$(printf '%-15s %10s %7s %7s %5s  %s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${took}s" "$result")")
done
printf '\n%-15s %10s %7s %7s %5s  %s\n' target executions cov ft time result
printf '%s\n' "${summary[@]}"
echo "fuzz: $(($(date +%s) - start)) s in all"
exit $status
