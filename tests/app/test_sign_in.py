"""Sign-in in Streamlit's AppTest: a tiny page behind ``require_actor`` on a real SQLite
store. The form, the one generic failure message, the session re-checked on every rerun
(a disabled account is signed out), refusal of a forged session value, the throttle after
repeated failures, roles and signing out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from mutualaid.access.actor import system_actor
from mutualaid.settings import SESSION_IDLE_TIMEOUT_S, SESSION_MAX_AGE_S
from mutualaid.store import open_store
from mutualaid.store import sign_in as store_sign_in
from mutualaid.store.accounts import add_account, disable_account, set_password
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.migrate import upgrade
from mutualaid.store.sessions import token_hash
from mutualaid.store.tables import sign_in_sessions
from mutualaid.text import literal
from mutualaid.ui.signed_in import FAILED_MESSAGE, FORM_KEY, SESSION_KEY, SIGNED_OUT_KEY

PASSWORD = "correct horse battery"
PAGE = """
import os

import streamlit as st

from mutualaid.store import open_store
from mutualaid.ui.signed_in import require_actor, sign_out_button

store = open_store(os.environ["MUTUALAID_DATABASE_URL"])
try:
    actor = require_actor(store, role={role!r})
    sign_out_button(actor)
    st.markdown(f"signed in: {{actor.label}}")
finally:
    store.dispose()
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    # after 5 failures the next try waits 10 minutes (the default's first delay is 2 s,
    # shorter than a slow machine's AppTest run)
    monkeypatch.setitem(
        store_sign_in.POLICIES, "pair", store_sign_in.Policy(5, 15 * 60.0, base_s=600.0)
    )
    opened = open_store(url)
    upgrade(opened)
    add_account(
        opened,
        username="alice",
        role="coordinator",
        jurisdiction="DE-NW",
        password=PASSWORD,
        display_name="Alice",
        actor=system_actor("test"),
    )
    yield opened
    opened.dispose()


def page(tmp_path: Path, *, role: str = "viewer") -> AppTest:
    script = tmp_path / f"page_{role}.py"
    script.write_text(PAGE.format(role=role), encoding="utf-8")
    return AppTest.from_file(str(script), default_timeout=60).run()


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key=f"{FORM_KEY}.username").input(username)
    at.text_input(key=f"{FORM_KEY}.password").input(password)
    return at.button[0].click().run()


def shown_text(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def form_shown(at: AppTest) -> bool:
    return [t.label for t in at.text_input] == ["Username", "Password"]


def test_signed_out_shows_the_form_only(store, tmp_path):
    at = page(tmp_path)
    assert not at.exception
    assert form_shown(at)
    assert at.button[0].label == "Sign in"
    assert shown_text(at) == [] and not at.error


@pytest.mark.parametrize(
    "username, password",
    [("alice", "wrong password!"), ("nobody", PASSWORD), ("alice", ""), ("", "")],
)
def test_a_failed_sign_in_shows_one_generic_message_and_nothing_else(
    store, tmp_path, username, password
):
    at = sign_in(page(tmp_path), username, password)
    assert [e.value for e in at.error] == [FAILED_MESSAGE]
    assert shown_text(at) == []
    assert form_shown(at)
    assert SESSION_KEY not in at.session_state


def test_the_right_password_signs_in_and_the_password_is_not_kept(store, tmp_path):
    at = sign_in(page(tmp_path), "alice", PASSWORD)
    assert not at.exception and not at.error
    assert shown_text(at) == ["signed in: Alice (DE-NW coordinator)"]
    assert not at.text_input  # the form is gone
    assert at.sidebar.caption[0].value == literal("Signed in as Alice (DE-NW coordinator)")
    kept = at.session_state.to_dict()
    assert kept[SESSION_KEY].username == "alice"
    assert all(PASSWORD not in repr(value) for value in kept.values())
    assert shown_text(at.run()) == ["signed in: Alice (DE-NW coordinator)"]  # stays signed in


def test_a_disabled_account_is_signed_out_at_its_next_rerun(store, tmp_path):
    at = sign_in(page(tmp_path), "alice", PASSWORD)
    assert shown_text(at) == ["signed in: Alice (DE-NW coordinator)"]
    disable_account(store, "alice", actor=system_actor("test"))
    at.run()
    assert form_shown(at) and shown_text(at) == []
    assert SESSION_KEY not in at.session_state


def test_a_string_in_the_session_cannot_sign_in(store, tmp_path):
    at = page(tmp_path)
    at.session_state[SESSION_KEY] = "alice"
    at.run()
    assert form_shown(at) and shown_text(at) == []
    assert SESSION_KEY not in at.session_state  # thrown away, not trusted


@dataclass(frozen=True)
class LookAlike:
    username: str
    method: str
    signed_in_at: float


def test_a_look_alike_record_cannot_sign_in(store, tmp_path):
    at = page(tmp_path)
    at.session_state[SESSION_KEY] = LookAlike("alice", "password", 0.0)
    at.run()
    assert form_shown(at) and shown_text(at) == []


def test_repeated_failures_lock_the_username_for_a_while(store, tmp_path):
    at = page(tmp_path)
    for _ in range(5):
        sign_in(at, "alice", "wrong password!")
        assert [e.value for e in at.error] == [FAILED_MESSAGE]
    sign_in(at, "alice", PASSWORD)  # the right password, but too many failures
    assert len(at.error) == 1
    assert at.error[0].value == (
        "Too many failed sign-ins for this username. Try again in 10 minutes."
    )
    assert shown_text(at) == []
    # an unknown username is throttled the same way: no hint that it does not exist
    for _ in range(5):
        sign_in(at, "nobody", "wrong password!")
    sign_in(at, "nobody", "wrong password!")
    assert at.error[0].value.startswith("Too many failed sign-ins")


def test_a_role_too_low_is_refused_clearly(store, tmp_path):
    at = sign_in(page(tmp_path, role="admin"), "alice", PASSWORD)
    assert [e.value for e in at.error] == [
        literal(
            "This page needs the admin role or a higher one; you are signed in as Alice "
            "(DE-NW coordinator). Ask an admin if you need more access."
        )
    ]
    assert shown_text(at) == []


def test_sign_out_shows_the_form_again(store, tmp_path):
    at = sign_in(page(tmp_path), "alice", PASSWORD)
    at.sidebar.button[0].click().run()
    assert form_shown(at) and shown_text(at) == []


# --- server-side sessions (security issue 16, item 5) ----------------------------------


def _session_row(store, at: AppTest | str):
    token = at if isinstance(at, str) else at.session_state[SESSION_KEY].token
    with store.reading() as connection:
        return connection.execute(
            sa.select(sign_in_sessions).where(sign_in_sessions.c.token_hash == token_hash(token))
        ).one()


def test_a_password_change_ends_another_open_session_at_its_next_rerun(store, tmp_path):
    first = sign_in(page(tmp_path), "alice", PASSWORD)
    second = sign_in(page(tmp_path), "alice", PASSWORD)
    assert shown_text(first) == shown_text(second) == ["signed in: Alice (DE-NW coordinator)"]
    token = first.session_state[SESSION_KEY].token
    set_password(store, "alice", "a brand new passphrase", actor=system_actor("test"))
    for at in (first, second):
        at.run()
        assert form_shown(at) and shown_text(at) == []
        assert [w.value for w in at.warning] == [
            "You were signed out: your password was changed. Sign in with the new one."
        ]
    assert _session_row(store, token).end_reason == "password_changed"
    # the new password signs in again, and the sentence is gone
    at = sign_in(first, "alice", "a brand new passphrase")
    assert shown_text(at) == ["signed in: Alice (DE-NW coordinator)"]
    assert SIGNED_OUT_KEY not in at.session_state


def _age(store, at: AppTest, **columns) -> None:
    """Move the session's times back (the clock of the store, not a sleep)."""
    token = at.session_state[SESSION_KEY].token
    with store.transaction() as connection:
        connection.execute(
            sign_in_sessions.update()
            .where(sign_in_sessions.c.token_hash == token_hash(token))
            .values(**columns)
        )


def test_an_idle_session_is_signed_out_and_told_why(store, tmp_path):
    at = sign_in(page(tmp_path), "alice", PASSWORD)
    now = datetime.now(UTC)
    _age(store, at, last_seen_at=now - timedelta(seconds=SESSION_IDLE_TIMEOUT_S - 120))
    assert shown_text(at.run()) == ["signed in: Alice (DE-NW coordinator)"]  # not idle yet
    # that rerun was seen: last_seen_at moved to now
    assert _session_row(store, at).last_seen_at > now - timedelta(seconds=60)
    _age(store, at, last_seen_at=now - timedelta(seconds=SESSION_IDLE_TIMEOUT_S + 1))
    at.run()
    assert form_shown(at) and shown_text(at) == []
    assert [w.value for w in at.warning] == [
        "You were signed out after 2 hours without activity. Sign in again."
    ]


def test_a_session_older_than_the_absolute_timeout_is_signed_out(store, tmp_path):
    at = sign_in(page(tmp_path), "alice", PASSWORD)
    token = at.session_state[SESSION_KEY].token
    _age(store, at, created_at=datetime.now(UTC) - timedelta(seconds=SESSION_MAX_AGE_S + 1))
    at.run()
    assert form_shown(at) and shown_text(at) == []
    assert [w.value for w in at.warning] == [
        "You were signed out: a sign-in lasts at most 12 hours. Sign in again."
    ]
    assert _session_row(store, token).end_reason == "expired"


def test_sign_out_ends_the_session_in_the_store(store, tmp_path):
    at = sign_in(page(tmp_path), "alice", PASSWORD)
    token = at.session_state[SESSION_KEY].token
    at.sidebar.button[0].click().run()
    with store.reading() as connection:
        row = connection.execute(
            sa.select(sign_in_sessions).where(sign_in_sessions.c.token_hash == token_hash(token))
        ).one()
    assert row.end_reason == "signed_out" and row.ended_at is not None
    assert len(at.warning) == 0  # signing out oneself needs no explanation
