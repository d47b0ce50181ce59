"""Store tests run against both backends: SQLite (a file in tmp_path) and PostgreSQL +
PostGIS (a fresh database per test, from the template ``scripts/postgres.sh`` makes).

``MUTUALAID_TEST_PG_URL`` names the PostgreSQL server (``make test`` starts one when
the Debian packages are installed). Without it the PostgreSQL cases are skipped on a
developer's machine and fail in CI (``CI=true``), where .ci/run must have started it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from mutualaid.store import Store, open_store
from mutualaid.store.migrate import upgrade

PG_ENV = "MUTUALAID_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.engine.Engine | None]:
    """An autocommit engine on the PostgreSQL server, or None when there is none."""
    url = os.environ.get(PG_ENV)
    if not url:
        yield None
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    yield engine
    engine.dispose()


def new_database_url(kind: str, tmp_path, pg_admin) -> str:
    """The URL of a new, empty store of *kind* (the schema is not created)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    if pg_admin is None:
        _missing(f'{PG_ENV} is not set (run: eval "$(scripts/postgres.sh)")')
    name = f"mutualaid_test_{uuid.uuid4().hex[:12]}"
    try:
        with pg_admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE mutualaid_template')
    except sa.exc.OperationalError as exc:
        _missing(f"cannot reach the PostgreSQL server at {pg_admin.url}: {exc}")
    return pg_admin.url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, pg_admin) -> None:
    """Remove a test database made by :func:`new_database_url` (no-op for SQLite)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql" and pg_admin is not None:
        with pg_admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path, pg_admin) -> Iterator[str]:
    """The URL of an empty store on each backend, with the schema created."""
    url = new_database_url(request.param, tmp_path, pg_admin)
    store = open_store(url)
    upgrade(store)
    store.dispose()
    yield url
    drop_database(url, pg_admin)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open store on each backend, with the schema created."""
    opened = open_store(store_url)
    yield opened
    opened.dispose()


def insert_plan(connection, *, scenario_id: int, when) -> int:
    """An empty plan row of *scenario_id* computed at *when*, written directly; its id."""
    from mutualaid.store.tables import plans

    return connection.execute(
        plans.insert()
        .values(
            scenario_id=scenario_id,
            layer_versions="{}",
            body="{}",
            computed_by="test",
            computed_at=when,
        )
        .returning(plans.c.id)
    ).scalar_one()


def insert_offer(
    connection,
    *,
    scenario_id: int,
    plan_id: int,
    request_id: int,
    lines,
    when,
    state: str = "proposed",
    provider: str = "DE-A",
    requester: str = "NL-B",
    updated_by: str = "test",
) -> int:
    """An offer row in any *state* and its lines (``(resource, incident, type, units,
    minutes)`` each), written directly in *connection*'s transaction; its id."""
    from mutualaid.store.tables import offer_lines, offers

    offer_id = connection.execute(
        offers.insert()
        .values(
            scenario_id=scenario_id,
            plan_id=plan_id,
            request_id=request_id,
            provider=provider,
            requester=requester,
            state=state,
            version=1,
            created_at=when,
            updated_by=updated_by,
            updated_at=when,
        )
        .returning(offers.c.id)
    ).scalar_one()
    connection.execute(
        offer_lines.insert(),
        [
            {
                "offer_id": offer_id,
                "resource_id": r,
                "incident_id": i,
                "type": k,
                "units": n,
                "minutes": m,
            }
            for r, i, k, n, m in lines
        ],
    )
    return offer_id


def insert_offers(
    connection,
    *,
    name: str,
    unit_type: str,
    quantities: dict[str, int],
    lines_per_offer,
    minutes: float,
    when,
) -> tuple[int, list[int]]:
    """Rows written directly, in *connection*'s transaction: a scenario *name* with DE-A's
    units of *unit_type* (``{resource id: quantity}``), one open request of NL-B, one
    plan, and one proposed offer of DE-A to NL-B per entry of *lines_per_offer* (its
    ``(resource id, units)`` for incident I-1, *minutes* away), all at *when*. Returns
    the scenario id and the offer ids."""
    from mutualaid.store.tables import requests, scenarios, units

    scenario_id = connection.execute(
        scenarios.insert()
        .values(name=name, created_at=when, created_by="test")
        .returning(scenarios.c.id)
    ).scalar_one()
    connection.execute(
        units.insert(),
        [
            {
                "scenario_id": scenario_id,
                "resource_id": rid,
                "type": unit_type,
                "jurisdiction": "DE-A",
                "quantity": q,
                "committed": 0,
                "version": 1,
            }
            for rid, q in quantities.items()
        ],
    )
    request_id = connection.execute(
        requests.insert()
        .values(
            scenario_id=scenario_id,
            jurisdiction="NL-B",
            state="open",
            note="",
            version=1,
            created_by="bob",
            created_at=when,
            updated_by="bob",
            updated_at=when,
        )
        .returning(requests.c.id)
    ).scalar_one()
    plan_id = insert_plan(connection, scenario_id=scenario_id, when=when)
    ids = [
        insert_offer(
            connection,
            scenario_id=scenario_id,
            plan_id=plan_id,
            request_id=request_id,
            lines=[(rid, "I-1", unit_type, n, minutes) for rid, n in lines],
            when=when,
        )
        for lines in lines_per_offer
    ]
    return scenario_id, ids


def upgrade_to(store: Store, revision: str) -> None:
    """*store*'s schema migrated (by Alembic, in one transaction) up to *revision* only,
    to test a later migration on rows an older schema wrote."""
    from alembic import command

    from mutualaid.store.migrate import _config

    config = _config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
