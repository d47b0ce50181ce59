"""The web server's own guards, in front of Streamlit's routes (issue 16, part 6).

``app.py`` serves the app through Streamlit's ASGI entry, ``st.App``, with
:func:`middleware` on the same server and port (``streamlit run app.py`` detects it).
:class:`BrowserGuard`:

* gives every page load a browser id, a random 256-bit value in the cookie
  :data:`~mutualaid.settings.BROWSER_COOKIE` (HttpOnly, SameSite=Strict, Path=/, Secure
  when the page came over HTTPS); the router records which browsers have a signed-in
  session (:mod:`mutualaid.ui.browsers`);
* answers ``/media/...`` (Streamlit's downloads and images: the plan as JSON or CSV, the
  flows, the briefing) with 403 and no body unless the request carries the cookie of a
  browser that is signed in now: a media URL copied from the page, or kept after
  "Sign out", gives nothing;
* answers ``/_stcore/metrics`` with 404 and no body, for everybody: its figures name
  the app's functions and count its sessions, and the app has no use for them. (A
  middleware does not know who is signed in beyond the browser id, and nobody here
  scrapes them.)
* answers two routes of its own (issue 13, a sign-in that lasts), POST only, from the
  app's own pages only (the ``Origin`` must be the app's): ``/_mutualaid/session``
  takes a signed-in page's one-time ticket (the request body) and, when the ticket is
  the browser's own (:func:`mutualaid.store.sessions.exchange_ticket`), answers 204 with
  the session cookie :data:`~mutualaid.settings.SESSION_COOKIE` (HttpOnly,
  SameSite=Strict, Path=/, Secure over HTTPS, a new random value); otherwise 403 and
  no cookie. ``/_mutualaid/sign-out`` ends the cookie's session and clears the cookie.

The other routes need no guard of ours: ``/_stcore/upload_file/<session>/<file>`` takes
files only for a live session's random id (and Streamlit's XSRF check); ``/component/...``
serves the installed components' own files; the agent API answers only when
``server.enableAgentApi`` is on, which it is not.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import cookie_parser
from streamlit import config

from mutualaid.settings import (
    BROWSER_COOKIE,
    SESSION_CLEAR_ROUTE,
    SESSION_COOKIE,
    SESSION_COOKIE_MAX_AGE_S,
    SESSION_COOKIE_ROUTE,
)
from mutualaid.store import sessions
from mutualaid.store.database import Store, database_url, open_store
from mutualaid.ui.browsers import SIGNED_IN, SignedInBrowsers, new_browser_id, valid_browser_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Streamlit's media route (downloads, images) and its metrics route, below the base path.
MEDIA_ROUTE = ("media",)
METRICS_ROUTE = ("_stcore", "metrics")
#: The app's own routes (issue 13): a ticket for the session cookie, and sign-out.
COOKIE_ROUTE = tuple(SESSION_COOKIE_ROUTE.split("/"))
CLEAR_ROUTE = tuple(SESSION_CLEAR_ROUTE.split("/"))
#: The longest request body the cookie route reads (a ticket is 43 characters).
_TICKET_BODY_LIMIT = 256

_LOG = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _store_of(url: str) -> Store:
    return open_store(url)


def server_store() -> Store:
    """The store the app's routes use: the one ``MUTUALAID_DATABASE_URL`` names (the
    sessions' own, :func:`mutualaid.ui.app_store.app_store`, upgrades it), one engine
    per URL and process."""
    return _store_of(database_url())


def route_path(route: str) -> str:
    """The absolute path of one of the app's own routes, below Streamlit's base path
    (for the pages' scripts that call it)."""
    base = [s for s in str(config.get_option("server.baseUrlPath") or "").split("/") if s]
    return "/" + "/".join([*base, route])


def _segments(path: str) -> tuple[str, ...]:
    """The path's segments below Streamlit's ``server.baseUrlPath``; empty segments
    (``//``) dropped, as a router matching on them might."""
    segments = tuple(s for s in path.split("/") if s)
    base = tuple(s for s in str(config.get_option("server.baseUrlPath") or "").split("/") if s)
    return segments[len(base) :] if segments[: len(base)] == base else segments


def _cookies(scope: Scope) -> dict[str, str]:
    # Starlette's lenient parser, as browsers send them: another site's odd cookie on
    # the same host does not hide ours (http.cookies stops at the first one it dislikes).
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookies.update(cookie_parser(value.decode("latin-1")))
    return cookies


def browser_cookie(value: str, *, secure: bool) -> str:
    """The ``Set-Cookie`` header's value that gives a browser its id *value*."""
    return f"{BROWSER_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict" + (
        "; Secure" if secure else ""
    )


def session_cookie(value: str, *, secure: bool) -> str:
    """The ``Set-Cookie`` header's value that gives a browser its session cookie
    *value*; an empty *value* clears it."""
    age = int(SESSION_COOKIE_MAX_AGE_S) if value else 0
    return f"{SESSION_COOKIE}={value}; Max-Age={age}; Path=/; HttpOnly; SameSite=Strict" + (
        "; Secure" if secure else ""
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def same_origin(scope: Scope) -> bool:
    """True when the request's ``Origin`` is this server as the browser addressed it
    (scheme and ``Host``): a page of the app, not another site's."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme == scope.get("scheme", "http") and parts.netloc == host


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request's body, or None when it is longer than *limit* bytes."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return body


async def _answer(send: Send, status: int, cookie: str | None = None) -> None:
    headers = [(b"content-length", b"0"), (b"cache-control", b"no-store")]
    if cookie is not None:
        headers.append((b"set-cookie", cookie.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _empty(send: Send, status: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", b"0"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


class BrowserGuard:
    """ASGI middleware: browser ids on page loads, media for signed-in browsers only,
    no metrics (see the module's description).

    Parameters
    ----------
    app : ASGI application
        Streamlit's application (and its own middleware).
    browsers : SignedInBrowsers
        Which browsers are signed in (the process's registry unless a test gives one).
    store : callable, optional
        The store of the sessions (:func:`server_store` unless a test gives one).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        browsers: SignedInBrowsers = SIGNED_IN,
        store: Callable[[], Store] = server_store,
    ) -> None:
        self.app, self.browsers, self.store = app, browsers, store

    async def _session_route(
        self, scope: Scope, receive: Receive, send: Send, *, clear: bool
    ) -> None:
        """The app's own routes: a ticket for the session cookie, or sign-out."""
        if scope.get("method") != "POST":
            await _answer(send, 405)
            return
        if not same_origin(scope):
            await _answer(send, 403)
            return
        secure = scope.get("scheme") == "https"
        cookies = _cookies(scope)
        if clear:
            cookie = cookies.get(SESSION_COOKIE)
            if cookie:
                try:
                    await run_in_threadpool(sessions.end_session, self.store(), cookie)
                except Exception:  # noqa: BLE001 - the cookie is cleared all the same
                    _LOG.exception("cannot end the session of a cookie")
            await _answer(send, 204, session_cookie("", secure=secure))
            return
        browser = cookies.get(BROWSER_COOKIE)
        body = await _read_body(receive, _TICKET_BODY_LIMIT)
        if body is None or not valid_browser_id(browser):
            await _answer(send, 403)
            return
        ticket = body.decode("latin-1").strip()
        try:
            value = await run_in_threadpool(
                sessions.exchange_ticket, self.store(), ticket, str(browser)
            )
        except Exception:  # noqa: BLE001 - a store that cannot answer gives no cookie
            _LOG.exception("cannot exchange a sign-in ticket")
            value = None
        if value is None:
            await _answer(send, 403)
            return
        await _answer(send, 204, session_cookie(value, secure=secure))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _segments(scope.get("path", ""))
        if route[: len(METRICS_ROUTE)] == METRICS_ROUTE:
            await _empty(send, 404)
            return
        if route in (COOKIE_ROUTE, CLEAR_ROUTE):
            await self._session_route(scope, receive, send, clear=route == CLEAR_ROUTE)
            return
        browser = _cookies(scope).get(BROWSER_COOKIE)
        if route[: len(MEDIA_ROUTE)] == MEDIA_ROUTE:
            if not self.browsers.is_signed_in(browser):
                await _empty(send, 403)
                return
            await self.app(scope, receive, send)
            return
        if valid_browser_id(browser):
            await self.app(scope, receive, send)
            return
        header = browser_cookie(new_browser_id(), secure=scope.get("scheme") == "https").encode(
            "latin-1"
        )

        async def send_with_cookie(message: Message) -> None:
            # A page load is an HTML answer; the app's other answers need no id.
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(b"text/html"):
                    message = {**message, "headers": [*headers, (b"set-cookie", header)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def middleware() -> list[Middleware]:
    """The middleware ``app.py`` gives ``st.App``: :class:`BrowserGuard`."""
    return [Middleware(BrowserGuard)]
