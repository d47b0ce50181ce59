"""Opening the app as a signed-in person: the app shows nobody anything but the sign-in
form (issue 6), and a sign-in lasts as long as the browser's session (a reload or a new
address typed in is a new session).

Every app server the ``start_app`` fixture starts has the account :data:`DEFAULT_USER`
(an admin) in its store; ``own_store(...)`` adds it to the stores it makes too.
"""

from __future__ import annotations

#: The password of every account the browser tests create.
PASSWORD = "a long e2e test password"
#: The account :func:`visit` signs in as unless told otherwise.
DEFAULT_USER = "e2e"


def sign_in(page, username: str, password: str = PASSWORD) -> None:  # noqa: ANN001 - a Page
    """Fill and submit the sign-in form the page shows, as a person would, and wait
    until the sidebar (or, in the kiosk view, the page) no longer shows the form."""
    from playwright.sync_api import expect

    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)


def visit(page, url: str, *, username: str = DEFAULT_USER) -> None:  # noqa: ANN001 - a Page
    """Open *url* and sign in there; the same address then shows its page."""
    page.goto(url)
    sign_in(page, username)
