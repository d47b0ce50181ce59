"""Issue 16, part 4: a display name (typed by an admin or an identity provider's ``name``
claim) and a feature id (from an uploaded file) reach the page as text. Streamlit renders
an error's, a caption's or a success's body as Markdown: unescaped, ``![t](http://...)``
would be an image the browser fetches. Each body checked here is the escaped text
(:func:`mutualaid.text.literal`), which Markdown shows as the text itself; the browser
test in tests/e2e/test_markdown_injection.py checks that no such image is requested."""

from __future__ import annotations

from pathlib import Path

import pytest
from signed import app_test

from builders import collection, point, square
from mutualaid.access.actor import system_actor
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import open_store
from mutualaid.store.accounts import change_role
from mutualaid.text import literal

#: An image on a local address nothing listens on: rendered, the browser would fetch it.
HOSTILE = "![t](http://127.0.0.1:9/x.png)"


def incident(x: float, y: float, id: str) -> tuple[dict, dict]:
    return point(x, y), {
        "id": id,
        "hazard": "flood",
        "severity": 3,
        "reported_at": "2021-07-14T17:30:00Z",
        "needs": {"boat": 1},
    }


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two jurisdictions side by side (DE-NW east of NL-LI), one incident in DE-NW."""
    folder = tmp_path / "erft"
    folder.mkdir()
    (folder / "jurisdictions.geojson").write_bytes(
        collection(
            (square(6.0, 50.0), {"id": "DE-NW", "country": "DE"}),
            (square(5.0, 50.0), {"id": "NL-LI", "country": "NL"}),
        )
    )
    (folder / "incidents.geojson").write_bytes(collection(incident(6.5, 50.5, "I-1")))
    (folder / "resources.geojson").write_bytes(
        collection((point(6.9, 50.9), {"id": "R-1", "type": "boat", "quantity": 4}))
    )
    (folder / "agreements.csv").write_text(
        "from,to,resource_types,border_delay_min\nDE,NL,*,20\n", encoding="utf-8"
    )
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(folder))
    return folder


def shows_literally(body: str, text: str) -> bool:
    """*body* holds *text* escaped, and nowhere as active Markdown."""
    return literal(text) in body and text not in body


def test_a_display_name_shows_literally_in_signed_in_as(scenario: Path):
    at = app_test(role="viewer", jurisdiction="DE-NW", username="vic", display_name=HOSTILE).run()
    assert not at.exception
    [caption] = [c.value for c in at.sidebar.caption if "Signed in as" in c.value]
    assert caption == literal(f"Signed in as {HOSTILE} (DE-NW viewer)")
    assert shows_literally(caption, HOSTILE)


def test_a_display_name_shows_literally_in_a_page_refusal(scenario: Path):
    at = app_test(role="viewer", jurisdiction="DE-NW", username="vic", display_name=HOSTILE)
    at.switch_page("pages/accounts.py")
    at.run()
    assert not at.exception
    [refusal] = [e.value for e in at.error]
    assert refusal.startswith(literal("This page needs the admin role"))
    assert shows_literally(refusal, HOSTILE)


def layers_page(**account) -> object:
    at = app_test(default_timeout=120, **account)
    at.switch_page("pages/layers.py")
    return at.run()


def upload(at, name: str, data: bytes):
    at.selectbox(key="layers.kind").set_value("incidents")
    at.file_uploader(key="layers.upload").set_value((name, data, "application/geo+json"))
    return at.run()


def click(at, label: str):
    [button] = [b for b in at.button if b.label == label]
    button.click()
    return at.run()


def test_a_feature_id_shows_literally_in_not_added(scenario: Path):
    # A planner of DE-NW adds an incident that lies in NL-LI: refused, naming its id.
    at = layers_page(role="planner", jurisdiction="DE-NW", username="pia")
    at = upload(
        at, "mine.geojson", collection(incident(6.5, 50.5, "I-1"), incident(5.5, 50.5, HOSTILE))
    )
    assert not at.exception
    at = click(at, "Add to scenario")
    assert not at.exception
    [refused] = [e.value for e in at.error if e.value.startswith("Not added")]
    assert "cannot add incidents" in refused and "NL" in refused
    assert shows_literally(refused, HOSTILE)


def test_a_display_name_and_an_owner_show_literally_in_sharing_not_changed(scenario: Path):
    # Pia (DE-NW) stores the incidents, so the page offers her their sharing; an admin
    # moves her to NL-LI before she applies it: refused, naming her and the layer's owner.
    at = layers_page(role="planner", jurisdiction="DE-NW", username="pia", display_name=HOSTILE)
    at = upload(
        at, "mine.geojson", collection(incident(6.5, 50.5, "I-1"), incident(6.2, 50.2, "I-2"))
    )
    at = click(at, "Add to scenario")
    assert "Added" in at.success[-1].value
    store = open_store()
    change_role(store, "pia", role="planner", jurisdiction="NL-LI", actor=system_actor("test"))
    store.dispose()
    at.selectbox(key="layers.level.incidents").set_value("owner")
    at = click(at, "Apply to the incidents")
    assert not at.exception
    [refused] = [e.value for e in at.error if e.value.startswith("Sharing not changed")]
    assert "cannot change who sees the incidents" in refused
    assert shows_literally(refused, HOSTILE)
