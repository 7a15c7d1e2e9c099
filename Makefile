# Everything sets itself up: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where torch comes from: the CPU build by default (PyPI's Linux wheel carries CUDA, gigabytes of
# it); for an NVIDIA GPU, e.g. make run TORCH_INDEX=https://download.pytorch.org/whl/cu128
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# Every package at the version the suite was run with (pyproject.toml keeps ranges for users).
LOCK := constraints.txt
TORCH_PIN := $(shell grep '^torch==' $(LOCK))
# datumaro, for tests/formats, in a venv of its own: it needs Pillow 12 and this project pins 13.
INTEROP := $(VENV)/interop
INTEROP_LOCK := constraints-interop.txt

.PHONY: run test lint bench clean lock typecheck fmt test-fast

# `make run` without a display: one line, before anything is built.
ifneq ($(filter run,$(MAKECMDGOALS)),)
NO_DISPLAY := $(shell scripts/check_display.sh)
ifneq ($(NO_DISPLAY),)
$(error $(NO_DISPLAY))
endif
endif

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	# torch first, from TORCH_INDEX, so that the range in pyproject.toml pulls nothing bigger.
	$(PY) -m pip install --retries 0 --timeout 15 "$(TORCH_PIN)" --index-url $(TORCH_INDEX)
	$(PY) -m pip install -c $(LOCK) -e ".[test,pretrained]"
	# The other tools' own readers and writers for tests/formats, without their GUIs (labelme
	# would pull PyQt5, which clashes with PySide6; cityscapesScripts an old backport; ultralytics
	# torchvision, which does not import beside this torch: its functions are loaded from source).
	$(PY) -m pip install -c $(LOCK) --no-deps labelme cityscapesscripts pyquaternion ultralytics
	touch $(STAMP)

# Tests only (make run does not need it): exactly the lock, nothing resolved, what datumaro
# imports (not pyarrow, for its Arrow format).
$(INTEROP)/.installed: $(INTEROP_LOCK) | $(STAMP)
	rm -rf $(INTEROP)
	$(PYTHON) -m venv $(INTEROP)
	$(INTEROP)/bin/pip install --retries 2 --no-deps -r $(INTEROP_LOCK)
	touch $@

run: $(STAMP)
	scripts/check_system_libs.sh $(PY)
	$(PY) main.py

test: lint typecheck $(INTEROP)/.installed
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The suite without the slow tests (real training steps, several processes), lint and types.
test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m "not slow"

# ruff: lint rules and formatting as pyproject.toml sets them.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy as [tool.mypy] sets it: srcrm, app/document, app/session, app/jobs at 0 errors, the Qt
# side within tests/app/mypy_baseline.txt (a count may only go down).
typecheck: $(STAMP)
	$(PY) tests/app/check_types.py

# Fix what ruff can fix and format the code.
fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m srcrm bench

# Move the pins forward on purpose: a venv from the open ranges, the whole suite, then the new pins.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --retries 0 --timeout 15 "$(TORCH_PIN)" --index-url $(TORCH_INDEX)
	.venv-lock/bin/pip install -e ".[test,pretrained]"
	.venv-lock/bin/pip install --no-deps labelme cityscapesscripts pyquaternion ultralytics
	QT_QPA_PLATFORM=offscreen .venv-lock/bin/python -m pytest -q -p no:cacheprovider
	.venv-lock/bin/python scripts/write_lock.py $(LOCK)
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache
