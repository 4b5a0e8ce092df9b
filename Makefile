# The two commands of the quick start: `make run` and `make test`.
# Both create .venv and install what they need; as root they also install the Debian
# packages the hall uses: mosquitto (the managed MQTT broker and the device tests),
# Chromium and CJK fonts for the pages' browser tests, espeak-ng to speak the calls
# (libespeak-ng1 for pyttsx3), alsa-utils' aplay to play them on a hall PC, sox to
# measure audio in the tests.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEBIAN_PACKAGES ?= mosquitto chromium fonts-noto-cjk espeak-ng libespeak-ng1 alsa-utils sox

.PHONY: run test lint typecheck bench install debian clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

debian:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run as root or install them)"; fi; \
	fi

run: install debian
	$(BIN)/qms demo --around-the-clock

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy qms displays firmware_bridge sim

test: install debian lint typecheck
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m qms bench core
	$(BIN)/python -m qms bench voice

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
