"""Signing in with a password, with the work it may cost bounded before any hashing.

A password verification (argon2id, RFC 9106 low-memory profile) costs about 0.3 s of a
core and 64 MiB, so tries are refused *before* it runs when:

- this server already runs :data:`~mutualaid.settings.SIGN_IN_CONCURRENT_VERIFICATIONS`
  verifications (a semaphore: refused at once, "too many sign-ins at once"), or
  :data:`~mutualaid.settings.SIGN_IN_CONCURRENT_PER_CLIENT` for this client address;
- all app servers together verified
  :data:`~mutualaid.settings.SIGN_IN_GLOBAL_PER_MINUTE` passwords this minute (the
  ``global`` row of ``sign_in_throttle``);
- the username from this client, the username from anywhere, or this client for any
  username failed too often lately: **growing delays**, never a lock-out. After a key's
  free failures, the next try is allowed only after 2, 4, 8... seconds
  (:data:`~mutualaid.settings.SIGN_IN_DELAY_BASE_S` doubling), capped per key; the cap
  of a username from anywhere is short (a minute), and it does not apply at all to a
  client whose own tries for that username failed fewer than
  :data:`~mutualaid.settings.SIGN_IN_USERNAME_EXEMPT_BELOW` times lately (issue 13):
  wrong passwords typed for a coordinator from one address never delay the
  coordinator's right password from another, so nobody can keep anyone out.

A try is counted as a failure in the same transaction that decides it may proceed, so
of 50 simultaneous tries only the free ones reach argon2 (SQLite's ``BEGIN IMMEDIATE``
and PostgreSQL's row locks order them); a success then resets the username's keys. An
unknown username is counted, delayed and hashed (against a dummy hash) like a known one,
so neither the answer nor the time tells which usernames exist. The counts are rows in
the store: they hold across restarts and app servers.

Failures (``account.sign_in_failed``) and throttled tries
(``account.sign_in_throttled``, one row per refused try, at most
:data:`~mutualaid.settings.SIGN_IN_AUDITED_REFUSALS_PER_WINDOW` per key and delay
window) are written to the audit log with a capped username and the client's address,
never the password. An admin clears a username's delays (:func:`unlock`, ``mutualaid
users unlock``, audited as ``account.unlocked``); :func:`throttles` reads every
username's state for ``mutualaid users list`` and the Accounts page.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.access.actor import Actor
from mutualaid.errors import AccountError, SignInFailed, SignInThrottled
from mutualaid.settings import (
    SIGN_IN_AUDITED_REFUSALS_PER_WINDOW,
    SIGN_IN_CLIENT_FREE_FAILURES,
    SIGN_IN_CLIENT_MAX_DELAY_S,
    SIGN_IN_CONCURRENT_PER_CLIENT,
    SIGN_IN_CONCURRENT_VERIFICATIONS,
    SIGN_IN_DELAY_BASE_S,
    SIGN_IN_FORGET_S,
    SIGN_IN_FREE_FAILURES,
    SIGN_IN_GLOBAL_PER_MINUTE,
    SIGN_IN_LOGGED_USERNAME_LENGTH,
    SIGN_IN_MAX_DELAY_S,
    SIGN_IN_USERNAME_EXEMPT_BELOW,
    SIGN_IN_USERNAME_FREE_FAILURES,
    SIGN_IN_USERNAME_MAX_DELAY_S,
)
from mutualaid.store import audit
from mutualaid.store.accounts import authenticate, get_account, list_accounts, require_admin
from mutualaid.store.database import Store
from mutualaid.store.tables import sign_in_throttle

#: Said for every failed sign-in: it does not tell an unknown username from a wrong
#: password or a disabled account.
FAILED_MESSAGE = "Unknown username or wrong password"
#: Said when this server or all of them verify as many passwords as they may.
BUSY_MESSAGE = "Too many sign-ins at once, try again in a few seconds."
#: The audit log's actor of sign-in rows.
SIGN_IN_ACTOR = "system:sign-in"
#: The key of the rate over all app servers.
GLOBAL_KEY = "global"
#: Longest client address kept, in characters.
CLIENT_MAX_LENGTH = 100
#: Longest username in a throttle key (a valid username has at most 200 characters).
_KEY_USERNAME_LENGTH = 200


@dataclass(frozen=True)
class Policy:
    """Growing delays of one kind of key.

    Parameters
    ----------
    free : int
        Failures before any delay.
    max_delay_s : float
        The longest delay, in seconds.
    base_s : float
        The first delay, in seconds; it doubles with each further failure.
    """

    free: int
    max_delay_s: float
    base_s: float = SIGN_IN_DELAY_BASE_S

    def delay_s(self, failures: int) -> float:
        """Seconds the next try waits after *failures* failures: 0 up to the free ones,
        then :attr:`base_s`, doubling with each failure, capped.

        Examples
        --------
        >>> [Policy(free=2, max_delay_s=10, base_s=2).delay_s(n) for n in range(1, 7)]
        [0.0, 2.0, 4.0, 8.0, 10, 10]
        """
        if failures < self.free:
            return 0.0
        return min(self.max_delay_s, self.base_s * 2.0 ** min(failures - self.free, 60))


#: The policy of each kind of key (the part of the key before ``:``).
POLICIES: dict[str, Policy] = {
    "pair": Policy(SIGN_IN_FREE_FAILURES, SIGN_IN_MAX_DELAY_S),
    "user": Policy(SIGN_IN_USERNAME_FREE_FAILURES, SIGN_IN_USERNAME_MAX_DELAY_S),
    "client": Policy(SIGN_IN_CLIENT_FREE_FAILURES, SIGN_IN_CLIENT_MAX_DELAY_S),
}

#: Password verifications running at once in this server process.
VERIFICATIONS = threading.BoundedSemaphore(SIGN_IN_CONCURRENT_VERIFICATIONS)
#: Verifications running at once per client address in this process (only clients
#: with one running are kept, so the dict stays as small as the semaphore allows).
_PER_CLIENT: dict[str, int] = {}
_PER_CLIENT_LOCK = threading.Lock()


def _take_client_slot(client: str, limit: int) -> bool:
    with _PER_CLIENT_LOCK:
        running = _PER_CLIENT.get(client, 0)
        if running >= limit:
            return False
        _PER_CLIENT[client] = running + 1
        return True


def _free_client_slot(client: str) -> None:
    with _PER_CLIENT_LOCK:
        running = _PER_CLIENT.get(client, 1) - 1
        if running > 0:
            _PER_CLIENT[client] = running
        else:
            _PER_CLIENT.pop(client, None)


def _plain(text: str, length: int) -> str:
    """*text* cut to *length* characters, control characters replaced by ``?``."""
    return "".join("?" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text[:length])


def logged_username(username: str) -> str:
    """How the throttle and the audit log name a typed username: at most
    :data:`~mutualaid.settings.SIGN_IN_LOGGED_USERNAME_LENGTH` characters, no control
    characters."""
    return _plain(username, SIGN_IN_LOGGED_USERNAME_LENGTH)


def throttle_keys(username: str, client: str) -> dict[str, str]:
    """The throttle's keys of a try, by kind (``pair``, ``user``, ``client``).

    Usernames are compared ignoring case (as accounts are), known or not.
    """
    name = _plain(username, _KEY_USERNAME_LENGTH).lower()
    where = _plain(client, CLIENT_MAX_LENGTH) or "unknown"
    return {"pair": f"pair:{where} {name}", "user": f"user:{name}", "client": f"client:{where}"}


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _insert_missing(connection: Connection, keys: list[str], now: datetime) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    # The dialect's own INSERT, for its ON CONFLICT clause (the two have the same API).
    insert: Any = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(sign_in_throttle)
        .values([{"key": key, "failures": 0, "last_at": now} for key in keys])
        .on_conflict_do_nothing(index_elements=["key"])
    )


def _locked_rows(connection: Connection, keys: list[str], now: datetime) -> dict[str, sa.Row]:
    """The rows of *keys*, created when missing and locked (in key order, so two tries
    never wait on each other)."""
    keys = sorted(keys)
    _insert_missing(connection, keys, now)
    rows = connection.execute(
        sa.select(sign_in_throttle)
        .where(sign_in_throttle.c.key.in_(keys))
        .order_by(sign_in_throttle.c.key)
        .with_for_update()
    )
    return {row.key: row for row in rows}


def _wait(blocked_until: datetime | None, now: datetime) -> float:
    return 0.0 if blocked_until is None else max(0.0, (blocked_until - now).total_seconds())


def _in_words(seconds: float) -> str:
    if seconds < 60:
        whole = max(1, math.ceil(seconds))
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _throttled_message(kind: str, wait: float) -> str:
    if kind == GLOBAL_KEY:
        return BUSY_MESSAGE
    whom = "from your address" if kind == "client" else "for this username"
    return f"Too many failed sign-ins {whom}. Try again in {_in_words(wait)}."


def _audit_throttled(
    connection: Connection, row: sa.Row, kind: str, username: str, client: str, now: datetime
) -> None:
    """One audit row per refused try, up to
    :data:`~mutualaid.settings.SIGN_IN_AUDITED_REFUSALS_PER_WINDOW` per key and delay
    window (the rest are counted in the key's row, ``refused``)."""
    same_window = row.audited_until is not None and row.audited_until == row.blocked_until
    refused = (row.refused or 0) + 1 if same_window else 1
    connection.execute(
        sign_in_throttle.update()
        .where(sign_in_throttle.c.key == row.key)
        .values(audited_until=row.blocked_until, refused=refused)
    )
    if refused > SIGN_IN_AUDITED_REFUSALS_PER_WINDOW:
        return
    audit.record(
        connection,
        actor=SIGN_IN_ACTOR,
        action="account.sign_in_throttled",
        subject=f"account {logged_username(username)}",
        after={
            "username": logged_username(username),
            "client": client,
            "throttled": kind,
            "failures": row.failures,
            "until": row.blocked_until.isoformat(timespec="seconds"),
            "refused": refused,
            # the window's further refused tries are counted, not written
            "last_written": refused == SIGN_IN_AUDITED_REFUSALS_PER_WINDOW,
        },
        now=now,
    )


def _admit(
    connection: Connection, username: str, client: str, now: datetime, per_minute: int
) -> tuple[str, float] | None:
    """Count the try, or refuse it: None when it may proceed, else (kind, wait)."""
    keys = throttle_keys(username, client)
    rows = _locked_rows(connection, [*keys.values(), GLOBAL_KEY], now)
    forget = now - timedelta(seconds=SIGN_IN_FORGET_S)
    pair = rows[keys["pair"]]
    # A client with (nearly) a clean record for this username is not delayed by the
    # username's count from everywhere (issue 13): no lock-out anyone can impose.
    exempt = (pair.failures if pair.last_at >= forget else 0) < SIGN_IN_USERNAME_EXEMPT_BELOW
    # The longest wait of any key refuses the try.
    waits = [
        (kind, rows[key])
        for kind, key in keys.items()
        if not (kind == "user" and exempt)
        and rows[key].last_at >= forget
        and _wait(rows[key].blocked_until, now) > 0
    ]
    if waits:
        kind, row = max(waits, key=lambda pair: pair[1].blocked_until)
        _audit_throttled(connection, row, kind, username, client, now)
        return kind, _wait(row.blocked_until, now)
    # The global rate: ``failures`` counts the verifications of the minute that ends at
    # ``blocked_until``.
    glob = rows[GLOBAL_KEY]
    if glob.blocked_until is None or glob.blocked_until <= now:
        connection.execute(
            sign_in_throttle.update()
            .where(sign_in_throttle.c.key == GLOBAL_KEY)
            .values(failures=1, last_at=now, blocked_until=now + timedelta(seconds=60))
        )
    elif glob.failures >= per_minute:
        _audit_throttled(connection, glob, GLOBAL_KEY, username, client, now)
        return GLOBAL_KEY, _wait(glob.blocked_until, now)
    else:
        connection.execute(
            sign_in_throttle.update()
            .where(sign_in_throttle.c.key == GLOBAL_KEY)
            .values(failures=glob.failures + 1)
        )
    # Counted as a failure now, before the hash: a success resets it.
    for kind, key in keys.items():
        row = rows[key]
        failures = (row.failures if row.last_at >= forget else 0) + 1
        delay = POLICIES[kind].delay_s(failures)
        connection.execute(
            sign_in_throttle.update()
            .where(sign_in_throttle.c.key == key)
            .values(
                failures=failures,
                last_at=now,
                blocked_until=now + timedelta(seconds=delay) if delay > 0 else None,
            )
        )
    # Keys untouched for long are forgotten (their rows removed).
    connection.execute(
        sign_in_throttle.delete().where(
            sign_in_throttle.c.last_at < forget, sign_in_throttle.c.key != GLOBAL_KEY
        )
    )
    return None


def _succeeded(store: Store, username: str, client: str) -> None:
    keys = throttle_keys(username, client)
    with store.transaction() as connection:
        connection.execute(
            sign_in_throttle.delete().where(
                sign_in_throttle.c.key.in_([keys["pair"], keys["user"]])
            )
        )
        # The client's count loses this try again (an operations centre behind one
        # address signs in many times a day), keeping any delay it had.
        connection.execute(
            sign_in_throttle.update()
            .where(sign_in_throttle.c.key == keys["client"], sign_in_throttle.c.failures > 0)
            .values(failures=sign_in_throttle.c.failures - 1)
        )


def _failed(store: Store, username: str, client: str, now: datetime) -> None:
    keys = throttle_keys(username, client)
    with store.transaction() as connection:
        failures = connection.execute(
            sa.select(sign_in_throttle.c.failures).where(sign_in_throttle.c.key == keys["pair"])
        ).scalar_one_or_none()
        audit.record(
            connection,
            actor=SIGN_IN_ACTOR,
            action="account.sign_in_failed",
            subject=f"account {logged_username(username)}",
            after={
                "username": logged_username(username),
                "client": client,
                "failures": failures or 1,
            },
            now=now,
        )


def sign_in_with_password(
    store: Store,
    username: str,
    password: str,
    *,
    client: str,
    now: datetime | None = None,
    per_minute: int = SIGN_IN_GLOBAL_PER_MINUTE,
    per_client: int = SIGN_IN_CONCURRENT_PER_CLIENT,
) -> Actor:
    """The account's :class:`~mutualaid.access.actor.Actor` when *password* is its password,
    the account is enabled and the try is not throttled.

    Parameters
    ----------
    store : Store
    username, password : str
        As typed; nothing is trimmed.
    client : str
        The client's address as the app server sees it (at most 100 characters kept).
    now : datetime.datetime, optional
        The time of the try (UTC); the current time when None.
    per_minute : int
        Password verifications per minute over all app servers.
    per_client : int
        Verifications one client address may run at once in this server.

    Returns
    -------
    Actor

    Raises
    ------
    SignInThrottled
        Refused before the password was checked: this server is busy verifying others,
        the servers' rate is used up, or the username or client failed too often lately
        (the message says when to try again). Audited once per delay window.
    SignInFailed
        Unknown username, wrong password or disabled account (audited).

    Examples
    --------
    >>> sign_in_with_password(store, "alice", "correct horse battery",
    ...                       client="10.0.0.7")  # doctest: +SKIP
    Actor(username='alice', role='coordinator', jurisdiction='DE-NW', ...)
    """
    username = username if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    client = _plain(client or "", CLIENT_MAX_LENGTH) or "unknown"
    if not _take_client_slot(client, per_client):
        raise SignInThrottled(BUSY_MESSAGE, 5.0)
    if not VERIFICATIONS.acquire(blocking=False):
        _free_client_slot(client)
        raise SignInThrottled(BUSY_MESSAGE, 5.0)
    try:
        when = _now(now)
        with store.transaction() as connection:
            refused = _admit(connection, username, client, when, per_minute)
        if refused is not None:
            kind, wait = refused
            raise SignInThrottled(_throttled_message(kind, wait), wait)
        actor = authenticate(store, username, password)
    finally:
        VERIFICATIONS.release()
        _free_client_slot(client)
    if actor is None:
        _failed(store, username, client, when)
        raise SignInFailed(FAILED_MESSAGE)
    _succeeded(store, username, client)
    return actor


def throttle_state(store: Store, username: str, client: str = "unknown") -> dict[str, int]:
    """Failures counted for *username* (from *client*, from anywhere) and for *client*,
    by kind: for ``mutualaid users list`` and the Accounts page (issue 13)."""
    keys = throttle_keys(username, client)
    with store.reading() as connection:
        rows = connection.execute(
            sa.select(sign_in_throttle).where(sign_in_throttle.c.key.in_(list(keys.values())))
        )
        found = {row.key: row.failures for row in rows}
    return {kind: found.get(key, 0) for kind, key in keys.items()}


@dataclass(frozen=True)
class ThrottleState:
    """A username's sign-in delays, as an admin reads them.

    Parameters
    ----------
    username : str
        As the throttle keys it (lower case).
    failures : int
        Failed tries for it from anywhere in the last hour.
    clients : int
        Client addresses with failed tries for it.
    delayed_until : datetime.datetime or None
        Until when some client's next try for it is refused (the latest), if any.
    """

    username: str
    failures: int
    clients: int
    delayed_until: datetime | None

    def words(self, now: datetime | None = None) -> str:
        """The state in words: "delayed 4 minutes after 12 failures", "3 failures
        lately", or "" when there is nothing to say.

        Examples
        --------
        >>> start = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
        >>> ThrottleState("cora", 12, 1, start + timedelta(seconds=230)).words(start)
        'delayed 4 minutes after 12 failures'
        >>> ThrottleState("cora", 1, 1, None).words(start)
        '1 failure lately'
        """
        when = _now(now)
        if self.failures <= 0 and self.delayed_until is None:
            return ""
        counted = f"{self.failures} failure{'s' if self.failures != 1 else ''}"
        wait = _wait(self.delayed_until, when)
        if wait > 0:
            return f"delayed {_in_words(wait)} after {counted}"
        return f"{counted} lately"


def _username_of(key: str) -> str | None:
    if key.startswith("user:"):
        return key[len("user:") :]
    if key.startswith("pair:") and " " in key:
        return key.rsplit(" ", 1)[1]
    return None


def throttles(store: Store, *, now: datetime | None = None) -> dict[str, ThrottleState]:
    """Every username with failed or refused tries in the last hour, by username (lower
    case): for ``mutualaid users list`` and the Accounts page (issue 13)."""
    forget = _now(now) - timedelta(seconds=SIGN_IN_FORGET_S)
    found: dict[str, dict[str, Any]] = {}
    with store.reading() as connection:
        rows = connection.execute(
            sa.select(sign_in_throttle).where(
                sa.or_(
                    sign_in_throttle.c.key.startswith("user:"),
                    sign_in_throttle.c.key.startswith("pair:"),
                ),
                sign_in_throttle.c.last_at >= forget,
            )
        )
        for row in rows:
            name = _username_of(row.key)
            if name is None:
                continue
            state = found.setdefault(name, {"failures": 0, "clients": 0, "until": None})
            if row.key.startswith("user:"):
                state["failures"] = max(state["failures"], row.failures)
            else:
                state["clients"] += 1
                state["failures"] = max(state["failures"], row.failures)
            if row.blocked_until is not None and (
                state["until"] is None or row.blocked_until > state["until"]
            ):
                # the username-wide delay holds only for clients that failed too
                state["until"] = row.blocked_until
    return {
        name: ThrottleState(name, state["failures"], state["clients"], state["until"])
        for name, state in found.items()
    }


def unlock(store: Store, username: str, *, actor: Actor, now: datetime | None = None) -> int:
    """Clear every delay and count of *username* (its ``user`` key and every ``pair``
    key of it), audited as ``account.unlocked`` with the counts cleared; an admin's.

    Parameters
    ----------
    store : Store
    username : str
        As typed (compared ignoring case); an unknown username is refused.
    actor : Actor
        An admin.
    now : datetime.datetime, optional

    Returns
    -------
    int
        The keys cleared (0: nothing was delayed or counted).

    Raises
    ------
    AccountError
        Not an admin (the refusal audited), or no such account.
    """
    require_admin(store, actor, f"unlock the sign-in of {username!r}", f"account {username}")
    account = get_account(store, username) or next(
        (a for a in list_accounts(store) if a.username.lower() == username.lower()), None
    )
    if account is None:
        raise AccountError(f"there is no account {username!r} (see `mutualaid users list`)")
    name = throttle_keys(account.username, "")["user"][len("user:") :]
    when = _now(now)
    before = throttles(store, now=when).get(name)
    condition = sa.or_(
        sign_in_throttle.c.key == f"user:{name}",
        sa.and_(
            sign_in_throttle.c.key.startswith("pair:"),
            sign_in_throttle.c.key.endswith(f" {name}", autoescape=True),
        ),
    )
    with store.transaction() as connection:
        cleared = connection.execute(sign_in_throttle.delete().where(condition)).rowcount
        audit.record(
            connection,
            actor=actor.username,
            action="account.unlocked",
            subject=f"account {account.username}",
            before={
                "failures": before.failures if before else 0,
                "clients": before.clients if before else 0,
                "delayed_until": before.delayed_until.isoformat(timespec="seconds")
                if before and before.delayed_until
                else None,
            },
            after={"failures": 0, "delayed_until": None},
            now=when,
        )
    return cleared
