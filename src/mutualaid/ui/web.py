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

The other routes need no guard of ours: ``/_stcore/upload_file/<session>/<file>`` takes
files only for a live session's random id (and Streamlit's XSRF check); ``/component/...``
serves the installed components' own files; the agent API answers only when
``server.enableAgentApi`` is on, which it is not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import cookie_parser
from streamlit import config

from mutualaid.settings import BROWSER_COOKIE
from mutualaid.ui.browsers import SIGNED_IN, SignedInBrowsers, new_browser_id, valid_browser_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Streamlit's media route (downloads, images) and its metrics route, below the base path.
MEDIA_ROUTE = ("media",)
METRICS_ROUTE = ("_stcore", "metrics")


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
    """

    def __init__(self, app: ASGIApp, *, browsers: SignedInBrowsers = SIGNED_IN) -> None:
        self.app, self.browsers = app, browsers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _segments(scope.get("path", ""))
        if route[: len(METRICS_ROUTE)] == METRICS_ROUTE:
            await _empty(send, 404)
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
