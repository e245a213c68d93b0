# Two commands on a fresh machine:  `make demo`  (set up + run the main job)  and  `make test`.
# Each creates the virtual environment and installs the embedded models when they are missing.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODELS_STAMP := $(VENV)/.models-installed
OUT ?= out
# packages whose declared dependencies conflict with our pins (see pyproject.toml)
NO_DEPS := resemblyzer==0.1.4 scenedetect==0.7.2

.PHONY: setup sysdeps demo test test-fast lint bench clean

setup: $(MODELS_STAMP) sysdeps

# Debian packages: espeak-ng speaks test commands, chromium runs the browser test, PortAudio
# lets --mic record. Installed when missing and apt-get is usable (root, as on CI); otherwise a
# line says what to install.
SYS_PACKAGES := espeak-ng chromium chromium-driver libportaudio2
sysdeps:
	@missing=""; for p in $(SYS_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please install:$$missing (Debian packages)"; fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(NO_DEPS)
	touch $@

$(MODELS_STAMP): $(STAMP)
	$(BIN)/backdrop models install --with u2netp --with yolov3-tiny
	touch $@

demo: setup
	$(BIN)/backdrop edit examples/sample.mp4 \
	  "remove the background, make it a blue to purple gradient and fade it in over 2 seconds" \
	  -o $(OUT)/demo.mp4 --plan-out $(OUT)/demo-plan.json --alpha $(OUT)/demo-alpha.webm

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

# the inner loop: everything but the slow, browser, Ray and CLI-subprocess tests (< 1 min)
FAST := not slow and not browser and not ray and not cli
test-fast: $(MODELS_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(FAST)"

lint: $(STAMP)
	$(BIN)/ruff check backdrop tests benchmarks eval examples
	$(BIN)/ruff format --check backdrop tests benchmarks eval examples

bench: setup
	$(BIN)/python benchmarks/bench_pipeline.py

clean:
	rm -rf $(VENV) $(OUT)
