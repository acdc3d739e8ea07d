PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck format bench clean check-playbooks mutation

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/warroom demo

test: $(STAMP)
	bash .ci/install-test-tools
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-playbooks: $(STAMP)
	$(BIN)/warroom playbook check playbooks/*.yaml

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Slow (minutes per module), so not part of `make test`; `make bench` prints its last table.
# One module: make mutation MODULES=state.phases; MUTATION_SAMPLE=N caps mutants per module.
mutation: $(STAMP)
	$(BIN)/python bench/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .hypothesis .mutation mutants
