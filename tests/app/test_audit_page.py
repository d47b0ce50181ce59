"""The Audit log page in AppTest, on a real SQLite store made in the test: sign-in
required, the chain's verdict at the top, filters, hostile text kept as text, downloads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from signed import app_store, sign_in_session
from streamlit.testing.v1 import AppTest

from builders import record_audit
from mutualaid.access.actor import system_actor
from mutualaid.store.accounts import add_account
from mutualaid.store.tables import audit_log
from mutualaid.text import literal
from mutualaid.ui.pages import audit_page

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 7, 14, 17, 30, tzinfo=UTC)
HOSTILE_SUBJECT = "scenario ![x](http://evil.example/x.png)"
HOSTILE_VALUE = "<img src=x onerror=alert(1)> **bold** :red[x]"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A store with an admin's account and four audited changes on two days."""
    opened = app_store(tmp_path, monkeypatch)
    admin = system_actor("test")
    add_account(
        opened,
        username="vera",
        role="admin",
        jurisdiction="DE-NW",
        password=PASSWORD,
        actor=admin,
        now=T0 - timedelta(days=1),
    )  # row 1
    changes = [
        ("alice", "request.created", "request 1", None, {"state": "open"}, T0),
        (
            "bob",
            "offer.committed",
            "offer 7",
            {"state": "proposed"},
            {"state": "committed"},
            T0 + timedelta(minutes=5),
        ),
        (
            "carol",
            "layer.loaded",
            HOSTILE_SUBJECT,
            None,
            {"source": HOSTILE_VALUE},
            T0 + timedelta(days=1),
        ),
    ]
    record_audit(opened, changes)  # rows 2 to 4
    yield opened
    opened.dispose()


def open_audit(*, username: str | None = "vera") -> AppTest:
    """The page, signed in as *username* (None: signed out).

    The session gets the record a verified sign-in leaves (``ui.identity``); the form
    itself is not used here: under AppTest every run of a page reruns once through the
    router (AppTest resets Streamlit's pages-folder mode each run), which drops a form
    submission, and the sign-in is tested where it is written. The browser test signs
    in through the form.
    """
    at = AppTest.from_file(APP, default_timeout=180)
    if username is None:  # the app shows nobody anything but the sign-in form
        return at.run()
    sign_in_session(at, username)
    return at.run().switch_page("pages/audit.py").run()


def the_table(at: AppTest) -> pd.DataFrame:
    """The rows as stored (the auditors' details, before/after as JSON)."""
    (frame,) = [df.value for df in at.dataframe if "before" in df.value.columns]
    return frame


def words_shown(at: AppTest) -> pd.DataFrame:
    """The rows in words, the page's first table."""
    (frame,) = [df.value for df in at.dataframe if "what happened" in df.value.columns]
    return frame


def markdown_texts(at: AppTest) -> list[str]:
    """Everything the page rendered as Markdown."""
    elements = [
        *at.markdown,
        *at.caption,
        *at.success,
        *at.error,
        *at.warning,
        *at.info,
        *at.title,
        *at.subheader,
    ]
    return [str(e.value) for e in elements]


def test_signed_out_the_page_shows_only_the_sign_in_form(store):
    at = open_audit(username=None)
    assert not at.exception
    assert at.title[0].value == "Mutual Aid"  # the sign-in page, whatever was asked for
    assert at.text_input(key="identity.sign_in_form.username") is not None
    assert len(at.dataframe) == 0 and len(at.success) == 0
    assert not any("offer 7" in text for text in markdown_texts(at))


def test_a_disabled_or_unknown_account_sees_nothing(store):
    at = AppTest.from_file(APP, default_timeout=180)
    sign_in_session(at, "nobody")
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 0 and len(at.success) == 0
    assert at.text_input(key="identity.sign_in_form.username") is not None


def test_an_admin_sees_the_chain_intact_and_every_row_newest_first(store):
    at = open_audit()
    assert not at.exception
    assert at.success[0].value.startswith("Audit chain intact: 4 row(s)")
    table = the_table(at)
    assert list(table.columns) == [
        "seq",
        "time (UTC)",
        "actor",
        "action",
        "subject",
        "before",
        "after",
    ]
    assert list(table["seq"]) == [4, 3, 2, 1]
    row = table.iloc[2]
    assert (row["time (UTC)"], row["actor"], row["action"], row["subject"]) == (
        "2026-07-14 17:30:00",
        "alice",
        "request.created",
        "request 1",
    )
    # before/after in words (issue 13): no JSON, no null
    assert (row["before"], row["after"]) == ("—", "State: open")
    assert table.iloc[3]["actor"] == "system:test"
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV", "Download JSON"]


def test_the_rows_in_words_first_and_the_json_in_collapsed_details(store):
    at = open_audit()
    said = words_shown(at)
    assert list(said.columns) == ["seq", "time (UTC)", "what happened", "before → after"]
    assert said.to_dict("records")[1:3] == [
        {
            "seq": 3,
            "time (UTC)": "2026-07-14 17:35:00",
            "what happened": "bob committed offer 7",
            "before → after": "state: proposed → committed",
        },
        {
            "seq": 2,
            "time (UTC)": "2026-07-14 17:30:00",
            "what happened": "alice requested assistance (request 1)",
            "before → after": "state: open",
        },
    ]
    assert said.iloc[3]["what happened"].startswith("system:test created account vera (admin")
    # No JSON outside the details, which are collapsed.
    assert not any("{" in str(v) for v in said.to_numpy().ravel())
    (details,) = [e for e in at.expander if e.label.startswith("Details for auditors")]
    assert details.proto.expanded is False
    assert [df.value.columns[-1] for df in details.dataframe] == ["after"]


def test_hostile_text_stays_text(store):
    at = open_audit()
    table = the_table(at)
    assert table.iloc[0]["subject"] == HOSTILE_SUBJECT
    assert table.iloc[0]["after"] == "Source: <img src=x onerror=alert(1)> **bold** :red[x]"
    assert not any("evil.example" in text or "onerror" in text for text in markdown_texts(at))


def test_filter_by_action(store):
    at = open_audit()
    at.multiselect(key="audit.actions").set_value(["offer.committed", "layer.loaded"]).run()
    assert list(the_table(at)["seq"]) == [4, 3]


def test_filter_by_actor(store):
    at = open_audit()
    actor = at.selectbox(key="audit.actor")
    assert actor.options == ["(anyone)", "alice", "bob", "carol", "system:test"]
    actor.set_value("bob").run()
    assert list(the_table(at)["actor"]) == ["bob"]


def test_filter_by_subject_any_case(store):
    at = open_audit()
    at.text_input(key="audit.subject").input("OFFER").run()
    assert list(the_table(at)["subject"]) == ["offer 7"]
    at.text_input(key="audit.subject").input("no such thing").run()
    assert len(at.dataframe) == 0
    assert "0 row(s) match." in [c.value for c in at.caption]
    assert all(b.proto.disabled for b in at.get("download_button"))


def test_filter_by_dates(store):
    at = open_audit()
    days = at.date_input(key="audit.days")
    # Every day until a range is picked; the help says which days the log covers.
    assert tuple(days.value) == ()
    assert list(the_table(at)["seq"]) == [4, 3, 2, 1]
    assert "The log runs from 2026-07-13 to 2026-07-15." in days.help
    days.set_value((date(2026, 7, 14), date(2026, 7, 14))).run()
    assert list(the_table(at)["seq"]) == [3, 2]
    at.date_input(key="audit.days").set_value((date(2026, 7, 15),)).run()  # one day picked
    assert list(the_table(at)["seq"]) == [4]


def test_filters_combine(store):
    at = open_audit()
    at.multiselect(key="audit.actions").set_value(["request.created", "offer.committed"])
    at.selectbox(key="audit.actor").set_value("alice").run()
    assert list(the_table(at)["seq"]) == [2]


def test_a_tampered_log_is_reported_at_the_top(store):
    with store.engine.begin() as connection:
        connection.execute(audit_log.update().where(audit_log.c.seq == 3).values(actor="mallory"))
    at = open_audit()
    assert not at.exception
    assert len(at.success) == 0
    assert at.error[0].value.startswith("Audit chain broken at row 3: row 3 was changed")
    # The rows are still listed, as they now are.
    assert "mallory" in list(the_table(at)["actor"])


def test_a_row_no_longer_json_is_reported_not_raised(store):
    with store.engine.begin() as connection:
        connection.execute(audit_log.update().where(audit_log.c.seq == 2).values(after="{not json"))
    at = open_audit()
    assert not at.exception
    assert at.error[0].value.startswith("Audit chain broken at row 2")
    assert "cannot be listed" in at.error[1].value


# --- the page's pieces -------------------------------------------------------------------


def test_day_range_covers_whole_utc_days():
    since, until = audit_page.day_range((date(2026, 7, 14), date(2026, 7, 15)))
    assert (since, until) == (datetime(2026, 7, 14, tzinfo=UTC), datetime(2026, 7, 16, tzinfo=UTC))
    assert audit_page.day_range((date(2026, 7, 14),)) == (
        datetime(2026, 7, 14, tzinfo=UTC),
        datetime(2026, 7, 15, tzinfo=UTC),
    )
    assert audit_page.day_range(()) == (None, None)
    assert audit_page.day_range(None) == (None, None)


def test_time_text_keeps_what_is_not_a_time():
    assert audit_page.time_text("2026-07-14T17:30:00.000000+00:00") == "2026-07-14 17:30:00"
    assert audit_page.time_text("yesterday") == "yesterday"


def test_the_downloads_hold_every_matching_row_oldest_first(store):
    filters = audit_page.Filters(actions=("request.created", "layer.loaded"))
    rows = audit_page.query(store, filters, newest_first=False)
    assert [e.seq for e in rows] == [2, 4]
    text = audit_page.csv_text(audit_page._rows(rows))
    lines = text.splitlines()
    assert lines[0] == "seq,at,actor,action,subject,before,after,prev_hash,hash"
    assert lines[1].startswith("2,2026-07-14T17:30:00.000000+00:00,alice,request.created")
    # neutralised: a subject starting with "=" would get an apostrophe
    assert (
        audit_page.csv_text([{**audit_page.entry_row(rows[0]), "subject": "=1+1"}])
        .splitlines()[1]
        .split(",")[4]
        == "'=1+1"
    )


def test_a_viewer_is_not_offered_the_audit_log(store):
    """Issue 6: the audit log is for coordinators and admins; a viewer's session does not
    even register the page's script (its address leads to a refusal, tested in the
    browser)."""
    add_account(
        store,
        username="vic",
        role="viewer",
        jurisdiction="DE-NW",
        password=PASSWORD,
        actor=system_actor("test"),
    )
    at = AppTest.from_file(APP, default_timeout=180)
    sign_in_session(at, "vic")
    at.run()
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page("pages/audit.py")


def test_a_coordinator_reads_only_the_rows_of_its_own_jurisdictions_accounts(store):
    """Issue 6: subjects and before/after values can name what another jurisdiction
    shares with nobody, so a coordinator reads the rows its own jurisdiction's accounts
    wrote; the actor filter offers only those accounts."""
    admin = system_actor("test")
    for username, jurisdiction in (("alice", "DE-NW"), ("bob", "NL-LI"), ("dirk", "DE-NW")):
        add_account(
            store,
            username=username,
            role="coordinator",
            jurisdiction=jurisdiction,
            password=PASSWORD,
            actor=admin,
        )
    alice = open_audit(username="alice")
    assert not alice.exception
    assert set(the_table(alice)["actor"]) == {"alice"}
    assert alice.selectbox(key="audit.actor").options == [audit_page.ANYONE, "alice"]
    assert any(
        literal("rows written by the accounts of DE-NW") in text for text in markdown_texts(alice)
    )
    bob = open_audit(username="bob")
    assert set(the_table(bob)["actor"]) == {"bob"}
    assert all("HOSTILE" not in s and "evil" not in s for s in the_table(bob)["subject"])
    # the chain's verdict covers the whole log
    assert bob.success[0].value.startswith("Audit chain intact: 7 row(s)")
    # an admin reads every row
    assert set(the_table(open_audit())["actor"]) == {"system:test", "alice", "bob", "carol"}


def test_a_stranger_reads_no_foreign_secret_on_the_page_nor_in_its_downloads(tmp_path, monkeypatch):
    """Issue 16: BE-WLG's coordinator clicks Compute offers in a scenario where DE-NW and
    NL-LI requested and planned with owner-only and partners-only incidents and units;
    its Audit log page and downloads name none of them."""
    from meuse import SECRET_IDS, store_secrets
    from mutualaid.access.actor import Actor
    from mutualaid.store import workflow

    opened = app_store(tmp_path, monkeypatch)
    try:
        store_secrets(opened, tmp_path / "meuse", password=PASSWORD)
        bea = Actor("bea", "coordinator", "BE-WLG")
        with pytest.raises(workflow.Denied):
            workflow.plan_offers(opened, "meuse", actor=bea)
        at = open_audit(username="bea")
        assert not at.exception
        table = the_table(at)
        assert list(table["action"]) == ["access.denied"]
        shown = "\n".join(table.astype(str).to_numpy().ravel()) + "\n".join(markdown_texts(at))
        filters = audit_page.Filters(jurisdiction=audit_page.scope(bea))
        rows = audit_page.query(opened, filters, newest_first=False)
        downloads = audit_page.csv_text(audit_page._rows(rows)) + audit_page.json_text(
            audit_page._rows(rows)
        )
        for text in (shown, downloads):
            assert not [i for i in SECRET_IDS if i in text]
        # the owners read their own secrets on the same page
        nina = the_table(open_audit(username="nina"))
        assert "I-NL-OWN" in "\n".join(nina["after"]) and "I-DE-OWN" not in "\n".join(nina["after"])
    finally:
        opened.dispose()
