"""Issue 12's live pages in a real browser: two coordinators of different jurisdictions
(Dieter, DE-NW, who asks for help; Nora, NL-LI, who provides it), each in a browser
context of their own, keep the Workflow page open. What one does shows on the other's
page within 5 s with no click, and each is told (a toast) of the offer that arrived
for their jurisdiction: Dieter computes offers and Nora's page shows the offer to her,
"Offer N asks NL-LI for 4 unit(s)..."; Nora commits it and Dieter's page shows it
committed, "Offer N committed by NL-LI...".

"Within 5 s" is measured from the change's own time, the ``at`` of the audit row written
in the change's transaction (the store's clock, this machine's), to the moment the
watching page shows it (``Locator.wait_for``, which watches the page continuously).

Once on one app server with an SQLite store, once with two app servers (two streamlit
processes on different ports) on one PostgreSQL database of the test's own, each
person on a different server. Without PostgreSQL (``MUTUALAID_TEST_PG_URL``) or
Chromium the test is skipped on a developer's machine and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from browsing import BROWSER_TIMEOUT_MS
from playwright_api import expect
from test_workflow_two_coordinators import Person, store_scenario_and_accounts

from builders import write_border_flood
from mutualaid.access.actor import Actor
from mutualaid.settings import FIRST_RUN_ENV, LIVE_REFRESH_ENV, STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import open_store, workflow
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.tables import audit_log

pytestmark = pytest.mark.e2e

#: The issue's bound: a change shows on every open page within 5 s, without a click.
LIVE_WITHIN_MS = 5_000
PG_ENV = "MUTUALAID_TEST_PG_URL"
DIETER = Actor("dieter", "coordinator", "DE-NW")


def prepare_store(url: str, folder: Path) -> int:
    """The scenario, the accounts and Dieter's open request (no offers yet); its id."""
    store = open_store(url)
    try:
        store_scenario_and_accounts(store, folder)
        return workflow.create_request(store, "erft", actor=DIETER, note="boats for Erftstadt")
    finally:
        store.dispose()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """The URL of a new PostgreSQL database (from the PostGIS template the store tests
    use), dropped at the end."""
    server = os.environ.get(PG_ENV)
    if not server:
        _unavailable(f'{PG_ENV} is not set (run: eval "$(scripts/postgres.sh)")')
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"mutualaid_live_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE mutualaid_template')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unavailable(f"cannot reach the PostgreSQL server: {exc}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def two_people(browser) -> Iterator[tuple[Person, Person]]:
    dieter, nora = Person(browser, "dieter"), Person(browser, "nora")
    yield dieter, nora
    for person in (dieter, nora):
        person.context.close()
    assert not dieter.blocked + nora.blocked, "requests that tried to leave the machine"


def toast(person: Person, text: str):
    return person.page.get_by_test_id("stToast").filter(has_text=text)


def changed_at(url: str, action: str, subject: str | None = None) -> datetime:
    """When the store's last audit row of *action* (on *subject*) was written: the
    time of the change, in its transaction."""
    store = open_store(url)
    try:
        with store.reading() as connection:
            query = sa.select(audit_log.c.at).where(audit_log.c.action == action)
            if subject is not None:
                query = query.where(audit_log.c.subject == subject)
            at = connection.execute(query.order_by(audit_log.c.seq.desc()).limit(1)).scalar_one()
    finally:
        store.dispose()
    return datetime.fromisoformat(at)


def shown_within_5_s(locator, url: str, action: str, subject: str | None = None) -> float:
    """Wait (without a click) until *locator* shows, then check that it showed within
    :data:`LIVE_WITHIN_MS` of the change; the seconds it took."""
    locator.first.wait_for(state="visible", timeout=BROWSER_TIMEOUT_MS)
    seen = datetime.now(UTC)
    took = (seen - changed_at(url, action, subject)).total_seconds()
    assert took <= LIVE_WITHIN_MS / 1000, f"shown {took:.2f} s after the change"
    return took


def audited(url: str, action: str) -> int:
    """How many audit rows of *action* the store *url* holds."""
    store = open_store(url)
    try:
        with store.reading() as connection:
            query = sa.select(sa.func.count()).where(audit_log.c.action == action)
            return int(connection.execute(query.select_from(audit_log)).scalar_one())
    finally:
        store.dispose()


def click_until_stored(button, done, url: str, action: str) -> None:
    """Click *button* and wait for *done*; if the store shows the click made nothing
    (no *action* row), click again, at most twice more. A known Streamlit race: a click
    landing while the page's live fragment is rerunning is now and then dropped (about
    1 in 10 here under load); a person clicks again, and so does this. A click that did
    its work is never repeated."""
    before = audited(url, action)
    for _attempt in range(3):
        button.click()
        try:
            done.wait_for(state="visible", timeout=15_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: look at the store
            if audited(url, action) > before:
                expect(done).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
                return
    raise AssertionError(f"three clicks and no {action} stored")


def follow_each_other(url: str, dieter: Person, nora: Person, request_id: int) -> None:
    """Dieter computes offers; Nora's page shows hers and tells her. Nora commits;
    Dieter's page shows it committed and tells him. No click on the watching page;
    *url* names the store both servers use."""
    # Nora watches a board with nothing for her yet.
    expect(nora.page.get_by_text("No requests or offers yet in this scenario.")).to_be_visible()
    # Dieter computes the offers.
    tools = dieter.page.get_by_test_id("stExpander").filter(has_text="Compute offers")
    tools.locator("summary").click()
    click_until_stored(
        dieter.page.get_by_role("button", name="Compute offers"),
        dieter.page.get_by_text("Plan 1 computed:"),
        url,
        "plan.computed",
    )
    cards = nora.page.locator("[class*='st-key-workflow-offer-']")
    proposed = cards.get_by_text("NL-LI → DE-NW, 4 units, request", exact=False)
    # Within 5 s of the plan being stored, with no click on Nora's page: its group on
    # the board (collapsed to one line) shows; the offer's card is inside.
    group = nora.page.get_by_test_id("stExpander").filter(has=proposed)
    shown_within_5_s(group, url, "plan.computed")
    # Read while its group is still collapsed: opening it first would delay the toast's
    # check below past the 5 s it is measured against.
    heading = (proposed.first.text_content() or "").strip()
    offer_id = int(heading.split(":")[0].removeprefix("Offer "))
    assert heading == (f"Offer {offer_id}: NL-LI → DE-NW, 4 units, request {request_id} — proposed")
    shown_within_5_s(
        toast(nora, f"Offer {offer_id} asks NL-LI for 4 unit(s) for request {request_id}."),
        url,
        "plan.computed",
    )

    # Dieter's page shows the offer proposed; Nora commits it.
    dieter_card = dieter.offer(offer_id)
    expect(dieter_card.get_by_text(heading, exact=True)).to_be_visible()
    click_until_stored(
        nora.offer(offer_id).get_by_role("button", name="Commit"),
        nora.page.get_by_text(f"Offer {offer_id} committed by you at"),
        url,
        "offer.committed",
    )
    committed = heading.replace("proposed", "committed")
    subject = f"offer {offer_id}"
    shown_within_5_s(
        dieter_card.get_by_text(committed, exact=True), url, "offer.committed", subject
    )
    expect(dieter_card.get_by_role("button", name="Accept")).to_be_visible()
    # The live redraw kept what Dieter's own last click did (it used to wipe it).
    expect(dieter.page.get_by_text("Plan 1 computed:")).to_be_visible()
    shown_within_5_s(
        toast(dieter, f"Offer {offer_id} committed by NL-LI: 4 unit(s) to accept."),
        url,
        "offer.committed",
        subject,
    )
    assert dieter.errors == [] and nora.errors == []


def test_a_change_in_one_browser_shows_in_the_other_within_5_s(start_app, two_people, tmp_path):
    state = tmp_path / "state"
    url_store = f"sqlite:///{state / STORE_FILE_NAME}"
    folder = write_border_flood(tmp_path / "erft")
    request_id = prepare_store(url_store, folder)
    url = start_app(
        scenario_dirs=[folder],
        env={
            STATE_DIR_ENV: str(state),
            DATABASE_URL_ENV: url_store,
            FIRST_RUN_ENV: "0",
            LIVE_REFRESH_ENV: "2",
        },
    )
    dieter, nora = two_people
    for person in (dieter, nora):
        person.sign_in(url)
    follow_each_other(url_store, dieter, nora, request_id)


def test_the_same_across_two_app_servers_on_one_postgresql(
    start_app, two_people, pg_database, tmp_path
):
    folder = write_border_flood(tmp_path / "erft")
    request_id = prepare_store(pg_database, folder)
    env = {DATABASE_URL_ENV: pg_database, FIRST_RUN_ENV: "0", LIVE_REFRESH_ENV: "2"}
    # Two processes on two ports (start_app starts one per distinct environment).
    first = start_app(scenario_dirs=[folder], env={**env, "MUTUALAID_E2E_SERVER": "1"})
    second = start_app(scenario_dirs=[folder], env={**env, "MUTUALAID_E2E_SERVER": "2"})
    assert first != second
    dieter, nora = two_people
    dieter.sign_in(first)
    nora.sign_in(second)
    follow_each_other(pg_database, dieter, nora, request_id)
