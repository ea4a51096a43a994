# CAMKit: `make demo` and `make test` set up what they need (Debian packages), build and run.
SHELL := /bin/bash
APT_PACKAGES := libtorch-dev libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libhdf5-dev libsqlite3-dev zlib1g-dev libeigen3-dev libjpeg62-turbo-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift
CAMKIT := .build/release/camkit

.PHONY: deps build serve test demo bench clean web-e2e format format-check fuzz test-asan

## Install the Debian packages that are missing (a no-op when all are present).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product camkit

## The web app (`camkit serve` runs this executable, built next to camkit).
serve: build
	$(SWIFT) build -c release --product camkit-serve

## Run the whole test suite (a target importing a stage it does not depend on fails the build). Serial: the server's timeout and queue tests measure wall time, and
## on 2 cores the parallel suites starve them (the whole run takes about 70 s either way).
## With TEST_FUZZ_SECONDS=N (e.g. 3), then every fuzz target for N s. Off by default: a libhdf5 crash
## inside the keras-h5 target once hung libFuzzer's handler; the kept crashers run as normal tests
## (FuzzRegressionTests) either way.
TEST_FUZZ_SECONDS ?= 0
test: deps format-check
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build --no-parallel
	@if [ "$(TEST_FUZZ_SECONDS)" != 0 ]; then FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh; fi

## libFuzzer on every parser (Fuzz/, built into .build-fuzz): FUZZ_SECONDS each (default 60),
## FUZZ_TARGETS="npy wsol" for some; crashers are kept under Tests/Fixtures/fuzz/<target>/.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh

## The test suite under AddressSanitizer (Swift and C/C++) and UndefinedBehaviorSanitizer (the C++ shims:
## swiftc has no -sanitize=undefined on Linux) in .build-asan; libtorch and OpenCV are not
## instrumented and their reports are suppressed (tools/sanitizers/*.supp). ASAN_TESTS='Suite1|Suite2'
## runs only those suites (swift test --filter).
SANITIZE := --sanitize=address --build-path .build-asan
SANITIZE_CXX := -Xcc -fsanitize=address,undefined -Xcxx -fsanitize=address,undefined
test-asan: deps
	$(SWIFT) build --build-tests $(SANITIZE) $(SANITIZE_CXX)
	SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:allocator_may_return_null=1:suppressions=$(CURDIR)/tools/sanitizers/asan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$(CURDIR)/tools/sanitizers/ubsan.supp \
	  $(SWIFT) test --skip-build --no-parallel $(SANITIZE) $(if $(ASAN_TESTS),--filter '$(ASAN_TESTS)')

## The Swift sources laid out by the toolchain's swift-format (.swift-format: layout only).
FORMATTED := Sources Tests Benchmarks/CAMKitBench Package.swift Fuzz/Sources Fuzz/Package.swift
format:
	$(SWIFT) format format --in-place --recursive --parallel $(FORMATTED)

## Fails, listing the places, where a Swift file is not as `make format` would lay it out.
format-check:
	@$(SWIFT) format lint --strict --recursive --parallel $(FORMATTED) || { echo "not formatted: run make format"; exit 1; }

## The main job on the embedded default.
demo: build
	$(CAMKIT) demo

## CAMKit vs pytorch-grad-cam, torchcam and PyTorch on this machine (a quiet one): prints the
## table of times and ratios, writes Benchmarks/RESULTS.md. Sets up tools/.venv from PyPI
## (tools/requirements-gradcam.txt). Then CAMKit vs TensorFlow/Keras on keras.applications
## MobileNetV2 and EfficientNetB0 (Benchmarks/keras_peers.py): writes Benchmarks/RESULTS-keras.md,
## sets up tools/.venv-tf (tools/requirements-tensorflow.txt) unless CAMKIT_TF_PYTHON names an
## interpreter with TensorFlow; CAMKIT_BENCH_KERAS=0 skips these rows, CAMKIT_BENCH_KERAS=only runs
## them alone.
bench: deps
	@dpkg-query -W -f='$${Status}' python3-venv 2>/dev/null | grep -q "ok installed" || \
	  { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q python3-venv; }
	bash Benchmarks/bench.sh

## End-to-end test of `camkit serve` in headless Chromium; writes docs/img/web.png (tools/web_e2e.sh).
web-e2e: deps
	bash tools/web_e2e.sh

clean:
	rm -rf .build .build-fuzz .build-asan
