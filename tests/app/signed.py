"""AppTests of the app's pages act as a signed-in person: the app shows nothing but the
sign-in form to anyone else (issue 6).

:func:`app_test` creates an account (no password: nothing to hash) in the store the app
under test opens — tests/conftest.py gives every test its own — and gives the session the
record a verified sign-in leaves (with its session in the store), before the first run.
The form itself is tested in
test_sign_in.py and through the browser in tests/e2e/.
"""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from builders import ensure_accounts
from mutualaid.store import open_store
from mutualaid.store.migrate import upgrade
from mutualaid.store.sessions import open_session
from mutualaid.ui import signed_in

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def ensure_account(
    username: str,
    *,
    role: str,
    jurisdiction: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
) -> str:
    """The account, created in the test's store when it is not there yet (with *password*
    when given, to sign in through the form)."""
    ensure_accounts(
        None,
        {username: (role, jurisdiction, display_name)},
        password=password,
        by="test",
    )
    return username


def sign_in_session(at: AppTest, username: str) -> AppTest:
    """Give *at*'s session the record a verified sign-in of *username* leaves, with a
    real session opened in the test's store (``MUTUALAID_DATABASE_URL`` or the state
    folder's file), so that the app's check of it on every rerun passes."""
    store = open_store()
    try:
        upgrade(store)
        token = open_session(store, username, method="password", client="test")
    finally:
        store.dispose()
    at.session_state[signed_in.SESSION_KEY] = signed_in._SignedIn(
        username, "password", time.time(), token=token
    )
    return at


def app_test(
    script: str = APP,
    *,
    role: str = "admin",
    jurisdiction: str | None = None,
    username: str | None = None,
    display_name: str | None = None,
    default_timeout: float = 180,
) -> AppTest:
    """``AppTest.from_file(script)`` signed in as a new or existing account (an admin
    bound to no jurisdiction unless told otherwise), not run yet."""
    name = ensure_account(
        username or f"{role}-tester",
        role=role,
        jurisdiction=jurisdiction,
        display_name=display_name,
    )
    return sign_in_session(AppTest.from_file(script, default_timeout=default_timeout), name)


def app_store(
    tmp_path: Path,
    monkeypatch,
    *,
    name: str = "store.sqlite",
):
    """A new, upgraded SQLite store ``tmp_path/<name>``, the one the app under test
    opens (``MUTUALAID_DATABASE_URL``): no first run's samples or demo accounts, and no
    scenario folder, so the first run's default page (Overview) stops at once. The caller
    disposes of it."""
    from mutualaid.settings import FIRST_RUN_ENV, SCENARIO_DIRS_ENV
    from mutualaid.store.database import DATABASE_URL_ENV

    url = f"sqlite:///{tmp_path / name}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    monkeypatch.setenv(FIRST_RUN_ENV, "0")
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path / "no-scenarios"))
    opened = open_store(url)
    upgrade(opened)
    return opened
