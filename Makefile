# cpgeo: `make app` runs the Streamlit app on the embedded data; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: app test e2e lint bench clean data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[app]"
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.app

app: $(VENV)/.app
	$(BIN)/streamlit run app.py --server.address localhost --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

test: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m "not browser and not network"

e2e: $(VENV)/.dev
	$(BIN)/python -m pytest -q -s -m browser

lint: $(VENV)/.dev
	$(BIN)/ruff check cpgeo app.py app_pages tests bench scripts
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/siting.py
	$(BIN)/python bench/national.py
	$(BIN)/python bench/orlib.py
	$(BIN)/python bench/population.py
	$(BIN)/python bench/roads.py

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
