"""Issue 16, part 2, in a real browser: DE-NW and NL-LI requested assistance and computed
offers in a scenario where both share incidents and units with nobody or with partners
only (tests/meuse.py, ``write_secrets``). BE-WLG's coordinator, party to none of it,
clicks "Compute offers": before the fix that planned everyone's requests, superseded
their proposed offers and wrote ``offer.created`` rows under BE-WLG's account, which its
Audit log page and downloads then showed with the secret ids. Now the click is refused
with a reason, the others' offers stand, and neither the page nor its CSV and JSON
downloads name any foreign owner-only or partners-only id.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from browsing import PASSWORD, open_offline_page, sign_in
from playwright_api import expect

from meuse import SECRET_IDS, store_secrets
from mutualaid.settings import FIRST_RUN_ENV, STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import audit, open_store
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.migrate import upgrade
from mutualaid.store.tables import offers

pytestmark = pytest.mark.e2e


def offer_states(url: str) -> dict[int, tuple[str, int]]:
    store = open_store(url)
    try:
        with store.reading() as connection:
            return {r.id: (r.state, r.version) for r in connection.execute(sa.select(offers))}
    finally:
        store.dispose()


def test_a_stranger_computing_offers_reads_no_foreign_secret_in_the_audit_log(
    start_app, browser, tmp_path: Path
):
    state = tmp_path / "state"
    state.mkdir()
    url_store = f"sqlite:///{state / STORE_FILE_NAME}"
    store = open_store(url_store)
    try:
        upgrade(store)
        made = store_secrets(store, tmp_path / "meuse", password=PASSWORD)
    finally:
        store.dispose()
    before = offer_states(url_store)
    assert sorted(before) == sorted(i for ids in made.values() for i in ids)
    url = start_app(
        scenario_dirs=[tmp_path / "meuse"],
        env={STATE_DIR_ENV: str(state), DATABASE_URL_ENV: url_store, FIRST_RUN_ENV: "0"},
    )
    bea = open_offline_page(browser)
    page = bea.page
    try:
        page.goto(f"{url}/workflow")
        sign_in(page, "bea")
        expect(page.get_by_role("button", name="Refresh")).to_be_visible()
        page.locator("summary", has_text="Compute offers").click()
        page.get_by_role("button", name="Compute offers", exact=True).click()
        # the click's outcome (before the fix: "Plan 4 computed: 3 offer(s) made...")
        outcome = page.locator(
            '[data-testid="stAlertContentError"], [data-testid="stAlertContentSuccess"]'
        )
        expect(outcome).to_be_visible()
        said = outcome.inner_text()
        after_click = offer_states(url_store)

        page.get_by_test_id("stSidebar").get_by_role("link", name="Audit log", exact=True).click()
        expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        expect(page.get_by_text("Audit chain intact:")).to_be_visible()
        expect(page.get_by_text("row(s) match.")).to_be_visible()
        seen = page.locator("body").inner_text()
        downloaded = {}
        for label in ("Download CSV", "Download JSON"):
            with page.expect_download() as download:
                page.get_by_role("button", name=label).click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            downloaded[label] = saved.read_bytes()
        for text in (seen.encode(), *downloaded.values()):
            assert not [i for i in SECRET_IDS if i.encode() in text]
        # refused with a reason; the others' proposed offers still stand
        assert "cannot plan offers in scenario meuse: BE-WLG has no open request in it" in said
        assert after_click == before
        assert "1 row(s) match." in seen  # its own refusal only
        assert b"access.denied" in downloaded["Download CSV"]
        assert b"access.denied" in downloaded["Download JSON"]
        assert bea.errors == [] and bea.left_the_machine == []
    finally:
        bea.context.close()
    store = open_store(url_store)
    try:
        with store.reading() as connection:
            assert audit.verify(connection).ok
    finally:
        store.dispose()
