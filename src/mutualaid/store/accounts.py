"""Local accounts: who may sign in, with which role and for which jurisdiction.

Passwords are kept only as argon2id hashes (RFC 9106, its low-memory profile). Every
change is written to the audit log in the same transaction, without the password or its
hash. Accounts that sign in through an identity provider (OpenID Connect, issue 6) are
rows of the same table with no password hash: :func:`authenticate` never lets them in
with a password, and :func:`active_actor` treats them like any other account.

Only an admin manages accounts (the command line acts as the system, an admin); an
account may change its own password.
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from mutualaid.access.actor import (
    JURISDICTION_ROLES,
    OIDC_PREFIX,
    PROVIDER_USERNAME_PATTERN,
    ROLES,
    TEXT_MAX_LENGTH,
    USERNAME_PATTERN,
    Actor,
)
from mutualaid.errors import AccountError
from mutualaid.settings import (
    JURISDICTION_SUGGESTION_CUTOFF,
    JURISDICTION_SUGGESTIONS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)
from mutualaid.store import audit
from mutualaid.store.database import Store
from mutualaid.store.sessions import end_account_sessions
from mutualaid.store.tables import accounts

_HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


@dataclass(frozen=True)
class Account:
    """One account as people may see it (never its password hash).

    Parameters
    ----------
    username, display_name, role : str
    jurisdiction : str or None
        None for an admin bound to no jurisdiction.
    disabled : bool
        A disabled account cannot sign in and loses access at its session's next rerun.
    has_password : bool
        False for accounts that only sign in through an identity provider.
    created_at : datetime.datetime
    created_by : str
    """

    username: str
    display_name: str
    role: str
    jurisdiction: str | None
    disabled: bool
    has_password: bool
    created_at: datetime
    created_by: str

    @property
    def actor(self) -> Actor:
        """The account as an :class:`~mutualaid.access.actor.Actor`."""
        return Actor(self.username, self.role, self.jurisdiction, self.display_name)


# --- Validation ----------------------------------------------------------------------


def check_username(username: object) -> str:
    """*username* when it is well formed, else :class:`AccountError` saying why."""
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        shown = username if isinstance(username, str) else type(username).__name__
        raise AccountError(
            f"username {shown!r} is not valid: use 1 to 200 letters, digits, "
            f"'.', '_', '-' or '@' (no spaces)"
        )
    return username


def check_account_name(username: object) -> str:
    """*username* when it can name an existing account: a local username
    (:func:`check_username`) or an identity provider's ``oidc:<sub>``."""
    if isinstance(username, str) and PROVIDER_USERNAME_PATTERN.fullmatch(username):
        return username
    return check_username(username)


def check_password(password: object) -> str:
    """*password* when it is long enough (and not absurdly long), else :class:`AccountError`."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        got = len(password) if isinstance(password, str) else 0
        raise AccountError(
            f"the password must have at least {PASSWORD_MIN_LENGTH} characters, got {got}"
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountError(
            f"the password must have at most {PASSWORD_MAX_LENGTH} characters, got {len(password)}"
        )
    return password


def _check_role(role: object) -> str:
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not known; expected one of {', '.join(ROLES)}")
    return str(role)


def _check_text(value: str, what: str) -> str:
    value = value.strip()
    if len(value) > TEXT_MAX_LENGTH:
        raise AccountError(
            f"the {what} must have at most {TEXT_MAX_LENGTH} characters, got {len(value)}"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise AccountError(f"the {what} {value!r} contains control characters")
    return value


def _check_jurisdiction(jurisdiction: str | None, role: str) -> str | None:
    value = _check_text(jurisdiction or "", "jurisdiction") or None
    if value is None and role in JURISDICTION_ROLES:
        raise AccountError(
            f"a {role} acts for one jurisdiction: give its id "
            f"(for example DE-NW); only an admin may have none"
        )
    return value


def close_jurisdictions(value: str, known: Collection[str]) -> list[str]:
    """The ids of *known* closest to *value* (a typo: ``DE-RPX`` -> ``["DE-RP"]``), best
    first, at most :data:`~mutualaid.settings.JURISDICTION_SUGGESTIONS`; the one id that
    differs only in case alone when there is one."""
    by_upper = {k.upper(): k for k in known}
    if value.upper() in by_upper:
        return [by_upper[value.upper()]]
    hits = difflib.get_close_matches(
        value.upper(),
        list(by_upper),
        n=JURISDICTION_SUGGESTIONS,
        cutoff=JURISDICTION_SUGGESTION_CUTOFF,
    )
    return [by_upper[h] for h in hits]


def check_stored_jurisdiction(jurisdiction: str | None, known: Collection[str]) -> str | None:
    """*jurisdiction* when it is None or one of *known* (the stored scenarios'
    jurisdictions, :func:`mutualaid.store.layer_store.stored_jurisdictions`), else
    :class:`AccountError` naming the close ones (issue 13: ``DE-RPX`` is refused).

    An empty *known* (no scenario stored yet) cannot check anything: every value passes.

    Examples
    --------
    >>> check_stored_jurisdiction("DE-RP", {"DE-RP", "DE-NW"})
    'DE-RP'
    >>> try:
    ...     check_stored_jurisdiction("DE-RPX", {"DE-RP", "DE-NW"})
    ... except AccountError as refused:
    ...     print(str(refused).split("; ")[1])
    did you mean DE-RP?
    """
    if jurisdiction is None or not known or jurisdiction in known:
        return jurisdiction
    close = close_jurisdictions(jurisdiction, known)
    said = f"the jurisdiction {jurisdiction!r} is not one of the stored scenarios' jurisdictions"
    if close:
        raise AccountError(f"{said}; did you mean {' or '.join(close)}?")
    first = sorted(known)[:JURISDICTION_SUGGESTIONS]
    raise AccountError(
        f"{said}, nor close to one; they are {', '.join(first)}"
        + (f" and {len(known) - len(first)} more" if len(known) > len(first) else "")
    )


def _check_stored(store: Store, jurisdiction: str | None) -> str | None:
    if jurisdiction is None:
        return None
    from mutualaid.store.layer_store import stored_jurisdictions

    return check_stored_jurisdiction(jurisdiction, stored_jurisdictions(store).keys())


def hash_password(password: str) -> str:
    """The argon2id hash of *password* (checked with :func:`check_password` first)."""
    return _HASHER.hash(check_password(password))


def generate_password() -> str:
    """A strong random password (20 URL-safe characters, 120 bits) from :mod:`secrets`."""
    return secrets.token_urlsafe(15)


# --- Reading -------------------------------------------------------------------------


def _account(row: sa.Row) -> Account:
    return Account(
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        jurisdiction=row.jurisdiction,
        disabled=bool(row.disabled),
        has_password=row.password_hash is not None,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _public(account: Account) -> dict:
    """What the audit log records of an account (no hash, no password)."""
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "jurisdiction": account.jurisdiction,
        "disabled": account.disabled,
        "has_password": account.has_password,
    }


def _row(connection: Connection, username: str, *, for_update: bool = False) -> sa.Row | None:
    query = sa.select(accounts).where(accounts.c.username == username)
    if for_update:
        query = query.with_for_update()
    return connection.execute(query).first()


def list_accounts(store: Store) -> list[Account]:
    """Every account, by username."""
    with store.reading() as connection:
        rows = connection.execute(sa.select(accounts).order_by(accounts.c.username))
        return [_account(row) for row in rows]


def get_account(store: Store, username: str) -> Account | None:
    """The account named *username*, or None."""
    with store.reading() as connection:
        row = _row(connection, username)
    return None if row is None else _account(row)


def count_accounts(connection: Connection) -> int:
    """How many accounts the store holds (inside the caller's transaction)."""
    return connection.execute(sa.select(sa.func.count()).select_from(accounts)).scalar_one()


def active_actor(store: Store, username: str) -> Actor | None:
    """The account named *username* as an :class:`~mutualaid.access.actor.Actor`, or None when
    there is no such account or it is disabled.

    The app calls this on every rerun of a signed-in session, so disabling an account
    (or changing its role or jurisdiction) takes effect at its sessions' next rerun.
    """
    if not isinstance(username, str) or not (
        USERNAME_PATTERN.fullmatch(username) or PROVIDER_USERNAME_PATTERN.fullmatch(username)
    ):
        return None
    with store.reading() as connection:
        row = _row(connection, username)
    if row is None or row.disabled:
        return None
    return Actor(row.username, row.role, row.jurisdiction, row.display_name)


# --- Signing in ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Made once per process with the current parameters: verifying against it costs what
    # verifying a real account's hash costs.
    return _HASHER.hash(secrets.token_urlsafe(24))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(store: Store, username: str, password: str) -> Actor | None:
    """The account's :class:`~mutualaid.access.actor.Actor` when *password* is its password
    and it is enabled; None otherwise, without saying which part was wrong.

    An unknown username, an account without a password (identity provider only) and a
    disabled account cost one hash verification too, so the time taken does not tell
    which usernames exist. A hash made with older argon2 parameters is replaced by one
    with the current parameters (audited as ``account.changed``).

    Parameters
    ----------
    store : Store
    username, password : str
        As typed; nothing is trimmed.

    Returns
    -------
    Actor or None
    """
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    known = bool(USERNAME_PATTERN.fullmatch(username)) and len(password) <= PASSWORD_MAX_LENGTH
    row = None
    if known:
        with store.reading() as connection:
            row = _row(connection, username)
    stored = row.password_hash if row is not None else None
    matches = _verify(stored or _dummy_hash(), password if known else "")
    if row is None or stored is None or not matches or row.disabled:
        return None
    if _HASHER.check_needs_rehash(stored):
        _rehash(store, username, stored, password)
    return Actor(row.username, row.role, row.jurisdiction, row.display_name)


def _rehash(store: Store, username: str, old_hash: str, password: str) -> None:
    new_hash = _HASHER.hash(password)
    with store.transaction() as connection:
        # Only if the hash is still the one verified: a password set meanwhile wins.
        changed = connection.execute(
            accounts.update()
            .where(accounts.c.username == username, accounts.c.password_hash == old_hash)
            .values(password_hash=new_hash)
        ).rowcount
        if changed:
            audit.record(
                connection,
                actor=username,
                action="account.changed",
                subject=f"account {username}",
                before=None,
                after={"change": "password hash upgraded to the current argon2 parameters"},
            )


# --- Changing --------------------------------------------------------------------------


def _require_admin(store: Store, actor: Actor, what: str, subject: str) -> None:
    if actor.at_least("admin"):
        return
    message = f"{actor.label} cannot {what}: only an admin manages accounts"
    audit.record_denial(store, actor=actor, attempted=what, subject=subject, reason=message)
    raise AccountError(message)


def require_admin(store: Store, actor: Actor, what: str, subject: str) -> None:
    """Return when *actor* is an admin; otherwise write the refusal of *what* (on
    *subject*) to the audit log and raise :class:`~mutualaid.errors.AccountError`
    (for account changes made elsewhere: unlocking a sign-in, issue 13)."""
    _require_admin(store, actor, what, subject)


def insert_account(
    connection: Connection,
    *,
    username: str,
    role: str,
    jurisdiction: str | None,
    password_hash: str | None,
    display_name: str,
    actor: Actor,
    now: datetime | None = None,
) -> Account:
    """Insert one checked account and its audit row inside the caller's transaction.

    Used by :func:`add_account` and the first-run set-up (several accounts in one
    transaction). A username taken meanwhile raises :class:`sqlalchemy.exc.IntegrityError`
    when the transaction reaches the unique index; the caller decides what that means.
    """
    when = now or datetime.now(UTC)
    connection.execute(
        accounts.insert().values(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            jurisdiction=jurisdiction,
            role=role,
            disabled=False,
            created_at=when,
            created_by=actor.username,
        )
    )
    account = Account(
        username,
        display_name,
        role,
        jurisdiction,
        False,
        password_hash is not None,
        when,
        actor.username,
    )
    audit.record(
        connection,
        actor=actor.username,
        action="account.created",
        subject=f"account {username}",
        after=_public(account),
        now=when,
    )
    return account


def add_account(
    store: Store,
    *,
    username: str,
    role: str,
    jurisdiction: str | None = None,
    password: str | None = None,
    display_name: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Account:
    """Create an account.

    Parameters
    ----------
    store : Store
    username : str
        Letters, digits, ``.``, ``_``, ``-``, ``@``; 1 to 200 characters; unique, also
        ignoring case (``Alice`` and ``alice`` cannot both exist).
    role : str
        One of :data:`mutualaid.access.actor.ROLES`.
    jurisdiction : str, optional
        Required for a viewer, planner or coordinator; an admin may have none. One of
        the stored scenarios' jurisdictions (:func:`check_stored_jurisdiction`) once
        the store holds a scenario.
    password : str, optional
        At least :data:`~mutualaid.settings.PASSWORD_MIN_LENGTH` characters. Without one
        the account can only sign in through an identity provider (issue 6) until
        :func:`set_password` gives it one.
    display_name : str, optional
        For people; the username when not given.
    actor : Actor
        Who creates it (an admin).

    Returns
    -------
    Account

    Raises
    ------
    AccountError
        A value is not valid, the jurisdiction is not a stored one, the username is
        taken, or *actor* is not an admin.

    Examples
    --------
    >>> add_account(store, username="alice", role="coordinator", jurisdiction="DE-NW",
    ...             password="correct horse battery", actor=system_actor("cli"))  # doctest: +SKIP
    """
    check_username(username)
    role = _check_role(role)
    jurisdiction = _check_stored(store, _check_jurisdiction(jurisdiction, role))
    name = _check_text(display_name or "", "display name") or username
    # Hash before the transaction: argon2 takes a tenth of a second, the write lock should not.
    password_hash = None if password is None else hash_password(password)
    _require_admin(store, actor, f"create the account {username!r}", f"account {username}")
    try:
        with store.transaction() as connection:
            taken = connection.execute(
                sa.select(accounts.c.username).where(
                    sa.func.lower(accounts.c.username) == username.lower()
                )
            ).first()
            if taken is not None:
                raise AccountError(
                    f"the username {username!r} is already taken"
                    + (
                        ""
                        if taken.username == username
                        else f" (by {taken.username!r}, which differs only in case)"
                    )
                )
            return insert_account(
                connection,
                username=username,
                role=role,
                jurisdiction=jurisdiction,
                password_hash=password_hash,
                display_name=name,
                actor=actor,
                now=now,
            )
    except sa.exc.IntegrityError:
        # Created by someone else between our check and our insert.
        raise AccountError(f"the username {username!r} is already taken") from None


def change_account(
    store: Store,
    username: str,
    *,
    actor: Actor,
    what: str,
    values: dict,
    allow_self: bool = False,
    note: str = "",
    keep_session: str | None = None,
) -> Account:
    """Apply *values* (columns of ``accounts``) to the account, row locked, and audit the
    change as ``account.changed`` unless nothing changes.

    Parameters
    ----------
    store : Store
    username : str
    actor : Actor
        An admin (or the account itself when *allow_self*); otherwise the change is
        refused and the refusal audited.
    what : str
        The change in words, for a refusal's message.
    values : dict
        Column values to set (never a password in clear).
    allow_self : bool
        Let the account change itself.
    note : str
        Added to the audit row's ``after`` as ``change``.
    keep_session : str, optional
        A session token that a password change does not end (the account's own
        session, changing its own password).
    """
    if not (allow_self and actor.username == username):
        _require_admin(store, actor, what, f"account {username}")
    with store.transaction() as connection:
        row = _row(connection, username, for_update=True)
        if row is None:
            raise AccountError(f"there is no account {username!r} (see `mutualaid users list`)")
        before = _account(row)
        if all(getattr(row, key) == value for key, value in values.items()):
            return before
        connection.execute(
            accounts.update().where(accounts.c.username == username).values(**values)
        )
        # Every open session of the account ends with the change (issue 16, item 5).
        if "password_hash" in values:
            end_account_sessions(
                connection,
                username,
                reason="password_changed",
                keep=keep_session if actor.username == username else None,
            )
        if values.get("disabled") is True:
            end_account_sessions(connection, username, reason="disabled")
        row = _row(connection, username)
        if row is None:  # never: the row is locked by this transaction
            raise AccountError(f"the account {username!r} no longer exists")
        after = _account(row)
        after_doc = _public(after) | ({"change": note} if note else {})
        audit.record(
            connection,
            actor=actor.username,
            action="account.changed",
            subject=f"account {username}",
            before=_public(before),
            after=after_doc,
        )
        return after


def set_password(
    store: Store, username: str, password: str, *, actor: Actor, keep_session: str | None = None
) -> Account:
    """Give the account a new password (an admin, or the account itself); every open
    session of the account ends (its next rerun shows the sign-in form, saying why),
    except *keep_session*: the token of the session the account changes its own
    password from.

    Raises
    ------
    AccountError
        The password is too short or too long, the account does not exist, or *actor*
        may not change it.
    """
    check_username(username)
    password_hash = hash_password(password)
    # The hash differs every time (a new salt), so this always counts as a change.
    return change_account(
        store,
        username,
        actor=actor,
        what=f"set the password of {username!r}",
        values={"password_hash": password_hash},
        allow_self=True,
        note="password set",
        keep_session=keep_session,
    )


def change_role(
    store: Store, username: str, *, role: str, jurisdiction: str | None, actor: Actor
) -> Account:
    """Give the account another role and jurisdiction (an admin); its open sessions have
    them at their next rerun.

    Raises
    ------
    AccountError
        A value is not valid (a viewer, planner or coordinator needs a jurisdiction; a
        new one must be one of the stored scenarios'), the account does not exist or
        signs in through an identity provider (its claims set its role at every
        sign-in), the admin would change its own role (another admin
        does that: an app must not lose its last admin by a slip), or *actor* is not an
        admin (audited).
    """
    check_account_name(username)
    role = _check_role(role)
    jurisdiction = _check_jurisdiction(jurisdiction, role)
    if username.startswith(OIDC_PREFIX):
        raise AccountError(
            f"{username} signs in through an identity provider, whose "
            f"claims set its role and jurisdiction at every sign-in; change "
            f"them there"
        )
    if actor.username == username:
        raise AccountError("you cannot change your own role; ask another admin")
    current = get_account(store, username)
    if current is None or current.jurisdiction != jurisdiction:
        # Issue 13: a new jurisdiction is one of the stored ones; the one it has is kept
        # even if no stored scenario holds it any more (its role may still change).
        _check_stored(store, jurisdiction)
    return change_account(
        store,
        username,
        actor=actor,
        what=f"change the role of {username!r}",
        values={"role": role, "jurisdiction": jurisdiction},
    )


def disable_account(store: Store, username: str, *, actor: Actor) -> Account:
    """Stop the account from signing in; its open sessions lose access at their next
    rerun. Disabling a disabled account changes nothing."""
    check_account_name(username)
    if actor.username == username:
        raise AccountError("you cannot disable your own account; ask another admin")
    return change_account(
        store,
        username,
        actor=actor,
        what=f"disable the account {username!r}",
        values={"disabled": True},
    )


def enable_account(store: Store, username: str, *, actor: Actor) -> Account:
    """Let a disabled account sign in again. Enabling an enabled account changes nothing."""
    check_account_name(username)
    return change_account(
        store,
        username,
        actor=actor,
        what=f"enable the account {username!r}",
        values={"disabled": False},
    )
