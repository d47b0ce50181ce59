"""Who is acting: an account's name, role and jurisdiction, as established by sign-in.

Everything that changes shared state takes an :class:`Actor`. Pages get it only from
the session's verified sign-in (:mod:`mutualaid.ui.signed_in`), never from a widget or a
URL parameter; the command line names one with ``--as`` or acts as the local system user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

#: Roles, least to most rights (issue 6): a viewer sees briefings and maps; a planner also
#: uploads layers for its jurisdiction; a coordinator also requests, commits its own units
#: and accepts offers for its own incidents; an admin manages agreements and accounts.
ROLES: Final[tuple[str, ...]] = ("viewer", "planner", "coordinator", "admin")

#: Letters and digits (ASCII, so that no two names look alike), ``.``, ``_``, ``-`` and
#: ``@`` (an e-mail address is a valid username); 1 to 200 characters. No ``:``, so no
#: account can take a ``system:...`` name.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,200}")
#: Accounts made by an identity provider's sign-in (:mod:`mutualaid.access.oidc`): ``oidc:``
#: and the provider's ``sub`` (visible ASCII). Never created here; found, disabled, enabled.
PROVIDER_USERNAME_PATTERN = re.compile(r"oidc:[\x21-\x7e]{1,195}")
#: How an identity provider's account name starts.
OIDC_PREFIX = "oidc:"
#: Longest display name or jurisdiction id, in characters (the columns' size).
TEXT_MAX_LENGTH = 200
#: Roles that act for one jurisdiction and therefore need one.
JURISDICTION_ROLES = ("viewer", "planner", "coordinator")


@dataclass(frozen=True)
class Actor:
    """A signed-in person (or the system) acting on the store.

    Parameters
    ----------
    username : str
        The account name, unique in the store (``system:...`` for the app itself and
        the command line without ``--as``).
    role : str
        One of :data:`ROLES`.
    jurisdiction : str or None
        The jurisdiction the person acts for; None for an admin bound to none.
    display_name : str
        For people; the username when empty.
    """

    username: str
    role: str
    jurisdiction: str | None = None
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")

    @property
    def label(self) -> str:
        """``"alice (DE-NW coordinator)"``: how the audit log and messages name the actor.

        A display name that already says the role and the jurisdiction (the demo
        accounts' ``"Viewer (NG-BO)"``, ``"Administrator"``) is the whole label: never
        ``"Viewer (NG-BO) (NG-BO viewer)"``.
        """
        name = self.display_name or self.username
        words = name.lower()
        says_role = self.role in words or (self.role == "admin" and "administrator" in words)
        says_where = not self.jurisdiction or self.jurisdiction.lower() in words
        if says_role and says_where:
            return name
        where = f"{self.jurisdiction} " if self.jurisdiction else ""
        return f"{name} ({where}{self.role})"

    def at_least(self, role: str) -> bool:
        """True when this actor's role is *role* or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def system_actor(name: str = "system") -> Actor:
    """The app or the command line acting on its own (first-run set-up, ``mutualaid load``
    without ``--as``): an admin bound to no jurisdiction, named ``system:<name>``."""
    return Actor(username=f"system:{name}", role="admin", jurisdiction=None)
