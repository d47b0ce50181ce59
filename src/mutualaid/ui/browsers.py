"""Which browsers have a signed-in session, for the web server's guards (issue 16).

The web server (:mod:`mutualaid.ui.web`) gives each browser a random id in an HttpOnly
cookie; downloads and images (``/media/...``) are served only to a browser whose id is
in :data:`SIGNED_IN` here. The router records it on every rerun
(:func:`note_session`): a session that finds its person signed in adds itself under its
browser's id, one that finds nobody (after "Sign out", a disabled account...) removes
itself. A browser counts as signed in while one of its sessions is, for at most
:data:`~mutualaid.settings.BROWSER_SIGNED_IN_IDLE_S` after that session's last rerun.
One registry per server process, shared by the sessions' threads and the server's
event loop.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mutualaid.settings import BROWSER_COOKIE, BROWSER_SIGNED_IN_IDLE_S

#: A browser id: 32 random bytes, URL-safe base64 without padding.
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def new_browser_id() -> str:
    """A new random browser id (256 bits)."""
    return secrets.token_urlsafe(32)


def valid_browser_id(value: object) -> bool:
    """True when *value* has the form of a browser id this server gives."""
    return isinstance(value, str) and _BROWSER_ID.fullmatch(value) is not None


class SignedInBrowsers:
    """Browser id -> its signed-in sessions and when each last reran (thread-safe).

    Parameters
    ----------
    idle_s : float
        How long a session counts after its last rerun, in seconds.
    clock : callable
        Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        *,
        idle_s: float = BROWSER_SIGNED_IN_IDLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_s, self.clock = idle_s, clock
        self._sessions: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def signed_in(self, browser: str, session: str) -> None:
        """*session* of *browser* has a signed-in person now."""
        with self._lock:
            self._sessions.setdefault(browser, {})[session] = self.clock()
            self._forget_idle()

    def signed_out(self, browser: str, session: str) -> None:
        """*session* of *browser* has nobody signed in (any more)."""
        with self._lock:
            sessions = self._sessions.get(browser)
            if sessions is not None:
                sessions.pop(session, None)
                if not sessions:
                    del self._sessions[browser]

    def is_signed_in(self, browser: str | None) -> bool:
        """True when a session of *browser* is signed in and not idle too long."""
        if browser is None or not valid_browser_id(browser):
            return False
        with self._lock:
            oldest = self.clock() - self.idle_s
            return any(seen > oldest for seen in self._sessions.get(browser, {}).values())

    def _forget_idle(self) -> None:
        oldest = self.clock() - self.idle_s
        for browser in list(self._sessions):
            sessions = self._sessions[browser]
            for session in [s for s, seen in sessions.items() if seen <= oldest]:
                del sessions[session]
            if not sessions:
                del self._sessions[browser]


#: The registry of this server process.
SIGNED_IN = SignedInBrowsers()


def browser_id() -> str | None:
    """This session's browser id, from the cookie its page load was given; None when
    there is none (an AppTest, a client that refuses cookies) or it is not one of ours."""
    value = st.context.cookies.get(BROWSER_COOKIE)
    return value if valid_browser_id(value) else None


def note_session(signed_in: bool) -> None:
    """Record whether this rerun's session has somebody signed in, under its browser."""
    browser, context = browser_id(), get_script_run_ctx()
    if browser is None or context is None:
        return
    if signed_in:
        SIGNED_IN.signed_in(browser, context.session_id)
    else:
        SIGNED_IN.signed_out(browser, context.session_id)
