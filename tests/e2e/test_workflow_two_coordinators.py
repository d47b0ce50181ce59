"""Issue 5's "done when", in a real browser: two coordinators of the same providing
jurisdiction, in two browser contexts (two separate sessions, as two people), open the
workflow board on the same proposed offer. The first commits it and sees it committed;
the second, whose page still shows the old version, clicks Commit and is told that the
first got there first, by name. The store holds the offer committed once and its units
counted once; the audit log records one commit and stays intact.

The store is made in the test: a small scenario saved, the coordinators' accounts with
known passwords, a request and its offers computed with the workflow's own functions.
Both contexts abort every request that would leave the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browsing import open_board_group, open_offline_page
from playwright_api import Page, expect

from builders import limburg_offer, write_border_flood
from mutualaid.access.actor import Actor, system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import FIRST_RUN_ENV, LIVE_REFRESH_ENV, STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import audit, open_store, workflow
from mutualaid.store.accounts import add_account
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.migrate import upgrade
from mutualaid.store.tables import offers, units

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: How long to wait for the app (ms): a cold Streamlit start on 2 shared cores is slow.
WAIT_MS = 120_000
PASSWORDS = {
    "nora": "nora-limburg-2021-boats",
    "nils": "nils-limburg-2021-boats",
    "dieter": "dieter-nrw-2021-flood",
}
ACCOUNTS = {
    "nora": ("coordinator", "NL-LI", "Nora"),
    "nils": ("coordinator", "NL-LI", "Nils"),
    "dieter": ("coordinator", "DE-NW", "Dieter"),
}


def store_scenario_and_accounts(store, folder: Path) -> None:
    """*folder*'s scenario stored as "erft" and the :data:`ACCOUNTS`, each with its
    password of :data:`PASSWORDS`, in *store* (schema created)."""
    upgrade(store)
    result = load_scenario(folder)
    assert result.ok, [r.errors for r in result.reports]
    admin = system_actor("test")
    save_scenario(store, result.scenario, name="erft", sources={}, actor=admin)
    for username, (role, jurisdiction, name) in ACCOUNTS.items():
        add_account(
            store,
            username=username,
            role=role,
            jurisdiction=jurisdiction,
            password=PASSWORDS[username],
            display_name=name,
            actor=admin,
        )


def prepare_store(url: str, folder: Path) -> int:
    """The scenario, the accounts, Dieter's request and the offers; returns the id of
    NL-LI's offer (boats and the pump for DE-NW), proposed, version 1."""
    store = open_store(url)
    try:
        store_scenario_and_accounts(store, folder)
        return limburg_offer(store, "erft", note="boats for Erftstadt")
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path, int]:
    """(store URL, state folder, scenario folder, offer id)."""
    base = tmp_path_factory.mktemp("workflow")
    state = base / "state"
    url = f"sqlite:///{state / STORE_FILE_NAME}"
    folder = write_border_flood(base / "erft")
    return url, state, folder, prepare_store(url, folder)


class Person:
    """One coordinator's own browser context (cookies, session) and page, offline
    (:func:`browsing.open_offline_page`)."""

    def __init__(self, browser, name: str) -> None:
        self.name = name
        self.record = open_offline_page(browser, timeout_ms=WAIT_MS)
        self.page: Page = self.record.page
        self.context = self.record.context
        self.blocked, self.errors = self.record.blocked, self.record.errors

    def sign_in(self, url: str) -> None:
        page = self.page
        page.goto(f"{url}/workflow")
        # signed out, the address shows the sign-in page only
        expect(page.get_by_text("Sign in to open Workflow.")).to_be_visible()
        page.get_by_role("textbox", name="Username").fill(self.name)
        page.get_by_role("textbox", name="Password").fill(PASSWORDS[self.name])
        page.get_by_role("button", name="Sign in", exact=True).click()
        # Signed in: the board's own controls replace the form.
        expect(page.get_by_role("button", name="Refresh")).to_be_visible()

    def offer(self, offer_id: int):
        """The offer's card, its group on the board opened (groups start collapsed)."""
        return open_board_group(self.page, self.page.locator(f".st-key-workflow-offer-{offer_id}"))


@pytest.fixture
def two_coordinators(browser) -> Iterator[tuple[Person, Person]]:
    first, second = Person(browser, "nora"), Person(browser, "nils")
    yield first, second
    for person in (first, second):
        person.context.close()
    assert not first.blocked + second.blocked, "requests that tried to leave the machine"


def test_the_second_coordinator_sees_that_the_first_got_there_first(
    start_app, prepared, two_coordinators
):
    """A click on a page drawn before another coordinator's commit is refused and says
    who got there first. Live pages (issue 12) redraw such a page within 2 s, so the
    stale page is held here by slowing the live refresh to an hour (a failure found
    merging the live pages: Nils's page was redrawn before the test clicked on it); the
    guard still matters for a click within those seconds. Live redraws are tested in
    test_live_pages.py."""
    url_store, state, folder, offer_id = prepared
    url = start_app(
        scenario_dirs=[folder],
        env={
            STATE_DIR_ENV: str(state),
            DATABASE_URL_ENV: url_store,
            FIRST_RUN_ENV: "0",
            LIVE_REFRESH_ENV: "3600",
        },
    )
    nora, nils = two_coordinators
    heading = f"Offer {offer_id}: NL-LI → DE-NW, 4 units, request 1 — proposed"

    # Both open the board on the same proposed offer.
    for person in (nora, nils):
        person.sign_in(url)
        card = person.offer(offer_id)
        expect(card.get_by_text(heading, exact=True)).to_be_visible()
        expect(card.get_by_role("button", name="Commit")).to_be_visible()

    # The first commits and sees it committed.
    nora.offer(offer_id).get_by_role("button", name="Commit").click()
    expect(nora.page.get_by_text(f"Offer {offer_id} committed by you at")).to_be_visible()
    expect(
        nora.offer(offer_id).get_by_text(
            f"Offer {offer_id}: NL-LI → DE-NW, 4 units, request 1 — committed",
            exact=True,
        )
    ).to_be_visible()

    # The second still sees version 1, proposed, and clicks Commit on it.
    expect(nils.offer(offer_id).get_by_text(heading, exact=True)).to_be_visible()
    nils.offer(offer_id).get_by_role("button", name="Commit").click()

    store = open_store(url_store)
    try:
        with store.reading() as connection:
            row = connection.execute(sa.select(offers).where(offers.c.id == offer_id)).one()
            taken = {r.resource_id: r.committed for r in connection.execute(sa.select(units))}
            commits = list(audit.entries(connection, actions=["offer.committed"]))
            chain = audit.verify(connection)
    finally:
        store.dispose()
    message = (
        f"offer {offer_id} was already committed by nora (NL-LI) at {row.updated_at:%H:%M} UTC"
    )
    expect(nils.page.get_by_test_id("stAlertContentError")).to_have_text(message)
    # ...and the board now shows the offer as it is.
    expect(
        nils.offer(offer_id).get_by_text(
            f"Offer {offer_id}: NL-LI → DE-NW, 4 units, request 1 — committed",
            exact=True,
        )
    ).to_be_visible()
    expect(nils.offer(offer_id).get_by_role("button", name="Commit")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    nils.page.screenshot(path=str(SCREENSHOTS / "workflow.png"), full_page=True)

    # Committed once, by the first; the units counted once.
    assert (row.state, row.version, row.updated_by) == ("committed", 2, "nora")
    assert taken == {"R-1": 0, "R-2": 3, "R-3": 1}
    assert [(e.actor, e.subject) for e in commits] == [("nora", f"offer {offer_id}")]
    assert chain.ok
    assert nora.errors == [] and nils.errors == []


def test_the_audit_log_page_shows_the_chain_and_downloads_it(
    start_app, prepared, browser, tmp_path
):
    url_store, state, folder, offer_id = prepared
    url = start_app(
        scenario_dirs=[folder],
        env={STATE_DIR_ENV: str(state), DATABASE_URL_ENV: url_store, FIRST_RUN_ENV: "0"},
    )
    dieter = Person(browser, "dieter")
    try:
        dieter.sign_in(url)
        page = dieter.page
        page.get_by_test_id("stSidebar").get_by_role("link", name="Audit log", exact=True).click()
        expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        expect(page.get_by_role("textbox", name="Username")).to_have_count(0)
        expect(page.get_by_text("Audit chain intact:")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        saved = tmp_path / "audit.csv"
        download.value.save_as(saved)
        lines = saved.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "seq,at,actor,action,subject,before,after,prev_hash,hash"
        rows = [line.split(",") for line in lines[1:]]
        seqs = [int(r[0]) for r in rows]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # oldest first
        # a coordinator reads the rows its own jurisdiction's accounts wrote and those
        # about its requests and offers (NL-LI's commit of the offer to DE-NW, when the
        # test before this one made it), nothing else (issue 6)
        others = {(r[2], r[4]) for r in rows if r[2] != "dieter"}
        assert others <= {("nora", f"offer {offer_id}")}, others
        assert ("dieter", "request.created", "request 1") in {(r[2], r[3], r[4]) for r in rows}
        assert ("dieter", "offer.created", f"offer {offer_id}") in {
            (r[2], r[3], r[4]) for r in rows
        }
        assert dieter.errors == [] and dieter.blocked == []
    finally:
        dieter.context.close()


def test_a_coordinator_commits_part_of_an_offer_in_the_browser(start_app, browser, tmp_path):
    """Issue 12, partial answers: Nora commits one of the three boats offered and
    declines the pump line, through the per-line number inputs; the store holds one boat
    and the rest is open again. Dieter accepts it and marks it arrived on scene."""
    state = tmp_path / "state"
    url_store = f"sqlite:///{state / STORE_FILE_NAME}"
    folder = write_border_flood(tmp_path / "erft")
    offer_id = prepare_store(url_store, folder)
    # The live refresh slowed to an hour: a live rerun may swallow a click (seen in CI,
    # Dieter's Accept); live redraws are tested in test_live_pages.py.
    url = start_app(
        scenario_dirs=[folder],
        env={
            STATE_DIR_ENV: str(state),
            DATABASE_URL_ENV: url_store,
            FIRST_RUN_ENV: "0",
            LIVE_REFRESH_ENV: "3600",
        },
    )
    nora, dieter = Person(browser, "nora"), Person(browser, "dieter")
    reader = open_store(url_store)
    try:
        nora.sign_in(url)
        card = nora.offer(offer_id)
        # Each line's input, found by its widget key (its label, made of ids from files,
        # is escaped Markdown, which the accessible name keeps as typed).
        seen = workflow.board(reader, "erft", viewer=Actor("nora", "coordinator", "NL-LI"))
        (offer,) = [o for o in seen.offers if o.id == offer_id]
        lines = {x.resource_id: x.id for x in offer.lines}
        boats, pump = (
            card.locator(f".st-key-workflow-commit-units-{offer_id}-{lines[r]} input")
            for r in ("R-2", "R-3")
        )
        expect(card.get_by_text("R-2 → I-1 (boat), of 3")).to_be_visible()
        expect(boats).to_have_value("3")  # the full amount by default
        boats.fill("1")
        boats.press("Enter")
        pump.fill("0")
        pump.press("Enter")
        card.get_by_role("button", name="Commit").click()
        expect(
            nora.page.get_by_text(f"Offer {offer_id} committed (1 of 4 units) by you at")
        ).to_be_visible()
        expect(
            nora.offer(offer_id).get_by_text(
                f"Offer {offer_id}: NL-LI → DE-NW, 1 of 4 units, request 1 — committed",
                exact=True,
            )
        ).to_be_visible()
        expect(
            nora.offer(offer_id).get_by_text("stage: committed, not yet accepted")
        ).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        nora.page.screenshot(path=str(SCREENSHOTS / "workflow_partial.png"), full_page=True)
        store = open_store(url_store)
        try:
            with store.reading() as connection:
                taken = {r.resource_id: r.committed for r in connection.execute(sa.select(units))}
            held = workflow.held_lines(store, "erft")
        finally:
            store.dispose()
        assert taken == {"R-1": 0, "R-2": 1, "R-3": 0}
        assert [(x.resource_id, x.units, x.stage) for x in held.lines] == [("R-2", 1, "committed")]
        assert nora.errors == [] and nora.blocked == []

        # Dieter accepts the committed boat; it is en route, then on scene.
        dieter.sign_in(url)
        card = dieter.offer(offer_id)
        card.get_by_role("button", name="Accept").click()
        expect(
            dieter.page.get_by_text(f"Offer {offer_id} accepted (units deployed) by you at")
        ).to_be_visible()
        expect(dieter.offer(offer_id).get_by_text("stage: en route; committed ")).to_be_visible()
        dieter.offer(offer_id).get_by_role("button", name="Arrived on scene").click()
        expect(
            dieter.page.get_by_text(f"Offer {offer_id} marked on scene (units arrived) by you at")
        ).to_be_visible()
        expect(dieter.offer(offer_id).get_by_text("stage: on scene; committed ")).to_be_visible()
        dieter.page.screenshot(path=str(SCREENSHOTS / "workflow_on_scene.png"), full_page=True)
        held = workflow.held_lines(reader, "erft")
        assert [(x.resource_id, x.units, x.stage) for x in held.lines] == [("R-2", 1, "on_scene")]
        assert dieter.errors == [] and dieter.blocked == []
    finally:
        reader.dispose()
        nora.context.close()
        dieter.context.close()
