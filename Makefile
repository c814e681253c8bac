# servicevm: `make run` starts the whole suite, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint unit bench chaos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m scripts.run

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: install lint
	$(PY) -m pytest

unit: install
	$(PY) -m pytest tests/unit

bench: install
	$(PY) -m bench.table
	$(PY) -m bench.placement --placements 500
	$(PY) -m bench.vnf_instantiate
	$(PY) -m bench.notifications
	$(PY) -m bench.probes
	$(PY) -m bench.units_of_work
	$(PY) -m bench.http_protocols
	$(PY) -m bench.outbox_commits

# The fault suite (issue 12): 2 replicas of every service, private RabbitMQ and PostgreSQL.
chaos: install
	$(PY) -m chaos $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
