# worldbuilder — every target installs what it needs (virtualenv, packages, engines) itself.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/worldbuilder
PERSONA ?= a senior financial advisor at a wealth management firm in Denver
SEED ?= 0
SIZE ?= standard
OUT ?= computers/$(shell echo '$(PERSONA) $(SEED)' | sha1sum | cut -c1-10)
PYTEST_ARGS ?=

.PHONY: venv computer image simulate test test-fast lint bench bench-windows clean engines

venv:
	@scripts/bootstrap.sh

## Generate a synthetic computer into a directory (spec.json, tree/, manifest.json).
computer: venv
	$(WB) generate --persona "$(PERSONA)" --seed $(SEED) --size $(SIZE) --out $(OUT) --force

## Generate a computer and build its Docker image (starts Docker, builds the base once).
image: computer
	@scripts/ensure-engine.sh docker build
	$(WB) image build $(OUT)

## Generate → image → objectives → simulate (offline agent and collaborators).
simulate: image
	$(WB) objectives $(OUT) --days $${DAYS:-5}
	$(WB) simulate $(OUT) --days $${DAYS:-5}

engines:
	@scripts/ensure-engine.sh docker build office vm windows browser

## The full test suite, as CI runs it (Docker, QEMU, LibreOffice and the Windows-disk tools included).
## The VM tests run in a second pytest process alongside the rest (scripts/run-tests.sh); PYTEST_ARGS runs one.
test: venv engines
	@EXTRAS=dev,vm,windows,browser,bench,fleet,gdpval scripts/bootstrap.sh
	@scripts/harbor-venv.sh
	PY=$(PY) scripts/run-tests.sh $(PYTEST_ARGS)

## Fast local loop: skips tests that need Docker, QEMU, LibreOffice or the Windows-disk tools.
test-fast: venv
	$(PY) -m pytest -m "not slow and not docker and not vm and not windows_tools and not browser and not ray" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check worldbuilder agent_harness tests benchmarks

bench: venv
	$(PY) benchmarks/generate_bench.py

## Windows D: data disk build time (needs scripts/ensure-engine.sh windows).
bench-windows: venv
	@scripts/ensure-engine.sh windows
	$(PY) benchmarks/windows_disk_bench.py
	$(PY) benchmarks/windows_snapshot_bench.py

clean:
	rm -rf $(VENV) computers build .pytest_cache
