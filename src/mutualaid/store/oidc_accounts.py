"""The store's side of an identity provider's sign-in: the account for verified claims.

:func:`mutualaid.access.oidc.identity_from_claims` reads the claims into an
:class:`~mutualaid.access.oidc.OidcIdentity`; :func:`sign_in_account` creates its account on
the first sign-in (no password, created by ``system:oidc``), brings its role, jurisdiction
and display name in line with the claims on later sign-ins (audited ``account.changed``),
and refuses a disabled account even though the provider vouched for the person.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from mutualaid.access.actor import Actor
from mutualaid.access.oidc import OIDC_ACTOR, OidcIdentity
from mutualaid.errors import AccountError, ClaimsRefused
from mutualaid.store.accounts import Account, change_account, get_account, insert_account
from mutualaid.store.database import Store
from mutualaid.store.tables import accounts


def _refuse_existing(account: Account) -> None:
    if account.disabled:
        raise ClaimsRefused(
            f"the account {account.username} is disabled in this app; your "
            f"identity provider's sign-in is not enough. Ask an admin of "
            f"this app"
        )
    if account.has_password:
        raise ClaimsRefused(
            f"the account {account.username} is a local account with a "
            f"password: sign in with the password, or ask an admin"
        )


def sign_in_account(store: Store, identity: OidcIdentity, *, now: datetime | None = None) -> Actor:
    """The account for a provider's verified *identity*, created or brought up to date.

    First sign-in: the account is created with no password, created by ``system:oidc``
    (audited ``account.created``). Later sign-ins: when the claims' role, jurisdiction
    or display name differ from the account's, the account takes them (audited
    ``account.changed``); otherwise nothing is written.

    Parameters
    ----------
    store : Store
    identity : OidcIdentity
        From :func:`identity_from_claims`.
    now : datetime, optional
        For tests.

    Returns
    -------
    Actor

    Raises
    ------
    ClaimsRefused
        The account is disabled, or (with e-mail usernames) it is a local account with
        a password.
    """
    account = get_account(store, identity.username)
    if account is None:
        try:
            with store.transaction() as connection:
                taken = connection.execute(
                    sa.select(accounts.c.username).where(accounts.c.username == identity.username)
                ).first()
                if taken is None:
                    created = insert_account(
                        connection,
                        username=identity.username,
                        role=identity.role,
                        jurisdiction=identity.jurisdiction,
                        password_hash=None,
                        display_name=identity.display_name,
                        actor=OIDC_ACTOR,
                        now=now,
                    )
                    return created.actor
        except sa.exc.IntegrityError:
            pass  # another session of the same person created it just now
        account = get_account(store, identity.username)
        if account is None:  # pragma: no cover - created and removed meanwhile
            raise ClaimsRefused(f"the account {identity.username} could not be created; try again")
    _refuse_existing(account)
    wanted = {
        "role": identity.role,
        "jurisdiction": identity.jurisdiction,
        "display_name": identity.display_name,
    }
    if any(getattr(account, key) != value for key, value in wanted.items()):
        # The accounts module's own change: row locked, before/after audited.
        try:
            account = change_account(
                store,
                identity.username,
                actor=OIDC_ACTOR,
                what=f"update the account {identity.username!r}",
                values=wanted,
                note="role, jurisdiction or name from the identity provider's claims",
            )
        except AccountError as error:  # removed meanwhile
            raise ClaimsRefused(str(error)) from None
        _refuse_existing(account)  # disabled by an admin meanwhile
    return account.actor
