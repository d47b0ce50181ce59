"""Sign-in through an OpenID Connect provider: from the provider's verified claims to an
account's identity (role, jurisdiction, name).

The app signs people in two ways: local accounts with a password, and an agency's
identity provider (Streamlit's ``st.login``). After the provider's round trip Streamlit
holds the ID token's claims, verified (signature, issuer, audience, nonce) and kept in a
signed cookie. This module turns those claims into an account, with no Streamlit in
it, so that the rules can be tested on their own:

* :func:`identity_from_claims` reads the claims: who (``sub``, or ``email`` when
  configured), the role and the jurisdiction (claims named in :class:`ClaimMapping`,
  ``role`` and ``jurisdiction`` by default) and a display name (``name``). Anything
  missing, unknown, too long or not text is refused with a message for people.
* :func:`mutualaid.store.oidc_accounts.sign_in_account` (the store's side) creates the
  account on the first sign-in (no password, created
  by ``system:oidc``), brings its role, jurisdiction and display name in line with the
  claims on later sign-ins (audited ``account.changed``), and refuses a disabled
  account even though the provider vouched for the person.

The claims are the only source of an OIDC account's role and jurisdiction: a change an
admin makes to such an account lasts until its next sign-in, when the claims win again
(disabling it lasts: that is the admin's to undo).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mutualaid.access.actor import (
    JURISDICTION_ROLES,
    ROLES,
    TEXT_MAX_LENGTH,
    USERNAME_PATTERN,
    Actor,
    system_actor,
)
from mutualaid.errors import ClaimsRefused, OidcConfigError

#: Prefix of the usernames made from a provider's ``sub``: no local account can take
#: one (a local username has no ``:``), so a provider's user can never land in a
#: local account by choosing a subject.
USERNAME_PREFIX = "oidc:"
#: Longest ``sub`` kept (the username column holds 200 characters, prefix included).
SUBJECT_MAX_LENGTH = TEXT_MAX_LENGTH - len(USERNAME_PREFIX)
#: A ``sub`` is visible ASCII (OpenID Connect Core 1.0, section 2: "case-sensitive
#: string ... not exceed 255 ASCII characters"); spaces and control characters refused.
_SUBJECT_PATTERN = re.compile(r"[\x21-\x7e]+")
#: Who creates and updates accounts on a provider's word, in the audit log.
OIDC_ACTOR = system_actor("oidc")
#: Keys of the ``[mutualaid.oidc]`` secrets section (see :meth:`ClaimMapping.from_config`).
CONFIG_KEYS = ("username_claim", "role_claim", "jurisdiction_claim", "name_claim", "roles")
_CLAIM_NAME = re.compile(r"[A-Za-z0-9_.:/-]{1,100}")


@dataclass(frozen=True)
class ClaimMapping:
    """Which claims say who someone is, their role and their jurisdiction.

    Parameters
    ----------
    username_claim : {"sub", "email"}
        ``"sub"`` (default): the username is ``oidc:<sub>``. ``"email"``: the username is
        the e-mail address (refused when ``email_verified`` is false).
    role_claim, jurisdiction_claim, name_claim : str
        Names of the claims holding the role, the jurisdiction id and the display name.
    roles : mapping of str to str
        The provider's role values and the app role each one means (for example
        ``{"eoc-duty-officer": "coordinator"}``). Empty (default): the claim must hold
        one of :data:`mutualaid.access.actor.ROLES` itself. When given, only its keys are
        accepted.
    """

    username_claim: str = "sub"
    role_claim: str = "role"
    jurisdiction_claim: str = "jurisdiction"
    name_claim: str = "name"
    roles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.username_claim not in ("sub", "email"):
            raise OidcConfigError(
                f'mutualaid.oidc.username_claim must be "sub" or '
                f'"email", got {self.username_claim!r}'
            )
        for key in ("role_claim", "jurisdiction_claim", "name_claim"):
            value = getattr(self, key)
            if not isinstance(value, str) or not _CLAIM_NAME.fullmatch(value):
                raise OidcConfigError(
                    f"mutualaid.oidc.{key} must be a claim name (letters, "
                    f"digits, '_', '.', ':', '/', '-'), got {value!r}"
                )
        if not isinstance(self.roles, Mapping):
            raise OidcConfigError(
                f"mutualaid.oidc.roles must be a table of provider value = "
                f"app role, got {type(self.roles).__name__}"
            )
        for value, role in self.roles.items():
            if not isinstance(value, str) or role not in ROLES:
                raise OidcConfigError(
                    f"mutualaid.oidc.roles: {value!r} = {role!r} is not valid; each value "
                    f"must map to one of {', '.join(ROLES)}"
                )
        object.__setattr__(self, "roles", MappingProxyType(dict(self.roles)))

    @classmethod
    def from_config(cls, section: Mapping | None) -> ClaimMapping:
        """The mapping a ``[mutualaid.oidc]`` secrets section describes (None or empty:
        the defaults).

        Raises
        ------
        OidcConfigError
            An unknown key or a value that is not valid.
        """
        if not section:
            return cls()
        if not isinstance(section, Mapping):
            raise OidcConfigError("mutualaid.oidc must be a table")
        unknown = sorted(set(section) - set(CONFIG_KEYS))
        if unknown:
            raise OidcConfigError(
                f"mutualaid.oidc has unknown keys {', '.join(unknown)}; "
                f"expected some of {', '.join(CONFIG_KEYS)}"
            )
        values = {key: section[key] for key in CONFIG_KEYS if key in section}
        if "roles" in values and isinstance(values["roles"], Mapping):
            values["roles"] = {str(k): v for k, v in values["roles"].items()}
        return cls(**values)


@dataclass(frozen=True)
class OidcIdentity:
    """Who the provider's claims say someone is, checked.

    Parameters
    ----------
    username : str
        ``oidc:<sub>``, or the e-mail address when so configured.
    role : str
        One of :data:`mutualaid.access.actor.ROLES`.
    jurisdiction : str or None
        None only for an admin.
    display_name : str
        The ``name`` claim, or the username.
    subject : str
        The ``sub`` claim.
    """

    username: str
    role: str
    jurisdiction: str | None
    display_name: str
    subject: str

    @property
    def actor(self) -> Actor:
        """This identity as an :class:`~mutualaid.access.actor.Actor`."""
        return Actor(self.username, self.role, self.jurisdiction, self.display_name)


def _text_claim(claims: Mapping[str, object], name: str, what: str) -> str | None:
    """The claim *name* as trimmed text, None when absent or empty; refused when it is
    not text, too long or holds control characters."""
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ClaimsRefused(
            f"the identity provider's {what} claim {name!r} must be text, "
            f"got {type(value).__name__}"
        )
    value = value.strip()
    if len(value) > TEXT_MAX_LENGTH:
        raise ClaimsRefused(
            f"the identity provider's {what} claim {name!r} has "
            f"{len(value)} characters; at most {TEXT_MAX_LENGTH} are allowed"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ClaimsRefused(
            f"the identity provider's {what} claim {name!r} contains control characters"
        )
    return value or None


def _subject(claims: Mapping[str, object]) -> str:
    sub = claims.get("sub")
    if sub is None or sub == "":
        raise ClaimsRefused(
            "the identity provider did not say who you are (no 'sub' claim); ask its administrator"
        )
    if not isinstance(sub, str):
        raise ClaimsRefused(
            f"the identity provider's 'sub' claim must be text, got {type(sub).__name__}"
        )
    if len(sub) > SUBJECT_MAX_LENGTH:
        raise ClaimsRefused(
            f"the identity provider's 'sub' claim has {len(sub)} "
            f"characters; at most {SUBJECT_MAX_LENGTH} are allowed"
        )
    if not _SUBJECT_PATTERN.fullmatch(sub):
        raise ClaimsRefused(
            "the identity provider's 'sub' claim must be visible ASCII characters without spaces"
        )
    return sub


def _username(claims: Mapping[str, object], sub: str, mapping: ClaimMapping) -> str:
    if mapping.username_claim == "sub":
        return USERNAME_PREFIX + sub
    email = _text_claim(claims, "email", "e-mail")
    if email is None:
        raise ClaimsRefused(
            "the identity provider did not send your e-mail address "
            "(claim 'email'), which this app uses as your username; ask "
            "its administrator (the 'email' scope)"
        )
    if claims.get("email_verified") is False:
        raise ClaimsRefused(
            f"the identity provider has not verified the e-mail address "
            f"{email!r}, which this app uses as your username"
        )
    if not USERNAME_PATTERN.fullmatch(email):
        raise ClaimsRefused(
            f"the e-mail address {email!r} cannot be a username here: "
            f"only letters, digits, '.', '_', '-' and '@'"
        )
    return email


def _role(claims: Mapping[str, object], mapping: ClaimMapping) -> str:
    value = _text_claim(claims, mapping.role_claim, "role")
    if value is None:
        raise ClaimsRefused(
            f"the identity provider did not give you a role (claim "
            f"{mapping.role_claim!r}); ask its administrator for one of "
            f"{', '.join(mapping.roles or ROLES)}"
        )
    role = mapping.roles.get(value) if mapping.roles else value
    if role not in ROLES:
        expected = ", ".join(mapping.roles or ROLES)
        raise ClaimsRefused(
            f"the identity provider gives you the role {value!r}, which "
            f"this app does not know; expected one of {expected}. Nobody "
            f"is signed in: ask the provider's administrator"
        )
    return role


def identity_from_claims(
    claims: Mapping[str, object], *, mapping: ClaimMapping | None = None
) -> OidcIdentity:
    """Who the provider's verified *claims* say someone is.

    Parameters
    ----------
    claims : mapping
        The ID token's claims as Streamlit keeps them (``st.user``): ``sub``, and the
        claims *mapping* names.
    mapping : ClaimMapping, optional
        Default: ``sub``, ``role``, ``jurisdiction``, ``name``.

    Returns
    -------
    OidcIdentity

    Raises
    ------
    ClaimsRefused
        No ``sub``; a role missing or not one the app knows; no jurisdiction for a
        viewer, planner or coordinator; a claim that is not text, longer than the store
        keeps, or holding control characters.

    Examples
    --------
    >>> identity_from_claims({"sub": "alice", "role": "coordinator",
    ...                       "jurisdiction": "BE-WLG"}).actor.label
    'oidc:alice (BE-WLG coordinator)'
    """
    mapping = mapping or ClaimMapping()
    if not isinstance(claims, Mapping):
        raise ClaimsRefused("the identity provider sent no claims")
    sub = _subject(claims)
    username = _username(claims, sub, mapping)
    role = _role(claims, mapping)
    jurisdiction = _text_claim(claims, mapping.jurisdiction_claim, "jurisdiction")
    if jurisdiction is None and role in JURISDICTION_ROLES:
        raise ClaimsRefused(
            f"the identity provider makes you a {role} but names no "
            f"jurisdiction (claim {mapping.jurisdiction_claim!r}); a {role} "
            f"acts for one jurisdiction: ask its administrator"
        )
    try:
        name = _text_claim(claims, mapping.name_claim, "name")
    except ClaimsRefused:
        # A display name the store cannot keep is no reason to turn someone away.
        name = None
    return OidcIdentity(
        username=username,
        role=role,
        jurisdiction=jurisdiction,
        display_name=name or username,
        subject=sub,
    )
