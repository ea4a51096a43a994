# CAMKit: `make demo` and `make test` set up what they need (Debian packages), build and run.
SHELL := /bin/bash
APT_PACKAGES := libtorch-dev libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libhdf5-dev libsqlite3-dev zlib1g-dev libeigen3-dev libjpeg62-turbo-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift
CAMKIT := .build/release/camkit

.PHONY: deps build serve test demo bench clean web-e2e format format-check

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
test: deps format-check
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build --no-parallel

## The Swift sources laid out by the toolchain's swift-format (.swift-format: layout only).
FORMATTED := Sources Tests Benchmarks/CAMKitBench Package.swift
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
	rm -rf .build
