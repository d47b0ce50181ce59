"""Every test gets its own empty state folder, so no test reads or writes the developer's
store (``var/``) or a store named in the environment, and a new store starts empty."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from mutualaid.settings import FIRST_RUN_ENV, STATE_DIR_ENV
from mutualaid.store.database import DATABASE_URL_ENV


@pytest.fixture(autouse=True)
def _own_state_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    # no samples or demo accounts in a new store, except where a test asks for them
    monkeypatch.setenv(FIRST_RUN_ENV, "0")


@pytest.fixture
def full_disk():
    """``full_disk(url)``: from then on the SQLite store file *url* cannot grow, as on a
    full disk. Every connection of this process to that file is given
    ``PRAGMA max_page_count`` = its current size whenever it is checked out of a pool,
    so the next write needing a new page fails with SQLite's own "database or disk is
    full" (a real ``SQLITE_FULL``, not a stand-in). Undone at the end of the test."""
    listeners = []

    def fill(url: str) -> None:
        path = os.path.realpath(sa.engine.make_url(url).database)

        def cap(dbapi_connection, _record, _proxy) -> None:
            cursor = dbapi_connection.cursor()
            try:
                files = [row[2] for row in cursor.execute("PRAGMA database_list")]
                if not any(name and os.path.realpath(name) == path for name in files):
                    return
                pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                cursor.execute(f"PRAGMA max_page_count = {int(pages)}")
            finally:
                cursor.close()

        sa.event.listen(sa.pool.Pool, "checkout", cap)
        listeners.append(cap)

    yield fill
    for cap in listeners:
        sa.event.remove(sa.pool.Pool, "checkout", cap)


# --- hostile files (issue 16), for the unit, CLI and browser tests -----------------------

#: The incidents of the hostile GeoPackages' real table.
HOSTILE_INCIDENTS = (("I-1", 6.5, 50.5), ("I-2", 5.5, 50.5))


def write_recursive_view_geopackage(path, *, limit: int | None = None, layer_type: str = "view"):
    """A small GeoPackage whose one registered layer ``incidents`` is not a table but a
    VIEW over a recursive CTE cross-joined with a real table (issue 16); without *limit*
    the CTE never ends, so reading the layer never ends. ``layer_type="virtual"``
    registers a virtual table (an R*Tree) as the layer instead. Returns *path*."""
    import sqlite3
    from pathlib import Path

    import geopandas as gpd
    import shapely

    path = Path(path)
    base = gpd.GeoDataFrame(
        {
            "id": [i for i, _x, _y in HOSTILE_INCIDENTS],
            "hazard": ["flood", "storm"],
            "severity": [3, 2],
            "reported_at": ["2021-07-14T17:30:00Z"] * 2,
        },
        geometry=[shapely.Point(x, y) for _i, x, y in HOSTILE_INCIDENTS],
        crs="EPSG:4326",
    )
    base.to_file(path, layer="base", driver="GPKG")
    bound = "" if limit is None else f" WHERE i < {int(limit)}"
    if layer_type == "view":
        layer = (
            f"CREATE VIEW incidents AS WITH RECURSIVE n(i) AS "
            f"(SELECT 1 UNION ALL SELECT i + 1 FROM n{bound}) "
            f"SELECT base.fid + n.i * 1000 AS fid, base.geom, base.id, base.hazard, "
            f"base.severity, base.reported_at FROM base CROSS JOIN n;"
        )
    elif layer_type == "virtual":
        layer = "CREATE VIRTUAL TABLE incidents USING rtree(fid, minx, maxx, miny, maxy);"
    else:
        raise ValueError(f"unknown layer_type {layer_type!r}")
    with sqlite3.connect(path) as db:
        db.executescript(f"""
            {layer}
            UPDATE gpkg_contents SET table_name = 'incidents', identifier = 'incidents'
             WHERE table_name = 'base';
            UPDATE gpkg_geometry_columns SET table_name = 'incidents'
             WHERE table_name = 'base';
        """)
    db.close()
    return path


@pytest.fixture
def recursive_view_geopackage(tmp_path_factory: pytest.TempPathFactory):
    """``recursive_view_geopackage(limit=None, layer_type="view") -> Path``: a new
    hostile GeoPackage (:func:`write_recursive_view_geopackage`) in a fresh folder."""

    def make(*, limit: int | None = None, layer_type: str = "view"):
        folder = tmp_path_factory.mktemp("hostile")
        return write_recursive_view_geopackage(
            folder / "hostile.gpkg", limit=limit, layer_type=layer_type
        )

    return make
