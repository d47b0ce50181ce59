"""Helpers for AppTests that act as a signed-in person: an account in the test's own
store (the state folder tests/conftest.py gives every test), and the session record a
verified sign-in leaves. The form itself is tested in test_sign_in.py and, through the
browser, in the e2e tests."""

from __future__ import annotations

import pytest
from signed import ensure_account, sign_in_session
from streamlit.testing.v1 import AppTest

from mutualaid.ui.signed_in import FORM_KEY

PASSWORD = "a long test password"


def make_account(username: str, *, role: str, jurisdiction: str | None = None) -> str:
    """Create an account in the store the app under test opens; returns its username."""
    return ensure_account(username, role=role, jurisdiction=jurisdiction, password=PASSWORD)


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Fill the sign-in form the page shows and submit it."""
    at.text_input(key=f"{FORM_KEY}.username").input(username)
    at.text_input(key=f"{FORM_KEY}.password").input(password)
    [submit] = [b for b in at.button if b.label == "Sign in"]
    return submit.click().run()


@pytest.fixture
def signed_in():
    """``signed_in(at, username, role=..., jurisdiction=None) -> AppTest``: create the
    account, give the session the record a verified sign-in leaves, and rerun."""

    def sign(at: AppTest, username: str, *, role: str, jurisdiction: str | None = None) -> AppTest:
        make_account(username, role=role, jurisdiction=jurisdiction)
        sign_in_session(at, username)
        return at.run()

    return sign
