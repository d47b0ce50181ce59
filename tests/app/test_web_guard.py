"""The web server's guards (issue 16, part 6) on a real Starlette application: which
browsers are signed in (mutualaid.ui.browsers), and the middleware that gives browser
ids, serves ``/media/...`` to signed-in browsers only and answers no metrics. The real
server, with a real download, is tested in tests/e2e/test_access.py."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mutualaid.settings import BROWSER_COOKIE, SESSION_COOKIE, SESSION_COOKIE_MAX_AGE_S
from mutualaid.store.sessions import check_session, issue_ticket, open_session
from mutualaid.ui.browsers import SignedInBrowsers, new_browser_id, valid_browser_id
from mutualaid.ui.web import BrowserGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_browser_is_signed_in_while_one_of_its_sessions_is_and_not_idle():
    clock = Clock()
    browsers = SignedInBrowsers(idle_s=60, clock=clock)
    a, b = new_browser_id(), new_browser_id()
    assert valid_browser_id(a) and len(a) == 43 and a != b
    assert not browsers.is_signed_in(a)
    browsers.signed_in(a, "tab-1")
    browsers.signed_in(a, "tab-2")
    assert browsers.is_signed_in(a) and not browsers.is_signed_in(b)
    browsers.signed_out(a, "tab-1")
    assert browsers.is_signed_in(a)  # the other tab still is
    browsers.signed_out(a, "tab-2")
    assert not browsers.is_signed_in(a)
    browsers.signed_in(b, "tab-3")
    clock.now += 61
    assert not browsers.is_signed_in(b)  # idle too long
    assert not browsers.is_signed_in(None) and not browsers.is_signed_in("")


def _app(browsers: SignedInBrowsers, store=None) -> Starlette:
    async def page(request):
        return HTMLResponse("<html>the app</html>")

    async def media(request):
        return PlainTextResponse("the plan")

    async def metrics(request):
        return PlainTextResponse("session_events_total 3")

    return Starlette(
        routes=[
            Route("/", page),
            Route("/media/{file_id:path}", media),
            Route("/_stcore/metrics", metrics),
        ],
        middleware=[
            Middleware(BrowserGuard, browsers=browsers)
            if store is None
            else Middleware(BrowserGuard, browsers=browsers, store=lambda: store)
        ],
    )


@pytest.fixture
def browsers() -> SignedInBrowsers:
    return SignedInBrowsers()


def test_a_page_load_gives_the_browser_an_id_in_a_strict_http_only_cookie(browsers):
    client = TestClient(_app(browsers), base_url="https://testserver")
    response = client.get("/")
    header = response.headers["set-cookie"]
    value = response.cookies[BROWSER_COOKIE]
    assert valid_browser_id(value)
    assert {"HttpOnly", "SameSite=Strict", "Path=/", "Secure"} <= {
        part.strip() for part in header.split(";")
    }
    # a browser that has one keeps it; other answers than pages carry none
    assert "set-cookie" not in client.get("/").headers
    assert "set-cookie" not in TestClient(_app(browsers)).get("/media/x").headers
    # over plain HTTP the cookie cannot be Secure
    plain = TestClient(_app(browsers)).get("/").headers["set-cookie"]
    assert "Secure" not in plain


def test_media_only_for_a_signed_in_browser_and_no_metrics_for_anyone(browsers):
    client = TestClient(_app(browsers))
    client.get("/")
    browser = client.cookies[BROWSER_COOKIE]
    response = client.get("/media/abc.json")
    assert (response.status_code, response.content) == (403, b"")
    browsers.signed_in(browser, "tab")
    assert client.get("/media/abc.json").text == "the plan"
    other = TestClient(_app(browsers))
    assert other.get("/media/abc.json").status_code == 403
    # another site's odd cookie on the same host does not hide the browser's id
    odd = {"cookie": f'prefs={{"theme":1}}; x=a b; {BROWSER_COOKIE}={browser}'}
    assert other.get("/media/abc.json", headers=odd).text == "the plan"
    browsers.signed_out(browser, "tab")
    assert client.get("/media/abc.json").status_code == 403
    browsers.signed_in(browser, "tab")
    for who in (client, other):
        response = who.get("/_stcore/metrics")
        assert (response.status_code, response.content) == (404, b"")


# --- a sign-in that lasts: the session cookie's routes (issue 13) -----------------------


@pytest.fixture
def sessions_store(tmp_path):
    from builders import ensure_accounts
    from mutualaid.store import open_store

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    ensure_accounts(
        url, {"cora": ("coordinator", "DE-NW")}, password="a long password here", by="test"
    )
    store = open_store(url)
    yield store
    store.dispose()


def _parts(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")]
    return {p.split("=", 1)[0]: (p.split("=", 1)[1] if "=" in p else "") for p in parts}


def test_a_ticket_of_the_browser_gives_a_strict_http_only_session_cookie_once(
    browsers, sessions_store
):
    client = TestClient(_app(browsers, sessions_store), base_url="https://testserver")
    client.get("/")
    browser = client.cookies[BROWSER_COOKIE]
    token = open_session(sessions_store, "cora", method="password")
    ticket = issue_ticket(sessions_store, token, browser)
    own = {"origin": "https://testserver"}
    response = client.post("/_mutualaid/session", content=ticket, headers=own)
    assert response.status_code == 204
    cookie = _parts(response.headers["set-cookie"])
    value = cookie.pop(SESSION_COOKIE)
    assert cookie == {
        "Max-Age": str(int(SESSION_COOKIE_MAX_AGE_S)),
        "Path": "/",
        "HttpOnly": "",
        "SameSite": "Strict",
        "Secure": "",
    }
    assert len(value) == 43 and value not in (token, ticket, browser)
    assert check_session(sessions_store, value).actor.username == "cora"
    # once only
    again = client.post("/_mutualaid/session", content=ticket, headers=own)
    assert again.status_code == 403 and "set-cookie" not in again.headers


@pytest.mark.parametrize(
    "case", ["another site", "no origin", "another browser", "no browser", "GET", "huge"]
)
def test_the_cookie_route_refuses_anything_but_the_browsers_own_page(
    browsers, sessions_store, case
):
    client = TestClient(_app(browsers, sessions_store))
    client.get("/")
    browser = client.cookies[BROWSER_COOKIE]
    token = open_session(sessions_store, "cora", method="password")
    ticket = issue_ticket(sessions_store, token, browser)
    headers = {"origin": "http://testserver"}
    body = ticket
    if case == "another site":
        headers = {"origin": "http://evil.example"}
    elif case == "no origin":
        headers = {}
    elif case == "another browser":
        client.cookies.set(BROWSER_COOKIE, new_browser_id())
    elif case == "no browser":
        client.cookies.clear()
    elif case == "huge":
        body = ticket + " " * 1000
    if case == "GET":
        response = client.get(f"/_mutualaid/session?ticket={ticket}", headers=headers)
        assert response.status_code == 405
    else:
        response = client.post("/_mutualaid/session", content=body, headers=headers)
        assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_sign_out_route_ends_the_cookies_session_and_clears_it(browsers, sessions_store):
    client = TestClient(_app(browsers, sessions_store))
    client.get("/")
    browser = client.cookies[BROWSER_COOKIE]
    token = open_session(sessions_store, "cora", method="password")
    own = {"origin": "http://testserver"}
    client.post(
        "/_mutualaid/session", content=issue_ticket(sessions_store, token, browser), headers=own
    )
    value = client.cookies[SESSION_COOKIE]
    # another site cannot sign the browser out
    assert (
        client.post("/_mutualaid/sign-out", headers={"origin": "http://evil.example"}).status_code
        == 403
    )
    assert check_session(sessions_store, value).actor is not None
    response = client.post("/_mutualaid/sign-out", headers=own)
    assert response.status_code == 204
    cleared = _parts(response.headers["set-cookie"])
    assert (cleared[SESSION_COOKIE], cleared["Max-Age"]) == ("", "0")
    assert check_session(sessions_store, value).ended == "signed_out"
    assert check_session(sessions_store, token).ended == "signed_out"
