# The suite's commands. Each sets everything up first (idempotent): see scripts/setup.sh.
VENV ?= .venv
PYTEST = $(VENV)/bin/python -m pytest -q
NOTEBOOKS = --nbmake --nbmake-timeout=1800

.PHONY: setup demo test test-all notebooks presets bench
setup:
	bash scripts/setup.sh $(VENV)

demo: setup
	$(VENV)/bin/resuite demo --output runs/demo

# Unit, distributed and kill-and-resume tests, and every notebook in smoke mode, on TEST_WORKERS
# processes (pytest-xdist; most tests are single-threaded graph tracing, so 2 workers use 2 cores).
TEST_WORKERS ?= 2
test: setup
	$(PYTEST) $(NOTEBOOKS) -m "not large" -n $(TEST_WORKERS) --dist worksteal

# Everything, the real-training tests (`large`) included.
test-all: setup
	$(PYTEST) $(NOTEBOOKS) -n $(TEST_WORKERS) --dist worksteal

# Re-execute every notebook at its real budget and store the outputs (the numbers they quote).
notebooks: setup
	RESUITE_SMOKE=0 $(VENV)/bin/python scripts/run_notebooks.py notebooks/*.ipynb

# Train the shipped presets from the real sample data with a fixed seed (see domains/*/presets/).
presets: setup
	$(VENV)/bin/python scripts/make_presets.py

bench: setup
	$(VENV)/bin/python -m bench
