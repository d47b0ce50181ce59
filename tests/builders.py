"""The test builders, for the unit, app, store and browser tests alike: GeoJSON
geometries, features and collections; small scenario folders written as files; layer
files in every accepted format; validation-report helpers; canonical scenarios in memory.

``from builders import square, point, feature, collection, write_scenario`` works from
every test folder: tests/ is on ``sys.path`` through its conftest.py (pytest's "prepend"
import mode puts the folder of a conftest.py that is not in a package first on the path),
as for tests/meuse.py.

A feature is given either as a GeoJSON Feature dict (:func:`feature`) or as a pair of a
geometry and a properties dict, in either order: the geometry is the one whose ``type``
is a GeoJSON geometry type (or ``None``, a null geometry), so ``(square(6, 50), {...})``
and ``({...}, square(6, 50))`` are the same feature.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

#: The GeoJSON geometry types (RFC 7946, section 1.4).
GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)

#: The header of an agreements CSV.
AGREEMENTS_HEADER = "from,to,resource_types,border_delay_min"


def is_geometry(value: object) -> bool:
    """True for a GeoJSON geometry dict or ``None`` (a null geometry)."""
    return value is None or (isinstance(value, dict) and value.get("type") in GEOMETRY_TYPES)


def square(x: float, y: float = 50.0, size: float = 1.0) -> dict:
    """A *size*-degree square Polygon with its south-west corner at (*x*, *y*)."""
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def point(x: float, y: float = 50.5, *more: float) -> dict:
    """A Point at (*x*, *y*), with *more* coordinates (height...) if given."""
    return {"type": "Point", "coordinates": [x, y, *more]}


def feature(
    geometry: dict | None,
    properties: object = None,
    /,
    *,
    members: dict | None = None,
    **more: object,
) -> dict:
    """A GeoJSON Feature of *geometry* with *properties* and the keyword properties *more*,
    and the extra top-level *members* (a Feature ``id``...).

    With neither properties, its ``properties`` is ``null``; *properties* may be any JSON
    value, to build a malformed Feature. The geometry and the properties dict may come in
    either order (see the module's docstring)."""
    if not is_geometry(geometry) and is_geometry(properties):
        geometry, properties = properties, geometry
    if more:
        properties = {**(properties or {}), **more}
    return {"type": "Feature", "properties": properties, "geometry": geometry, **(members or {})}


def as_feature(item: object) -> object:
    """*item* as a Feature: a (geometry, properties) tuple, in either order, made into one;
    anything else (a Feature dict, or a malformed member such as ``"oops"``) as it is."""
    if isinstance(item, tuple) and len(item) == 2:
        return feature(*item)
    return item


def collection(*features: object, **members: object) -> bytes:
    """A GeoJSON FeatureCollection of *features* (Feature dicts or (geometry, properties)
    tuples, given one by one or as one list) with the extra top-level *members*
    (``crs``...), as UTF-8 bytes."""
    if len(features) == 1 and isinstance(features[0], list):
        features = tuple(features[0])
    return json.dumps(
        {"type": "FeatureCollection", "features": [as_feature(f) for f in features], **members}
    ).encode()


def write_collection(path: Path, features: Iterable[object], **members: object) -> Path:
    """:func:`collection` of *features* written to *path*; returns *path*."""
    path.write_bytes(collection(list(features), **members))
    return path


def agreements_csv(*rows: str, header: str = AGREEMENTS_HEADER) -> str:
    """An agreements CSV text: *header* and *rows* (``"NL,DE,*,20"``), one a line."""
    return "".join(f"{line}\n" for line in (header, *rows))


def incident(
    x: float,
    y: float,
    id_: str,
    *,
    needs: dict,
    severity: int = 3,
    hazard: str = "flood",
    reported_at: str = "2021-07-14T17:30:00Z",
    **more: object,
) -> dict:
    """An incident Feature at (*x*, *y*) with its *needs* (``{"boat": 2}``) and the
    other properties *more*."""
    return feature(
        point(x, y),
        id=id_,
        hazard=hazard,
        severity=severity,
        reported_at=reported_at,
        needs=needs,
        **more,
    )


def resource(
    x: float,
    y: float,
    id_: str,
    *,
    type: str,
    quantity: int,
    **more: object,
) -> dict:
    """A resource Feature at (*x*, *y*): *quantity* units of *type*, the other
    properties *more*."""
    return feature(point(x, y), id=id_, type=type, quantity=quantity, **more)


#: Two boats near Köln (DE-NW); five boats and a pump near Maastricht (NL-LI).
BOATS_AND_A_PUMP: tuple[dict, ...] = (
    resource(6.9, 50.9, "R-1", type="boat", quantity=2),
    resource(5.7, 50.8, "R-2", type="boat", quantity=5),
    resource(5.8, 50.8, "R-3", type="pump", quantity=1),
)


#: The default jurisdictions: DE-NW (longitude 6..7) and NL-LI (5..6), latitude 50..51.
JURISDICTIONS: tuple[dict, ...] = (
    feature(square(6, 50), id="DE-NW", country="DE"),
    feature(square(5, 50), id="NL-LI", country="NL"),
)


def write_scenario(
    folder: Path,
    *,
    jurisdictions: Iterable = JURISDICTIONS,
    incidents: Iterable = (),
    resources: Iterable = (),
    agreements: str = agreements_csv("NL,DE,*,20"),
    travel_times: str | None = None,
) -> Path:
    """A scenario folder *folder* (created if need be): the three GeoJSON layers of the
    given features (Feature dicts or pairs), ``agreements.csv`` with the text
    *agreements* and, if given, ``travel_times.csv`` with the text *travel_times*.
    Returns *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    write_collection(folder / "jurisdictions.geojson", jurisdictions)
    write_collection(folder / "incidents.geojson", incidents)
    write_collection(folder / "resources.geojson", resources)
    (folder / "agreements.csv").write_text(agreements, encoding="utf-8")
    if travel_times is not None:
        (folder / "travel_times.csv").write_text(travel_times, encoding="utf-8")
    return folder


# --- layer files in every accepted format (the readers' and the round-trip tests) ---------


def resources_frame():  # -> geopandas.GeoDataFrame
    """Three resources (``id``, ``name`` with accents, ``quantity``, ``speed_kmh``) as
    points in EPSG:4326: a small frame every format can hold."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {
            "id": ["R1", "R2", "R3"],
            "name": ["Liège", "Köln", "Maastricht"],
            "quantity": [1, 4, 2],
            "speed_kmh": [60.5, 80.0, 45.25],
        },
        geometry=[
            shapely.Point(5.57, 50.63),
            shapely.Point(6.96, 50.94),
            shapely.Point(5.69, 50.85),
        ],
        crs="EPSG:4326",
    )


def zip_folder(folder: Path, *, prefix: str = "") -> bytes:
    """The files of *folder* as a zip archive (each named *prefix* + its name)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return buffer.getvalue()


def write_shapefile_zip(
    frame, tmp_path: Path, *, parts=None, prefix: str = "", name: str = "resources"
) -> Path:
    """*frame* as a zipped Shapefile ``tmp_path/<name>.zip`` (written by pyogrio in
    ``tmp_path/shp``); only the *parts* (suffixes such as ``".shp"``) if given."""
    import pyogrio

    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / f"{name}.shp", driver="ESRI Shapefile")
    for path in folder.iterdir():
        if parts is not None and path.suffix not in parts:
            path.unlink()
    target = tmp_path / f"{name}.zip"
    target.write_bytes(zip_folder(folder, prefix=prefix))
    return target


def kml_text(frame) -> str:
    """*frame* (points or polygons) as a KML document written by hand: each row a
    Placemark named by its ``name``, its other columns as ExtendedData, points with a
    height of 0."""
    from xml.sax.saxutils import escape

    placemarks = []
    for _, row in frame.iterrows():
        data = "".join(
            f'<Data name="{k}"><value>{escape(str(row[k]))}</value></Data>'
            for k in frame.columns
            if k not in ("name", frame.geometry.name)
        )
        shape = row[frame.geometry.name]
        if shape.geom_type == "Point":
            geometry = f"<Point><coordinates>{shape.x},{shape.y},0</coordinates></Point>"
        else:
            ring = " ".join(f"{x},{y}" for x, y in shape.exterior.coords)
            geometry = (
                f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}"
                f"</coordinates></LinearRing></outerBoundaryIs></Polygon>"
            )
        placemarks.append(
            f"<Placemark><name>{escape(str(row['name']))}</name>"
            f"<ExtendedData>{data}</ExtendedData>{geometry}</Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><Folder>{''.join(placemarks)}</Folder></Document></kml>"
    )


def csv_table(frame):  # -> pandas.DataFrame
    """*frame*'s attributes with its points' ``lat`` and ``lon`` columns last."""
    import pandas as pd

    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    table["lat"] = frame.geometry.y
    table["lon"] = frame.geometry.x
    return table


#: The accepted layer file formats, by the name :func:`write_layer_file` knows them by.
FORMATS = ("geojson", "gpkg", "shapefile", "kml", "csv")


def write_layer_file(frame, fmt: str, folder: Path, *, name: str = "layer") -> Path:
    """*frame* written in the format *fmt* (one of :data:`FORMATS`) as
    ``folder/<name>.<extension>``: GeoJSON, GeoPackage (layer *name*) and zipped
    Shapefile by pyogrio (GDAL), KML by :func:`kml_text`, CSV with ``lat``/``lon``
    columns by pandas. Returns the file's path."""
    import pyogrio

    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        path = folder / f"{name}.geojson"
        pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = folder / f"{name}.gpkg"
        pyogrio.write_dataframe(frame, path, driver="GPKG", layer=name)
    elif fmt == "shapefile":
        path = write_shapefile_zip(frame, folder, name=name)
    elif fmt == "kml":
        path = folder / f"{name}.kml"
        path.write_text(kml_text(frame), encoding="utf-8")
    elif fmt == "csv":
        path = folder / f"{name}.csv"
        csv_table(frame).to_csv(path, index=False)
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return path


def write_one_flood(folder: Path) -> Path:
    """The smallest scenario: :data:`JURISDICTIONS`, a flood in DE-NW needing 2 boats,
    4 boats in DE-NW, and DE may help NL. Returns *folder*."""
    return write_scenario(
        folder,
        incidents=[incident(6.5, 50.5, "I-1", needs={"boat": 2})],
        resources=[resource(6.9, 50.9, "R-1", type="boat", quantity=4)],
        agreements=agreements_csv("DE,NL,*,20"),
    )


def write_erft_boats(
    folder: Path, *, agreements: str = agreements_csv("NL,DE,*,20", "NL-LI,DE-NW,pump,5")
) -> Path:
    """Boats in Limburg help a flood in North Rhine-Westphalia across the border: the
    flood I-1 (severity 5) needs 5 boats; 2 boats near Köln, 5 near Maastricht.
    Returns *folder*."""
    return write_scenario(
        folder,
        incidents=[
            incident(6.5, 50.5, "I-1", severity=5, needs={"boat": 5}),
        ],
        resources=BOATS_AND_A_PUMP[:2],
        agreements=agreements,
    )


def write_border_flood(folder: Path) -> Path:
    """A flood in North Rhine-Westphalia (I-1, severity 5) needing 5 boats and a pump;
    2 boats near Köln, 5 boats and a pump near Maastricht across the border (the default
    agreements). Returns *folder*."""
    return write_scenario(
        folder,
        incidents=[incident(6.5, 50.5, "I-1", severity=5, needs={"boat": 5, "pump": 1})],
        resources=BOATS_AND_A_PUMP,
    )


def limburg_offer(store, name: str, *, note: str = "") -> int:
    """In the stored border flood *name* (:func:`write_border_flood`'s layers): DE-NW's
    coordinator requests every need and computes the offers; returns the id of NL-LI's
    offer (proposed, version 1), the help from across the border."""
    import sqlalchemy as sa

    from mutualaid.access.actor import Actor
    from mutualaid.store import workflow
    from mutualaid.store.tables import offers

    requester = Actor("dieter", "coordinator", "DE-NW")
    workflow.create_request(store, name, actor=requester, note=note)
    outcome = workflow.plan_offers(store, name, actor=requester)
    with store.reading() as connection:
        (offer_id,) = connection.execute(
            sa.select(offers.c.id).where(
                offers.c.id.in_(outcome.offer_ids), offers.c.provider == "NL-LI"
            )
        ).scalars()
    return int(offer_id)


def committed_border_offer(store, folder: Path, *, name: str | None = None) -> int:
    """:func:`write_border_flood`'s scenario stored (as *name*, default the folder's
    name), :func:`limburg_offer` (3 boats and the pump, 4 units) committed by an NL-LI
    coordinator. Returns that offer's id."""
    from mutualaid.access.actor import Actor, system_actor
    from mutualaid.scenario.loading import load_scenario
    from mutualaid.store import workflow
    from mutualaid.store.layer_store import save_scenario

    name = name or folder.name
    result = load_scenario(folder)
    assert result.ok, [r.errors for r in result.reports]
    save_scenario(store, result.scenario, name=name, sources={}, actor=system_actor("test"))
    offer_id = limburg_offer(store, name, note="boats for Erftstadt")
    workflow.commit_offer(store, offer_id, actor=Actor("nora", "coordinator", "NL-LI"))
    return offer_id


# --- validation reports ---------------------------------------------------------------------


def errors(report) -> list:
    """The errors of *report* (its warnings left out)."""
    return [p for p in report.problems if p.severity == "error"]


def only_error(report, field: str):
    """The one error of *report*, asserted to be about *field*."""
    errs = errors(report)
    assert len(errs) == 1, report.lines()
    assert errs[0].field == field
    return errs[0]


def jurisdictions_frame(
    *, names: tuple[str, str] = ("NRW", "Limburg"), east: float = 9, north: float = 52
):  # -> geopandas.GeoDataFrame
    """Canonical jurisdictions to place points in: DE-NW (longitude 6..*east*) and NL-LI
    (5..6), latitude 50..*north*, no reserve, named *names*."""
    import geopandas as gpd
    from shapely import box

    return gpd.GeoDataFrame(
        {
            "id": ["DE-NW", "NL-LI"],
            "name": list(names),
            "country": ["DE", "NL"],
            "reserve": [0.0, 0.0],
        },
        geometry=[box(6, 50, east, north), box(5, 50, 6, north)],
        crs="EPSG:4326",
    )


# --- canonical scenarios in memory ----------------------------------------------------------

#: Three 1-degree squares side by side, latitude 50..51: DE-A | NL-B | BE-C, by
#: ``{id: (country, western longitude)}``.
ROW_OF_THREE: dict[str, tuple[str, float]] = {
    "DE-A": ("DE", 6.0),
    "NL-B": ("NL", 7.0),
    "BE-C": ("BE", 8.0),
}


def canonical_scenario(
    resources,
    incidents,
    agreements=(),
    *,
    reserves=None,
    travel_times=None,
    quantity: int | None = 1,
    reported_at: str = "2024-05-01T08:00",
    name: str = "test",
):
    """A scenario in the canonical shape (no files), from short specs, in the
    :data:`ROW_OF_THREE` jurisdictions (with *reserves* ``{id: share}``).

    *resources* and *incidents* are dicts of their columns (``lon``/``lat`` for the
    point); resources have *quantity* units unless they say (None: no default), incidents
    severity 3, status active, hazard flood, all reported at *reported_at* (UTC).
    *agreements* are ``(from, to, resource types, border delay)`` tuples, *travel_times*
    ``(resource id, incident id, minutes)`` rows."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import box

    from mutualaid.scenario.loading import Scenario

    reserves = reserves or {}
    jur = gpd.GeoDataFrame(
        {
            "id": list(ROW_OF_THREE),
            "name": list(ROW_OF_THREE),
            "country": [c for c, _ in ROW_OF_THREE.values()],
            "reserve": [float(reserves.get(j, 0.0)) for j in ROW_OF_THREE],
        },
        geometry=[box(x, 50, x + 1, 51) for _, x in ROW_OF_THREE.values()],
        crs=4326,
    )
    defaults = {"status": "available", "speed_kmh": np.nan}
    if quantity is not None:
        defaults = {"quantity": quantity, **defaults}
    res = pd.DataFrame(
        [{**defaults, **r} for r in resources],
        columns=["id", "type", "quantity", "status", "jurisdiction", "speed_kmh", "lon", "lat"],
    )
    res.insert(1, "name", res["id"])
    inc = pd.DataFrame(
        [{"severity": 3, "status": "active", "max_response_min": np.nan, **i} for i in incidents],
        columns=[
            "id",
            "severity",
            "status",
            "needs",
            "max_response_min",
            "jurisdiction",
            "lon",
            "lat",
        ],
    )
    inc.insert(1, "name", inc["id"])
    inc.insert(2, "hazard", "flood")
    inc.insert(5, "reported_at", pd.Timestamp(reported_at, tz="UTC"))
    ag = pd.DataFrame(
        [
            {
                "from": a[0],
                "to": a[1],
                "resource_types": tuple(a[2]),
                "border_delay_min": float(a[3]),
            }
            for a in agreements
        ],
        columns=["from", "to", "resource_types", "border_delay_min"],
    )
    tt = (
        None
        if travel_times is None
        else pd.DataFrame(travel_times, columns=["resource_id", "incident_id", "minutes"])
    )
    return Scenario(
        jurisdictions=jur,
        incidents=gpd.GeoDataFrame(inc, geometry=gpd.points_from_xy(inc.lon, inc.lat), crs=4326),
        resources=gpd.GeoDataFrame(res, geometry=gpd.points_from_xy(res.lon, res.lat), crs=4326),
        agreements=ag,
        travel_times=tt,
        name=name,
    )


def loaded_scenario(folder: Path):  # -> mutualaid.scenario.loading.Scenario
    """The scenario in *folder*, read and checked by ``load_scenario``; asserted to load
    (the reports shown if not)."""
    from mutualaid.scenario.loading import load_scenario

    result = load_scenario(folder)
    assert result.scenario is not None, [r.lines() for r in result.reports]
    return result.scenario


def record_audit(store, changes: Iterable[tuple]) -> None:
    """Write audit rows, one transaction each, in the order given.

    Parameters
    ----------
    store
        An opened ``mutualaid.store.Store``.
    changes
        ``(actor, action, subject, before, after, when)`` tuples.
    """
    from mutualaid.store import audit

    for actor, action, subject, before, after, when in changes:
        with store.transaction() as connection:
            audit.record(
                connection,
                actor=actor,
                action=action,
                subject=subject,
                before=before,
                after=after,
                now=when,
            )


def ensure_accounts(
    url: str | None,
    accounts: Mapping[str, tuple[str | None, ...]],
    *,
    password: str | None,
    by: str,
) -> None:
    """The store *url* names (``None``: the test's default store) created or migrated, with
    the accounts ``{username: (role, jurisdiction[, display_name])}`` that are not there
    yet, each with *password* (None: no password), created by ``system:<by>``.

    Inserted as the first run inserts its demo accounts (``insert_account``, audited),
    whatever the store holds: a test's accounts may be made before its scenario is
    stored, so their jurisdictions are not checked against the stored ones (issue 13;
    ``add_account`` does that, tested in tests/store/test_account_jurisdictions.py)."""
    from mutualaid.access.actor import system_actor
    from mutualaid.store import open_store
    from mutualaid.store.accounts import get_account, hash_password, insert_account
    from mutualaid.store.migrate import upgrade

    store = open_store(url)
    try:
        upgrade(store)
        for username, (role, jurisdiction, *name) in accounts.items():
            if get_account(store, username) is None:
                with store.transaction() as connection:
                    insert_account(
                        connection,
                        username=username,
                        role=str(role),
                        jurisdiction=jurisdiction,
                        password_hash=None if password is None else hash_password(password),
                        display_name=(name[0] if name else None) or username,
                        actor=system_actor(by),
                    )
    finally:
        store.dispose()


#: Script-injection attempts the hostile scenarios put in ids and names.
IMG = '<img src=x onerror="window.top.__xss=1">'
SCRIPT = "<script>window.top.__xss=2</script>"
SVG = '"><svg onload="window.top.__xss=3">'
BREAKOUT = "</script><script>window.top.__xss=4</script>"


def write_hostile_scenario(
    folder: Path,
    *,
    incident: dict,
    resources: Iterable[tuple[dict, dict]],
    agreements: str,
) -> Path:
    """A scenario folder whose ids and names are script-injection attempts.

    Two jurisdictions (DE, id :data:`BREAKOUT`; NL-LI) and one severity-5 flood incident
    at (6.5, 50.5), id :data:`SCRIPT`, name :data:`IMG`.

    Parameters
    ----------
    folder
        Created; must not exist.
    incident
        Properties added to the incident's (or replacing them, in place).
    resources
        ``(properties, geometry)`` pairs of the resources layer.
    agreements
        The rows of agreements.csv after its header.

    Returns
    -------
    Path
        *folder*.
    """
    folder.mkdir(parents=True)
    write_collection(
        folder / "jurisdictions.geojson",
        [
            ({"id": BREAKOUT, "name": IMG, "country": "DE"}, square(6.0, 50.0)),
            ({"id": "NL-LI", "name": SVG, "country": "NL"}, square(5.0, 50.0)),
        ],
    )
    properties = {
        "id": SCRIPT,
        "name": IMG,
        "hazard": "flood",
        "severity": 5,
        "reported_at": "2021-07-14T17:30:00Z",
    }
    properties.update(incident)
    write_collection(folder / "incidents.geojson", [(properties, point(6.5, 50.5))])
    write_collection(folder / "resources.geojson", list(resources))
    (folder / "agreements.csv").write_text(AGREEMENTS_HEADER + "\n" + agreements, encoding="utf-8")
    return folder


def two_incidents_upload(
    *,
    hazard_column: str = "hazard",
    severity: object = 4,
    second_id: str = "I-1",
    **more: object,
) -> bytes:
    """A GeoJSON upload of two incidents with the aliased ``sev`` column: a flood
    (``I-2``, *severity*, needing a boat, with the properties *more*) and a storm
    (*second_id*), the hazard in the column *hazard_column*."""
    return collection(
        [
            feature(
                point(5.5, 50.5),
                id="I-2",
                **{hazard_column: "flood"},
                sev=severity,
                **more,
                reported_at="2021-07-15T08:00:00Z",
                need_boat=1,
            ),
            feature(
                point(6.2, 50.2),
                id=second_id,
                **{hazard_column: "storm"},
                sev=2,
                reported_at="2021-07-15T09:00:00Z",
            ),
        ]
    )


# --- two scenarios in two regions (issue 13: the scenario that holds one's jurisdiction) ---

#: Two jurisdictions by Lake Chad, latitude 12..13: NG-BO (longitude 13..14), TD-LC (14..15).
LAKE_JURISDICTIONS: tuple[dict, ...] = (
    feature(square(13, 12), id="NG-BO", country="NG"),
    feature(square(14, 12), id="TD-LC", country="TD"),
)


def write_lake_and_border(root: Path) -> tuple[Path, Path]:
    """Two scenario folders under *root*, ``a-lake`` first by name (:data:`LAKE_JURISDICTIONS`,
    a flood in NG-BO needing a boat, a boat in TD-LC, TD may help NG) and ``b-border``
    (:func:`write_border_flood`: DE-NW and NL-LI). Returns (a-lake, b-border)."""
    lake = write_scenario(
        root / "a-lake",
        jurisdictions=LAKE_JURISDICTIONS,
        incidents=[incident(13.5, 12.5, "L-1", needs={"boat": 1})],
        resources=[resource(14.5, 12.5, "L-R1", type="boat", quantity=1)],
        agreements=agreements_csv("TD,NG,*,20"),
    )
    return lake, write_border_flood(root / "b-border")


# --- processes -------------------------------------------------------------------------


def stop_process(process: subprocess.Popen) -> None:
    """Stop a server the tests started: terminate it, and kill it after 30 s.

    Parameters
    ----------
    process
        The running server (an app server, the test's OIDC provider, a server started to
        watch its start-up).
    """
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
