"""Server-side sign-in sessions: one row per signed-in browser session.

A sign-in (password or identity provider) opens a session (:func:`open_session`) and
gives the app a random token; the store keeps only its SHA-256. Every rerun checks it
(:func:`check_session`): the session must be open, its account enabled, and it must be
neither idle for :data:`~mutualaid.settings.SESSION_IDLE_TIMEOUT_S` nor older than
:data:`~mutualaid.settings.SESSION_MAX_AGE_S`. A session ends (``ended_at``,
``end_reason``) when its person signs out, when the account is disabled or its password
changed (:func:`end_account_sessions`, in the change's own transaction: every open
session of the account ends), or at a timeout; :data:`END_SENTENCES` says why to the
person at the sign-in form. ``last_seen_at`` is written at most once per
:data:`~mutualaid.settings.SESSION_TOUCH_INTERVAL_S`, so most reruns only read.

A sign-in that lasts (issue 13): the session's page gets a one-time ticket
(:func:`issue_ticket`: random, only its SHA-256 stored, bound to the browser id the
ticket was given to, valid :data:`~mutualaid.settings.SESSION_TICKET_TTL_S`), which the
browser exchanges at the app server's own route (:mod:`mutualaid.ui.web`) for a session
cookie (:func:`exchange_ticket`: a new random value each time, only its SHA-256 stored
as the session's ``cookie_hash``; the ticket is spent, whatever the outcome). The cookie
names the same session as the token: :func:`check_session` and :func:`end_session` take
either, so a reload, a new tab or a typed address continues the session, and whatever
ends it ends it for every tab.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.access.actor import Actor
from mutualaid.errors import StoreFull
from mutualaid.settings import (
    SESSION_IDLE_TIMEOUT_S,
    SESSION_MAX_AGE_S,
    SESSION_TICKET_TTL_S,
    SESSION_TOUCH_INTERVAL_S,
)
from mutualaid.store.database import Store
from mutualaid.store.tables import accounts, sign_in_sessions


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    if hours >= 1 and hours == int(hours):
        return f"{int(hours)} hour{'s' if hours != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


#: Why a session ended, for the person at the sign-in form.
END_SENTENCES: dict[str, str] = {
    "signed_out": "You signed out.",
    "password_changed": "You were signed out: your password was changed. Sign in with the new one.",
    "disabled": "You were signed out: your account was disabled. Ask an admin if you need access.",
    "idle": f"You were signed out after {_hours(SESSION_IDLE_TIMEOUT_S)} without "
    f"activity. Sign in again.",
    "expired": f"You were signed out: a sign-in lasts at most "
    f"{_hours(SESSION_MAX_AGE_S)}. Sign in again.",
    "provider": "You were signed out: your organisation's sign-in ended.",
    "unknown": "You were signed out: this server does not know your sign-in any more. "
    "Sign in again.",
}


@dataclass(frozen=True)
class SessionCheck:
    """What :func:`check_session` found.

    Parameters
    ----------
    actor : Actor or None
        The session's account when the session is open.
    ended : str or None
        Why it is not (a key of :data:`END_SENTENCES`), when it is not.
    method : str
        How the open session signed in ("password" or "oidc"); empty when it is not open.
    """

    actor: Actor | None
    ended: str | None = None
    method: str = ""

    @property
    def sentence(self) -> str:
        """Why the session ended, for the person; empty when it is open."""
        return END_SENTENCES.get(self.ended or "", "") if self.ended else ""


def token_hash(token: str) -> str:
    """The SHA-256 (hex) the store keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def open_session(
    store: Store, username: str, *, method: str, client: str = "", now: datetime | None = None
) -> str:
    """Open a session for *username* (already verified) and return its token.

    Parameters
    ----------
    store : Store
    username : str
    method : {"password", "oidc"}
    client : str
        The client's address (kept, at most 100 characters).
    now : datetime.datetime, optional

    Returns
    -------
    str
        The token (43 URL-safe characters, 256 bits); the store keeps its hash only.
    """
    token = secrets.token_urlsafe(32)
    when = _now(now)
    with store.transaction() as connection:
        connection.execute(
            sign_in_sessions.insert().values(
                token_hash=token_hash(token),
                username=username,
                method=method,
                client=client[:100],
                created_at=when,
                last_seen_at=when,
            )
        )
    return token


def _end(
    connection: Connection, condition: sa.ColumnElement[bool], reason: str, now: datetime
) -> int:
    return connection.execute(
        sign_in_sessions.update()
        .where(condition, sign_in_sessions.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    ).rowcount


def _named_by(secret: str) -> sa.ColumnElement[bool]:
    """The session a token or a session cookie names."""
    digest = token_hash(secret)
    return sa.or_(sign_in_sessions.c.token_hash == digest, sign_in_sessions.c.cookie_hash == digest)


def end_session(
    store: Store, token: str, *, reason: str = "signed_out", now: datetime | None = None
) -> None:
    """End the session of *token* or session cookie (signing out); an ended or unknown
    one stays as it is."""
    with store.transaction() as connection:
        _end(connection, _named_by(token), reason, _now(now))


def issue_ticket(
    store: Store,
    token: str,
    browser: str,
    *,
    now: datetime | None = None,
    ttl_s: float = SESSION_TICKET_TTL_S,
) -> str | None:
    """A one-time ticket for the open session of *token*, bound to *browser* (the
    browser id the page came with), or None when the session is not open.

    The browser exchanges it for the session cookie (:func:`exchange_ticket`) within
    *ttl_s* seconds; a newer ticket replaces an older one. Only its SHA-256 is stored.
    """
    ticket = secrets.token_urlsafe(32)
    expires = _now(now) + timedelta(seconds=ttl_s)
    with store.transaction() as connection:
        issued = connection.execute(
            sign_in_sessions.update()
            .where(
                sign_in_sessions.c.token_hash == token_hash(token),
                sign_in_sessions.c.ended_at.is_(None),
            )
            .values(
                ticket_hash=token_hash(ticket),
                ticket_browser=token_hash(browser),
                ticket_expires_at=expires,
            )
        ).rowcount
    return ticket if issued else None


def ticket_pending(store: Store, ticket: str, *, now: datetime | None = None) -> bool:
    """True while *ticket* is unspent and unexpired and its session open: its page has
    not exchanged it yet (the page that was given it may have been replaced before its
    script ran, by a click or a rerun, and is given it again)."""
    if not ticket:
        return False
    with store.reading() as connection:
        found = connection.execute(
            sa.select(sign_in_sessions.c.id).where(
                sign_in_sessions.c.ticket_hash == token_hash(ticket),
                sign_in_sessions.c.ticket_expires_at > _now(now),
                sign_in_sessions.c.ended_at.is_(None),
            )
        ).first()
    return found is not None


def exchange_ticket(
    store: Store, ticket: str, browser: str, *, now: datetime | None = None
) -> str | None:
    """The new session cookie's value for *ticket*, or None.

    The ticket must be unspent, unexpired, given to *browser* and its session open. It
    is spent by the call whatever the outcome (a ticket shown to the wrong browser is
    burnt). The cookie is a new random value (256 bits) each time; the store keeps its
    SHA-256 as the session's ``cookie_hash``, replacing any earlier cookie of the
    session.
    """
    if not ticket or not browser:
        return None
    cookie = secrets.token_urlsafe(32)
    digest = token_hash(ticket)
    with store.transaction() as connection:
        exchanged = connection.execute(
            sign_in_sessions.update()
            .where(
                sign_in_sessions.c.ticket_hash == digest,
                sign_in_sessions.c.ticket_browser == token_hash(browser),
                sign_in_sessions.c.ticket_expires_at > _now(now),
                sign_in_sessions.c.ended_at.is_(None),
            )
            .values(
                cookie_hash=token_hash(cookie),
                ticket_hash=None,
                ticket_browser=None,
                ticket_expires_at=None,
            )
        ).rowcount
        if not exchanged:
            connection.execute(
                sign_in_sessions.update()
                .where(sign_in_sessions.c.ticket_hash == digest)
                .values(ticket_hash=None, ticket_browser=None, ticket_expires_at=None)
            )
    return cookie if exchanged else None


def end_account_sessions(
    connection: Connection,
    username: str,
    *,
    reason: str,
    now: datetime | None = None,
    keep: str | None = None,
) -> int:
    """End every open session of *username* inside the caller's transaction (a password
    change, a disabled account), except the one of token *keep* (the person changing
    their own password keeps the session they did it from); how many were ended."""
    condition = sign_in_sessions.c.username == username
    if keep:
        digest = token_hash(keep)
        condition = sa.and_(
            condition,
            sign_in_sessions.c.token_hash != digest,
            # (a session without a cookie has none: NULL compares to nothing)
            sa.or_(
                sign_in_sessions.c.cookie_hash.is_(None), sign_in_sessions.c.cookie_hash != digest
            ),
        )
    return _end(connection, condition, reason, _now(now))


def check_session(
    store: Store,
    token: str,
    *,
    now: datetime | None = None,
    idle_s: float = SESSION_IDLE_TIMEOUT_S,
    max_age_s: float = SESSION_MAX_AGE_S,
    touch_s: float = SESSION_TOUCH_INTERVAL_S,
) -> SessionCheck:
    """The account of the open session *token* (a session's token or its session
    cookie), read again, or why it is not open.

    A session found idle, too old or whose account is disabled is ended here. Its
    ``last_seen_at`` is written when it is older than *touch_s*.

    Parameters
    ----------
    store : Store
    token : str
    now : datetime.datetime, optional
        The time of the rerun (UTC); tests pass their own clock's.
    idle_s, max_age_s, touch_s : float
        Seconds (defaults from :mod:`mutualaid.settings`).

    Returns
    -------
    SessionCheck
    """
    when = _now(now)
    if not isinstance(token, str) or not token:
        return SessionCheck(None, "unknown")
    query = (
        sa.select(
            sign_in_sessions,
            accounts.c.role,
            accounts.c.jurisdiction,
            accounts.c.display_name,
            accounts.c.disabled,
            accounts.c.username.label("account"),
        )
        .select_from(
            sign_in_sessions.outerjoin(accounts, accounts.c.username == sign_in_sessions.c.username)
        )
        .where(_named_by(token))
    )
    with store.reading() as connection:
        row = connection.execute(query).first()
    if row is None:
        return SessionCheck(None, "unknown")
    if row.ended_at is not None:
        return SessionCheck(None, row.end_reason or "unknown")
    reason = None
    if row.account is None or row.disabled:
        reason = "disabled"
    elif (when - row.created_at).total_seconds() >= max_age_s:
        reason = "expired"
    elif (when - row.last_seen_at).total_seconds() >= idle_s:
        reason = "idle"
    if reason is not None:
        with store.transaction() as connection:
            _end(connection, sign_in_sessions.c.id == row.id, reason, when)
        return SessionCheck(None, reason)
    if (when - row.last_seen_at).total_seconds() >= touch_s:
        try:
            with store.transaction() as connection:
                connection.execute(
                    sign_in_sessions.update()
                    .where(
                        sign_in_sessions.c.id == row.id,
                        sign_in_sessions.c.ended_at.is_(None),
                        sign_in_sessions.c.last_seen_at < when,
                    )
                    .values(last_seen_at=when)
                )
        except StoreFull:
            pass  # a full disk must not sign anyone out: the next rerun tries again
    return SessionCheck(
        Actor(row.account, row.role, row.jurisdiction, row.display_name), method=row.method
    )


def open_sessions(store: Store, username: str) -> int:
    """How many open sessions *username* has (for the Accounts page, issue 13)."""
    with store.reading() as connection:
        return connection.execute(
            sa.select(sa.func.count())
            .select_from(sign_in_sessions)
            .where(sign_in_sessions.c.username == username, sign_in_sessions.c.ended_at.is_(None))
        ).scalar_one()


__all__ = [
    "END_SENTENCES",
    "SessionCheck",
    "check_session",
    "end_account_sessions",
    "end_session",
    "exchange_ticket",
    "issue_ticket",
    "open_session",
    "open_sessions",
    "token_hash",
]
