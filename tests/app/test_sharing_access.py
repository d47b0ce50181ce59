"""Sharing levels on the pages (issue 6), in Streamlit's AppTest: a coordinator of one
jurisdiction sees an owner-only incident of another nowhere (Overview figures, map and
tables; Allocation tables and downloads; Briefing), a partner sees a partners-level one
until the owner revokes the share, and no widget value, URL parameter or layer id reveals
a hidden feature.

Sessions are signed in the way a verified sign-in leaves them (tests/app/signed.py), before
the first run: the app shows nothing but the sign-in form to anyone else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from signed import app_test
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from builders import collection
from meuse import incident, write_meuse
from mutualaid.access.actor import Actor
from mutualaid.access.sharing import visible_scenario
from mutualaid.layers import load_layer
from mutualaid.maps import clicked_feature
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import audit, open_store
from mutualaid.store.layer_store import (
    LayerDenied,
    load_stored_scenario,
    save_layer,
    set_layer_sharing,
)
from mutualaid.text import literal

SECRET = "I-DE-SECRET"  # DE-NW's, owner only (its own sharing value)
SECRET_NAME = "Secret dyke breach"
PARTNERS_ONLY = "I-DE-PARTNER"  # DE-NW's, shared with partners (NL-LI; not BE-WLG)
PIA = Actor("pia", "planner", "DE-NW")


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The Meuse scenario (tests/meuse.py): DE-NW and NL-LI are partners (DE -> NL);
    BE-WLG is a stranger to both."""
    folder = write_meuse(
        tmp_path / "meuse",
        incident(6.5, "I-DE-1"),
        incident(5.5, "I-NL-1"),
        # the most severe: planned first whenever it is part of the plan
        incident(6.7, SECRET, severity=5, boats=9, name=SECRET_NAME, sharing="owner"),
        incident(6.3, PARTNERS_ONLY, severity=4, name="Partner levee", sharing="partners"),
    )
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path))
    return folder


def session(username: str, role: str, jurisdiction: str | None, page: str | None = None) -> AppTest:
    at = app_test(
        role=role, jurisdiction=jurisdiction, username=username, default_timeout=180
    ).run()
    return at if page is None else at.switch_page(page).run()


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def everything(at: AppTest) -> str:
    """All the page shows: every element's message (texts, metrics, widget options, the
    map's script) and every table as CSV."""
    parts = [str(getattr(node, "proto", "")) for node in _walk(at._tree)]
    parts += [df.value.to_csv() for df in at.dataframe]
    for component in at.get("component_instance"):
        parts.append(json.loads(component.proto.json_args).get("script", ""))
    return "\n".join(parts)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every file the pages offer for download (recorded on its way into Streamlit's own
    media store, which still keeps it)."""
    files: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, (bytes, str)) and filename is not None:
            files.append(path_or_data if isinstance(path_or_data, bytes) else path_or_data.encode())
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return files


# --- Overview ----------------------------------------------------------------------------------


def test_overview_hides_an_owner_only_incident_from_another_jurisdiction(scenario):
    nina = session("nina", "coordinator", "NL-LI")
    assert not nina.exception and nina.title[0].value == "Overview"
    shown = everything(nina)
    assert SECRET not in shown and SECRET_NAME not in shown
    assert PARTNERS_ONLY in shown and "Partner levee" in shown  # NL-LI is DE-NW's partner
    assert metrics(nina)["Incidents (active)"] == "3 (3)"
    bea = session("bea", "coordinator", "BE-WLG")
    assert SECRET not in everything(bea) and PARTNERS_ONLY not in everything(bea)
    assert metrics(bea)["Incidents (active)"] == "2 (2)"
    # the owner and an admin see it: the checks above can fail
    dora = session("dora", "coordinator", "DE-NW")
    assert SECRET_NAME in everything(dora) and metrics(dora)["Incidents (active)"] == "4 (4)"
    assert SECRET in everything(session("root", "admin", None))


def _map_key(at: AppTest) -> str:
    [component] = at.get("component_instance")
    return json.loads(component.proto.json_args)["key"]


def test_people_with_the_same_view_share_one_map_and_others_never(scenario):
    """Issue 16, under load: the map (and plan) caches were keyed on the username, so 30
    coordinators built 30 maps of the same view and evicted each other's. They are keyed
    on what the person may see (role and jurisdiction), so two coordinators of NL-LI
    share one map; a coordinator of BE-WLG, a viewer of NL-LI and the owner do not."""
    nina = session("nina", "coordinator", "NL-LI")
    nils = session("nils", "coordinator", "NL-LI")
    assert _map_key(nina) == _map_key(nils)
    assert everything(nina) == everything(nils).replace("nils", "nina")
    others = [
        session("bea", "coordinator", "BE-WLG"),
        session("vera", "viewer", "NL-LI"),
        session("dora", "coordinator", "DE-NW"),
        session("root", "admin", None),
    ]
    keys = {_map_key(at) for at in others}
    assert len(keys) == len(others) and _map_key(nina) not in keys
    assert SECRET not in everything(nils) and SECRET in everything(others[2])


def test_widget_values_and_url_parameters_do_not_reveal_it(scenario):
    nina = session("nina", "coordinator", "NL-LI")
    for name, value in (("jurisdictions", ["DE-NW"]), ("severities", [5]), ("hazards", ["flood"])):
        nina.multiselect(key=f"overview.filter.{name}").set_value(value).run()
        assert not nina.exception
        assert SECRET not in everything(nina)
        nina.multiselect(key=f"overview.filter.{name}").set_value([]).run()
    nina.selectbox(key="overview.scenario").set_value(scenario).run()
    assert SECRET not in everything(nina)
    for key, value in (
        ("id", SECRET),
        ("layer", "incidents"),
        ("jurisdiction", "DE-NW"),
        ("sharing", "public"),
        ("user", "dora"),
        ("role", "admin"),
        ("view", "briefing"),
    ):
        nina.query_params[key] = value
    nina.run()
    assert not nina.exception and SECRET not in everything(nina)
    # a click (or a crafted map value) at the hidden incident finds no hidden feature
    stored = load_stored_scenario(open_store(), "meuse")
    view = visible_scenario(
        stored.scenario,
        viewer=Actor("nina", "coordinator", "NL-LI"),
        layer_levels=stored.layer_levels,
    )
    click = {
        "last_object_clicked": {"lat": 50.5, "lng": 6.7},
        "last_object_clicked_tooltip": SECRET,
    }
    selection = clicked_feature(
        click, jurisdictions=view.jurisdictions, incidents=view.incidents, resources=view.resources
    )
    assert selection is None or selection.id != SECRET
    full = clicked_feature(
        click,
        jurisdictions=stored.scenario.jurisdictions,
        incidents=stored.scenario.incidents,
        resources=stored.scenario.resources,
    )
    assert full is not None and full.id == SECRET


# --- Allocation and Briefing --------------------------------------------------------------------


def test_allocation_tables_and_downloads_leave_it_out(scenario, downloads):
    nina = session("nina", "coordinator", "NL-LI", "pages/allocation.py")
    assert not nina.exception and nina.title[0].value == "Allocation"
    assert nina.dataframe and SECRET not in everything(nina)
    offered = b"\n".join(downloads)
    assert b"I-NL-1" in offered and SECRET.encode() not in offered
    downloads.clear()
    dora = session("dora", "coordinator", "DE-NW", "pages/allocation.py")
    assert SECRET in everything(dora)  # the unmet need of the most severe incident
    assert SECRET.encode() in b"\n".join(downloads)


def test_briefing_leaves_it_out(scenario, downloads):
    nina = session("nina", "coordinator", "NL-LI", "pages/briefing.py")
    assert not nina.exception and nina.title[0].value == "Briefing"
    assert SECRET not in everything(nina) and SECRET_NAME not in everything(nina)
    assert SECRET.encode() not in b"\n".join(downloads)
    dora = session("dora", "coordinator", "DE-NW", "pages/briefing.py")
    assert SECRET in everything(dora)


# --- sharing and revoking --------------------------------------------------------------------


def add_shared_incident(level: str) -> None:
    store = open_store()
    jurisdictions = load_stored_scenario(store, "meuse").scenario.jurisdictions
    layer = load_layer(
        "u.geojson",
        kind="incidents",
        data=collection(incident(6.2, "I-DE-NEW", name="Shared pumping station")),
        filename="u.geojson",
        jurisdictions=jurisdictions,
    )
    save_layer(
        store,
        scenario_name="meuse",
        kind="incidents",
        frame=layer.frame,
        mode="merge",
        source="u.geojson",
        format="geojson",
        actor=PIA,
        sharing=level,
    )


def test_a_partner_sees_a_share_until_the_owner_revokes_it(scenario):
    nina = session("nina", "coordinator", "NL-LI")
    add_shared_incident("partners")
    nina.run()
    assert "Shared pumping station" in everything(nina)
    assert metrics(nina)["Incidents (active)"] == "4 (4)"
    bea = session("bea", "coordinator", "BE-WLG")
    assert "Shared pumping station" not in everything(bea)
    set_layer_sharing(
        open_store(), scenario_name="meuse", kind="incidents", sharing="owner", actor=PIA
    )
    nina.run()  # the next rerun
    assert not nina.exception
    assert "Shared pumping station" not in everything(nina)
    assert metrics(nina)["Incidents (active)"] == "3 (3)"
    nina.switch_page("pages/allocation.py").run()
    assert "I-DE-NEW" not in everything(nina)


def test_a_coordinator_cannot_share_or_add_another_jurisdictions_layer(scenario):
    session("nina", "coordinator", "NL-LI")  # stores the folder's scenario
    add_shared_incident("partners")
    store = open_store()
    nina = Actor("nina", "coordinator", "NL-LI")
    with pytest.raises(LayerDenied, match="stored by DE-NW"):
        set_layer_sharing(
            store, scenario_name="meuse", kind="incidents", sharing="public", actor=nina
        )
    with store.reading() as connection:
        [last] = audit.entries(connection, newest_first=True, limit=1)
    assert (last.action, last.actor) == ("access.denied", "nina")


# --- the Layers page ----------------------------------------------------------------------------


def test_layers_page_shares_an_upload_and_its_owner_changes_the_level(scenario):
    pia = session("pia", "planner", "DE-NW", "pages/layers.py")
    assert not pia.exception
    table = next(df.value for df in pia.dataframe if "shared with" in df.value.columns)
    assert table.values.tolist() == [
        ["incidents", "1", "everyone", "(the shared files)", "system:first-use"],
        ["resources", "1", "everyone", "(the shared files)", "system:first-use"],
    ]
    assert not [s for s in pia.selectbox if s.label.startswith("Share the ")]
    pia.selectbox(key="layers.kind").set_value("incidents").run()
    pia.file_uploader(key="layers.upload").set_value(
        [
            (
                "mine.geojson",
                collection(incident(6.2, "I-DE-NEW", name="Shared pumping station")),
                "application/geo+json",
            )
        ]
    ).run()
    [share] = [s for s in pia.selectbox if s.label == "Share with"]
    share.set_value("partners").run()
    [add] = [b for b in pia.button if b.label == "Add to scenario"]
    add.click().run()
    assert not pia.exception and not pia.error
    table = next(df.value for df in pia.dataframe if "shared with" in df.value.columns)
    assert table.values.tolist()[0] == ["incidents", "2", "partner jurisdictions", "DE-NW", "pia"]
    bea = session("bea", "coordinator", "BE-WLG")
    assert "Shared pumping station" not in everything(bea)
    # the owner widens it to everyone on the page
    [level] = [s for s in pia.selectbox if s.label == "Share the incidents with"]
    level.set_value("public").run()
    [apply] = [b for b in pia.button if b.label == "Apply to the incidents"]
    apply.click().run()
    assert not pia.exception and not pia.error
    assert "now shared with everyone" in pia.success[-1].value
    bea.run()
    assert "Shared pumping station" in everything(bea)


def test_layers_page_refuses_another_jurisdictions_incidents(scenario):
    pia = session("pia", "planner", "DE-NW", "pages/layers.py")
    pia.selectbox(key="layers.kind").set_value("incidents").run()
    pia.file_uploader(key="layers.upload").set_value(
        [
            (
                "nl.geojson",
                collection(incident(5.2, "I-7"), incident(5.3, "I-9")),
                "application/geo+json",
            )
        ]
    ).run()
    [add] = [b for b in pia.button if b.label == "Add to scenario"]
    add.click().run()
    assert not pia.exception
    assert (
        literal(
            "pia (DE-NW planner) cannot add incidents I-7, I-9 of NL-LI: a planner adds "
            "layers for its own jurisdiction"
        )
        in pia.error[0].value
    )
    table = next(df.value for df in pia.dataframe if "shared with" in df.value.columns)
    assert table["version"].tolist() == ["1", "1"]


def log_sources(at: AppTest) -> list[str]:
    """The layer log's source column (the Layers page's table with a "source" column)."""
    return [
        row
        for df in at.dataframe
        if "source" in df.value.columns
        for row in df.value["source"].tolist()
    ]


def test_layer_log_shows_only_versions_the_reader_may_know_of(scenario):
    """Issue 6: a version stored for its owner only (its file name, size, author) is not
    in another jurisdiction's layer log; a partners version is in a partner's; a page that
    cannot list the version still stores on top of it (no stale-version refusal)."""
    session("pia", "planner", "DE-NW")  # stores the folder's scenario
    add_shared_incident("owner")
    bert = session("bert", "planner", "BE-WLG", "pages/layers.py")
    assert not bert.exception
    assert "u.geojson" not in log_sources(bert)
    assert "incidents.geojson" in log_sources(bert)  # the first, public version
    pia = session("pia", "planner", "DE-NW", "pages/layers.py")
    assert "u.geojson" in log_sources(pia)
    set_layer_sharing(
        open_store(), scenario_name="meuse", kind="incidents", sharing="partners", actor=PIA
    )
    nina = session("nina", "planner", "NL-LI", "pages/layers.py")
    assert "u.geojson" in log_sources(nina)
    bert.run()
    assert "u.geojson" not in log_sources(bert)
    # BE-WLG's planner adds its own incident on top of versions it cannot list
    bert.selectbox(key="layers.kind").set_value("incidents").run()
    bert.file_uploader(key="layers.upload").set_value(
        [("be.geojson", collection(incident(4.5, "I-BE-1")), "application/geo+json")]
    ).run()
    [add] = [b for b in bert.button if b.label == "Add to scenario"]
    add.click().run()
    assert not bert.exception and not bert.error
    assert "be.geojson" in log_sources(bert)
    assert "u.geojson" not in log_sources(bert)
