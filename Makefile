# Everything sets itself up: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where torch comes from: the CPU build by default (PyPI's Linux wheel carries CUDA, gigabytes of
# it); for an NVIDIA GPU, e.g. make run TORCH_INDEX=https://download.pytorch.org/whl/cu128
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	# torch first, from TORCH_INDEX, so that the range in pyproject.toml pulls nothing bigger.
	$(PY) -m pip install --retries 0 --timeout 15 "torch==2.13.0" --index-url $(TORCH_INDEX)
	$(PY) -m pip install -e ".[test]"
	# The other tools' own rasterisers for tests/formats/test_interop.py, without their GUIs
	# (labelme would pull PyQt5, which clashes with PySide6; cityscapesScripts an old backport).
	$(PY) -m pip install --no-deps "labelme==6.3.1" "cityscapesscripts==2.3.0" "pyquaternion>=0.9"
	touch $(STAMP)

run: $(STAMP)
	scripts/check_system_libs.sh $(PY)
	$(PY) main.py

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# ruff: lint rules and formatting as pyproject.toml sets them.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) -m srcrm bench

clean:
	rm -rf $(VENV) .pytest_cache
