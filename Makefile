# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS := static/vendor/.installed
PORT ?= 8501

.PHONY: run test test-unit test-e2e install assets scenarios bench clean

install: $(STAMP) $(ASSETS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
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

test: install
	$(PG_ENV) $(PY) -m pytest -q

test-unit: install
	$(PG_ENV) $(PY) -m pytest -q tests/unit tests/store tests/app

test-e2e: install
	$(PY) -m pytest -q tests/e2e

scenarios: $(STAMP)
	$(PY) scripts/build_scenarios.py

bench: install
	$(PY) benchmarks/validation.py

clean:
	-scripts/postgres.sh stop 2>/dev/null
	rm -rf $(VENV) static/vendor build .pytest_cache
