# The two commands of the README. Both set everything up first (idempotent).
VENV ?= .venv

.PHONY: setup demo test bench
setup:
	bash scripts/setup.sh $(VENV)

demo: setup
	$(VENV)/bin/resuite demo --output runs/demo

test: setup
	$(VENV)/bin/python -m pytest -q

bench: setup
	$(VENV)/bin/python -m bench
