# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS := static/vendor/.installed
PORT ?= 8501

.PHONY: run test lint test-unit test-e2e install assets scenarios bench messages clean

install: $(STAMP) $(ASSETS)

UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
CHECKED := src tests pages app.py benchmarks scripts

# The exact versions of uv.lock, from the package registry: uv (itself from PyPI) exports
# the lock (--locked: it fails if pyproject.toml changed without `uv lock`) and installs it
# into the venv, then the project itself, editable.
$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) export --quiet --locked --extra test --extra dev --no-hashes --no-emit-project \
		--output-file $(VENV)/requirements.txt
	$(UV) pip install --quiet --python $(PY) -r $(VENV)/requirements.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

# Leaflet and the map plugins come from the npm registry at set-up, never from a CDN at run time.
$(ASSETS): scripts/install_assets.py src/mutualaid/maps/assets.py $(STAMP)
	$(PY) scripts/install_assets.py

assets: $(ASSETS)

run: install
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true

# The store tests also run against PostgreSQL + PostGIS: started here when Debian's packages
# are installed (.ci/run installs them); without them those cases skip, or fail under CI=true.
PG_ENV = eval "$$(scripts/postgres.sh 2>/dev/null)";

# Lint, the formatter's check and the type check first: any finding fails `make test`.
lint: install
	$(VENV)/bin/ruff check $(CHECKED)
	$(VENV)/bin/ruff format --check $(CHECKED)
	$(VENV)/bin/mypy

test: install lint
	$(PG_ENV) $(PY) -m pytest -q --durations=25

test-unit: install
	$(PG_ENV) $(PY) -m pytest -q tests/unit tests/store tests/app

test-e2e: install
	$(PY) -m pytest -q tests/e2e

scenarios: $(STAMP)
	$(PY) scripts/build_scenarios.py

# The six languages' catalogues (docs/languages.md): the template of every marked message
# (build/mutualaid.pot), then what each language still lacks.
messages: $(STAMP)
	$(PY) scripts/i18n.py extract
	$(PY) scripts/i18n.py check

bench: install
	$(PY) benchmarks/validation.py

clean:
	-scripts/postgres.sh stop 2>/dev/null
	rm -rf $(VENV) static/vendor build .pytest_cache
