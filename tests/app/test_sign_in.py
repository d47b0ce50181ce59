"""Sign-in in Streamlit's AppTest: a tiny page behind ``require_actor`` on a real SQLite
store. The form, the one generic failure message, the session re-checked on every rerun
(a disabled account is signed out), refusal of a forged session value, the throttle after
repeated failures, roles and signing out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mutualaid.identity import system_actor
from mutualaid.store import open_store
from mutualaid.store.accounts import add_account, disable_account
from mutualaid.store.engine import DATABASE_URL_ENV
from mutualaid.store.migrate import upgrade
from mutualaid.text import literal
from mutualaid.ui import identity
from mutualaid.ui.identity import FAILED_MESSAGE, FORM_KEY, SESSION_KEY, SignInThrottle

PASSWORD = "correct horse battery"
PAGE = '''
import os

import streamlit as st

from mutualaid.store import open_store
from mutualaid.ui.identity import require_actor, sign_out_button

store = open_store(os.environ["MUTUALAID_DATABASE_URL"])
try:
    actor = require_actor(store, role={role!r})
    sign_out_button(actor)
    st.markdown(f"signed in: {{actor.label}}")
finally:
    store.dispose()
'''


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    # a fresh throttle: failures in other tests must not count here
    monkeypatch.setattr(identity, "THROTTLE", SignInThrottle())
    opened = open_store(url)
    upgrade(opened)
    add_account(opened, username="alice", role="coordinator", jurisdiction="DE-NW",
                password=PASSWORD, display_name="Alice", actor=system_actor("test"))
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


@pytest.mark.parametrize("username, password", [
    ("alice", "wrong password!"), ("nobody", PASSWORD), ("alice", ""), ("", "")])
def test_a_failed_sign_in_shows_one_generic_message_and_nothing_else(store, tmp_path,
                                                                        username, password):
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
    assert at.error[0].value.startswith("Too many failed sign-ins for this username. "
                                        "Try again in 15 minutes")
    assert shown_text(at) == []
    # an unknown username is throttled the same way: no hint that it does not exist
    for _ in range(5):
        sign_in(at, "nobody", "wrong password!")
    sign_in(at, "nobody", "wrong password!")
    assert at.error[0].value.startswith("Too many failed sign-ins")


def test_a_role_too_low_is_refused_clearly(store, tmp_path):
    at = sign_in(page(tmp_path, role="admin"), "alice", PASSWORD)
    assert [e.value for e in at.error] == [literal(
        "This page needs the admin role or a higher one; you are signed in as Alice "
        "(DE-NW coordinator). Ask an admin if you need more access.")]
    assert shown_text(at) == []


def test_sign_out_shows_the_form_again(store, tmp_path):
    at = sign_in(page(tmp_path), "alice", PASSWORD)
    at.sidebar.button[0].click().run()
    assert form_shown(at) and shown_text(at) == []


# --- the throttle on its own ------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_counts_failures_in_a_sliding_window():
    clock = Clock()
    throttle = SignInThrottle(max_failures=3, window_s=60, clock=clock)
    for _ in range(3):
        assert throttle.wait_seconds("a") == 0
        throttle.failed("a")
        clock.now += 10
    assert throttle.wait_seconds("a") == pytest.approx(30)  # first failure at 1000, now 1030
    assert throttle.wait_seconds("b") == 0  # per username
    clock.now += 30
    assert throttle.wait_seconds("a") == 0
    throttle.failed("a")
    assert throttle.wait_seconds("a") == pytest.approx(10)


def test_throttle_forgets_on_success_and_remembers_a_bounded_number_of_names():
    throttle = SignInThrottle(max_failures=1, window_s=60, max_usernames=2, clock=Clock())
    throttle.failed("a")
    throttle.succeeded("a")
    assert throttle.wait_seconds("a") == 0
    for name in ("x", "y", "z"):
        throttle.failed(name)
    assert throttle.wait_seconds("x") == 0  # the oldest name was forgotten
    assert throttle.wait_seconds("y") > 0 and throttle.wait_seconds("z") > 0
