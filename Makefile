# Everything sets itself up: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	# The CPU build of torch first, so that the range in pyproject.toml pulls nothing bigger.
	$(PY) -m pip install "torch==2.13.0"
	$(PY) -m pip install -e ".[test]"
	# The other tools' own rasterisers for tests/formats/test_interop.py, without their GUIs
	# (labelme would pull PyQt5, which clashes with PySide6; cityscapesScripts an old backport).
	$(PY) -m pip install --no-deps "labelme==6.3.1" "cityscapesscripts==2.3.0" "pyquaternion>=0.9"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m srcrm bench

clean:
	rm -rf $(VENV) .pytest_cache
