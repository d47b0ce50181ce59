"""Issue 6's OpenID Connect sign-in, in a real browser against a real local provider.

``oidc-provider-mock`` runs as its own process on this machine: a complete OpenID
Connect provider (discovery, authorisation page, token endpoint, signed ID tokens) whose
users' claims the test sets through its ``PUT /users/<sub>`` API. The app runs with a
secrets file of its own (``STREAMLIT_SECRETS_FILES``, never the repository's
``.streamlit/``) naming that provider, and a store of its own with no accounts.

In headless Chromium a person clicks "Sign in with your organisation", types their
subject on the provider's page, authorises, and lands back in the app signed in with
the jurisdiction and role their claims give; a role the app does not know signs nobody
in and says why; an account an admin disables loses access at the session's next rerun,
and a fresh page load is refused too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browsing import open_offline_page, stop_process
from playwright_api import Page, expect

from mutualaid.access.actor import system_actor
from mutualaid.settings import FIRST_RUN_ENV, LIVE_REFRESH_ENV, STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import audit, open_store
from mutualaid.store.accounts import disable_account, get_account, list_accounts

for _module, _package in (
    ("oidc_provider_mock", "oidc-provider-mock"),
    ("authlib", "streamlit[auth]"),
):
    if importlib.util.find_spec(_module) is None:
        if os.environ.get("CI") == "true":
            raise ImportError(f"{_package} is required on CI (pip install -e '.[test]')")
        pytest.skip(
            f"{_package} is not installed (pip install -e '.[test]')", allow_module_level=True
        )

pytestmark = pytest.mark.e2e

#: Generous, for 2 shared cores: how long the provider may take to answer.
PROVIDER_STARTUP_S = 120
BUTTON = "Sign in with your organisation"
SECRETS_FILES_ENV = "STREAMLIT_SECRETS_FILES"
#: How long to wait for the app (ms): a cold Streamlit start on 2 shared cores is slow.
WAIT_MS = 120_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def _answers(url: str) -> bool:
    try:
        with _OPENER.open(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Provider:
    """The local OpenID Connect provider (``python -m oidc_provider_mock``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def set_user(self, sub: str, **claims: object) -> None:
        """Give the user *sub* these claims (the provider's own API)."""
        request = urllib.request.Request(
            f"{self.url}/users/{sub}",
            method="PUT",
            data=json.dumps(claims).encode(),
            headers={"Content-Type": "application/json"},
        )
        with _OPENER.open(request, timeout=30) as response:
            assert response.status == 204, response.status


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oidc_provider_mock",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + PROVIDER_STARTUP_S
            while not _answers(f"{url}/.well-known/openid-configuration"):
                try:
                    process.wait(timeout=0.25)  # notices at once if it died
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        pytest.fail(
                            f"the OIDC provider did not start; log:\n"
                            f"{log.read_text(errors='replace')[-3000:]}"
                        )
                    continue
                pytest.fail(
                    f"the OIDC provider exited with {process.returncode}; log:\n"
                    f"{log.read_text(errors='replace')[-3000:]}"
                )
            yield Provider(url)
        finally:
            stop_process(process)


def write_secrets(path: Path, provider: Provider, **mapping: str) -> Path:
    """A secrets file for one app server: Streamlit's ``[auth]`` naming *provider*, and
    the app's claim mapping when *mapping* is given. ``{port}`` in the redirect URI is
    Streamlit's own placeholder for the server's port."""
    lines = [
        "[auth]",
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"',
        f'cookie_secret = "{secrets.token_urlsafe(32)}"',
        'client_id = "any"',
        'client_secret = "any"',
        f'server_metadata_url = "{provider.metadata_url}"',
    ]
    if mapping:
        lines.append("[mutualaid.oidc]")
        lines += [f'{key} = "{value}"' for key, value in mapping.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def oidc_app(
    start_app, provider: Provider, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str]:
    """(app URL, store URL): the app with OIDC configured and an empty store of its own."""
    from mutualaid.store.migrate import upgrade

    base = tmp_path_factory.mktemp("oidc-app")
    secrets_file = write_secrets(base / "secrets.toml", provider)
    state = base / "state"
    state.mkdir()
    store_url = f"sqlite:///{state / STORE_FILE_NAME}"
    store = open_store(store_url)
    try:
        upgrade(store)
    finally:
        store.dispose()
    # The live refresh (issue 12) slowed to an hour: these tests change the store behind
    # a page and then click on it ("the next rerun"), which a live redraw could beat.
    url = start_app(
        env={
            STATE_DIR_ENV: str(state),
            FIRST_RUN_ENV: "0",
            SECRETS_FILES_ENV: str(secrets_file),
            LIVE_REFRESH_ENV: "3600",
        }
    )
    return url, store_url


class Person:
    """A browser context of its own (a person's cookies and session) that reaches only
    this machine (:func:`browsing.open_offline_page`). The provider's page asks a CDN for
    its style sheet: that request is aborted like any other, but only the app's own
    pages must not try to leave."""

    def __init__(self, browser, provider: Provider) -> None:
        self.provider = provider
        self.record = open_offline_page(browser, excused=self._from_provider, timeout_ms=WAIT_MS)
        self.page: Page = self.record.page
        self.context = self.record.context
        self.blocked, self.errors = self.record.blocked, self.record.errors

    def _from_provider(self, request) -> bool:
        try:
            origin = request.frame.url
        except Exception:  # noqa: BLE001 - a request with no frame: count it
            origin = ""
        return origin.startswith(self.provider.url)


@pytest.fixture
def person(browser, provider: Provider) -> Iterator[Callable[[], Person]]:
    """``person() -> Person``: a new person at a browser of their own."""
    made: list[Person] = []

    def make() -> Person:
        made.append(Person(browser, provider))
        return made[-1]

    yield make
    for one in made:
        one.context.close()
    assert not [url for one in made for url in one.blocked], (
        "the app's pages tried to leave the machine"
    )
    assert not [error for one in made for error in one.errors], "errors in the page"


def with_store(store_url: str, action: Callable):
    store = open_store(store_url)
    try:
        return action(store)
    finally:
        store.dispose()


def sign_in_at_provider(page: Page, app_url: str, provider: Provider, sub: str) -> None:
    """From the workflow page's sign-in, through the provider's page, back to the app."""
    page.goto(f"{app_url}/workflow")
    # signed out, every address shows the sign-in page only
    expect(page.get_by_role("heading", name="Mutual Aid")).to_be_visible()
    page.get_by_role("button", name=BUTTON, exact=True).click()
    page.wait_for_url(f"{provider.url}/oauth2/authorize**")
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{app_url}/**")


def sidebar(page: Page):
    return page.get_by_test_id("stSidebar")


def test_a_coordinator_signs_in_through_the_provider_with_the_claims_role(
    oidc_app, provider, person
):
    url, store_url = oidc_app
    provider.set_user("alice", name="Alice", jurisdiction="BE-WLG", role="coordinator")
    page = person().page
    sign_in_at_provider(page, url, provider, "alice")
    expect(
        sidebar(page).get_by_text("Signed in as Alice (BE-WLG coordinator)", exact=True)
    ).to_be_visible()
    # The workflow page now opens without the sign-in.
    sidebar(page).get_by_text("Workflow", exact=True).click()
    expect(page.get_by_role("heading", name="Workflow")).to_be_visible()
    expect(page.get_by_role("button", name=BUTTON)).to_have_count(0)
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)

    account = with_store(store_url, lambda store: get_account(store, "oidc:alice"))
    assert (
        account.role,
        account.jurisdiction,
        account.display_name,
        account.has_password,
        account.created_by,
    ) == ("coordinator", "BE-WLG", "Alice", False, "system:oidc")


def test_changed_claims_change_the_account_at_the_next_sign_in(oidc_app, provider, person):
    url, store_url = oidc_app
    provider.set_user("bert", name="Bert", jurisdiction="BE-WLG", role="viewer")
    for expected in ("Bert (BE-WLG viewer)", "Bert (BE-VLG planner)"):
        # a new browser each time: the same person signing in again another day
        page = person().page
        sign_in_at_provider(page, url, provider, "bert")
        expect(sidebar(page).get_by_text(f"Signed in as {expected}", exact=True)).to_be_visible()
        provider.set_user("bert", name="Bert", jurisdiction="BE-VLG", role="planner")

    def changes(store):
        with store.reading() as connection:
            return [
                e
                for e in audit.entries(connection, actions=["account.changed"])
                if e.subject == "account oidc:bert"
            ]

    (change,) = with_store(store_url, changes)
    assert change.actor == "system:oidc"
    assert (change.before["role"], change.after["role"]) == ("viewer", "planner")
    assert (change.before["jurisdiction"], change.after["jurisdiction"]) == ("BE-WLG", "BE-VLG")


def test_a_role_the_app_does_not_know_signs_nobody_in(oidc_app, provider, person):
    url, store_url = oidc_app
    provider.set_user("mallory", name="Mallory", jurisdiction="BE-WLG", role="superuser")
    page = person().page
    sign_in_at_provider(page, url, provider, "mallory")
    refused = (
        "Your organisation's sign-in was refused: the identity provider gives you the "
        "role 'superuser', which this app does not know; expected one of viewer, "
        "planner, coordinator, admin. Nobody is signed in: ask the provider's "
        "administrator."
    )
    # Back on the home page: the sidebar says why nobody is signed in.
    expect(sidebar(page).get_by_text(refused, exact=True)).to_be_visible()
    expect(sidebar(page).get_by_text("Signed in as")).to_have_count(0)
    # Every address shows the sign-in page, which says it too, above the ways to sign in.
    page.goto(f"{url}/workflow")
    expect(page.get_by_text("Sign in to open Workflow.")).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(refused, exact=True)).to_be_visible()
    expect(main.get_by_role("button", name=BUTTON, exact=True)).to_be_visible()
    expect(main.get_by_role("textbox", name="Password")).to_be_visible()
    expect(sidebar(page).get_by_text("Signed in as")).to_have_count(0)
    names = with_store(store_url, lambda store: [a.username for a in list_accounts(store)])
    assert "oidc:mallory" not in names


def test_a_disabled_account_loses_access_at_the_next_rerun(oidc_app, provider, person):
    url, store_url = oidc_app
    provider.set_user("dora", name="Dora", jurisdiction="BE-WLG", role="coordinator")
    page = person().page
    sign_in_at_provider(page, url, provider, "dora")
    expect(
        sidebar(page).get_by_text("Signed in as Dora (BE-WLG coordinator)", exact=True)
    ).to_be_visible()

    with_store(
        store_url, lambda store: disable_account(store, "oidc:dora", actor=system_actor("e2e"))
    )
    # The next rerun of the same session (moving to another page of the app)...
    sidebar(page).get_by_text("Audit log", exact=True).click()
    page.wait_for_url(f"{url}/audit")
    expect(page.get_by_text("Sign in to open Audit log.")).to_be_visible()
    refused = (
        "Your organisation's sign-in was refused: the account oidc:dora is disabled in this app"
    )
    expect(page.get_by_test_id("stMain").get_by_text(refused, exact=False)).to_be_visible()
    expect(page.get_by_role("button", name=BUTTON, exact=True)).to_be_visible()
    expect(sidebar(page).get_by_text("Signed in as")).to_have_count(0)
    expect(page.get_by_text("Audit chain intact:")).to_have_count(0)
    # ...and a fresh page load (a new session with the provider's cookie) alike.
    page.reload()
    expect(page.get_by_test_id("stMain").get_by_text(refused, exact=False)).to_be_visible()
    expect(sidebar(page).get_by_text(refused, exact=False)).to_be_visible()
    # The way out: sign out of the provider's session; the refusal is gone with it.
    sidebar(page).get_by_role(
        "button", name="Sign out of your organisation's account", exact=True
    ).click()
    page.wait_for_url(f"{provider.url}/oauth2/end_session**")
    page.get_by_role("button", name="End session", exact=True).click()
    page.wait_for_url(f"{url}/**")
    page.goto(f"{url}/workflow")
    expect(page.get_by_role("button", name=BUTTON, exact=True)).to_be_visible()
    expect(page.get_by_text(refused, exact=False)).to_have_count(0)
    expect(sidebar(page).get_by_text("Signed in as")).to_have_count(0)


def test_signing_out_ends_the_providers_login_too(oidc_app, provider, person):
    url, _store_url = oidc_app
    provider.set_user("erik", name="Erik", jurisdiction="BE-WLG", role="viewer")
    page = person().page
    sign_in_at_provider(page, url, provider, "erik")
    expect(
        sidebar(page).get_by_text("Signed in as Erik (BE-WLG viewer)", exact=True)
    ).to_be_visible()
    sidebar(page).get_by_role("button", name="Sign out", exact=True).click()
    # Streamlit clears its login cookie and sends the browser to the provider's
    # end-of-session page, which sends it back to the app.
    page.wait_for_url(f"{provider.url}/oauth2/end_session**")
    page.get_by_role("button", name="End session", exact=True).click()
    page.wait_for_url(f"{url}/**")
    page.goto(f"{url}/workflow")
    expect(page.get_by_role("button", name=BUTTON, exact=True)).to_be_visible()
    expect(sidebar(page).get_by_text("Signed in as")).to_have_count(0)
