"""Who is signed in to this browser session, and the sign-in form.

The session keeps one record under :data:`SESSION_KEY`: an instance of a private frozen
dataclass that only :func:`sign_in_form` creates, after a verified password. A widget
can only put text, numbers or lists in ``st.session_state``, and a URL parameter none,
so nothing a browser sends can forge that record; anything else found under the key
(a plain string, say) is thrown away, never trusted.

The record holds the username only. Role, jurisdiction and whether the account is still
enabled are read again from the store on every rerun (:func:`current_actor`), so an
account disabled or changed by an admin takes effect at its sessions' next rerun.

When the server has OpenID Connect configured (an ``[auth]`` section in Streamlit's
secrets, see docs/oidc.md), the form also offers "Sign in with your organisation"
(``st.login``). After the provider's round trip Streamlit holds the verified claims in
``st.user`` (a cookie signed with the secret ``cookie_secret``, which no browser can
forge); :func:`current_actor` maps them to an account with :mod:`mutualaid.access.oidc` and keeps
the same kind of record, re-read on every rerun like a password sign-in. Claims that
cannot be mapped (an unknown role, no jurisdiction) or a disabled account sign nobody
in: the form says why and offers to sign out of the provider's session.

Each sign-in opens a server-side session in the store (:mod:`mutualaid.store.sessions`);
the record keeps its token, and :func:`current_actor` checks it on every rerun. Signing
out, disabling the account, a password change and the idle and absolute timeouts end
it; the sign-in form then says why ("You were signed out: your password was changed").

Password tries go through :func:`mutualaid.store.sign_in.sign_in_with_password`: counted
in the store before any hashing, per username, per client address and per pair, with
growing delays, a bound on verifications at once in this server and a rate over all
servers; failures and throttled tries are audited.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import streamlit as st

from mutualaid.access import oidc
from mutualaid.access.actor import ROLES, Actor
from mutualaid.errors import SignInRefused, StoreFull
from mutualaid.settings import SESSION_CLEAR_ROUTE, SESSION_COOKIE, SESSION_COOKIE_ROUTE
from mutualaid.store import sessions
from mutualaid.store.audit import record_denial
from mutualaid.store.database import Store
from mutualaid.store.oidc_accounts import sign_in_account

# FAILED_MESSAGE is re-exported: the form's callers and tests read it here.
from mutualaid.store.sign_in import FAILED_MESSAGE, sign_in_with_password  # noqa: F401
from mutualaid.text import literal
from mutualaid.ui import browsers
from mutualaid.ui.web import route_path

#: The one session-state key of the sign-in; no widget uses it.
SESSION_KEY = "identity.signed_in"
#: The sign-in form's key (its widgets' keys start with it).
FORM_KEY = "identity.sign_in_form"
#: Why this session was signed out (a sentence for the sign-in form; set by
#: :func:`current_actor`, kept until the next sign-in). Only ever text for display.
SIGNED_OUT_KEY = "identity.signed_out"
#: The provider's ``sub`` of an identity-provider session that a timeout ended: it is not
#: signed in again from the same login until the person asks (the button).
OIDC_ENDED_KEY = "identity.oidc_ended"
#: Why the identity provider's sign-in signed nobody in (this run's; set by
#: :func:`current_actor`, shown by :func:`sign_in_form`). Only ever text for display.
OIDC_REFUSED_KEY = "identity.oidc_refused"
#: The one-time ticket this session's page exchanges for the session cookie (issue 13;
#: set at a password sign-in, sent to the browser once by :func:`cookie_scripts`).
TICKET_KEY = "identity.cookie_ticket"
#: Set at sign-out: the page asks the server to clear the session cookie.
CLEAR_KEY = "identity.cookie_clear"
#: The SHA-256 of the session cookie this session already found ended (not read again).
COOKIE_SEEN_KEY = "identity.cookie_seen"
#: The button that starts the identity provider's sign-in.
OIDC_BUTTON_LABEL = "Sign in with your organisation"
#: The secrets section of the claim mapping
#: (:meth:`mutualaid.access.oidc.ClaimMapping.from_config`).
OIDC_MAPPING_SECTION = ("mutualaid", "oidc")

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class _SignedIn:
    """The session's proof of a verified sign-in. Created only by this module."""

    username: str
    #: "password", or "oidc" (an identity provider's verified login).
    method: str
    signed_in_at: float
    #: The provider's ``sub`` for "oidc" (the session holds only while st.user says so).
    subject: str = ""
    #: The token of the store's session (:mod:`mutualaid.store.sessions`).
    token: str = ""


def client_address() -> str:
    """The address of the browser of this session as the app server sees it
    (``st.context.ip_address``), or ``"unknown"`` (tests, a missing address).

    Forwarded-for headers are not trusted: any browser can set them.
    """
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        _LOG.debug("no client address in this context", exc_info=True)
        address = None
    # Only a real address: AppTest's context answers with a stand-in object.
    return address if isinstance(address, str) and address else "unknown"


def oidc_configured() -> bool:
    """True when Streamlit's secrets have an ``[auth]`` section (OpenID Connect is set up).

    No secrets file, or one that cannot be read, means False: the app then offers local
    accounts only.
    """
    try:
        return bool(st.secrets.load_if_toml_exists() and st.secrets.get("auth"))
    except Exception:  # noqa: BLE001 - a broken secrets file must not stop the app
        _LOG.warning(
            "cannot read Streamlit's secrets; OpenID Connect sign-in is off", exc_info=True
        )
        return False


def _claim_mapping() -> oidc.ClaimMapping:
    section = st.secrets.get(OIDC_MAPPING_SECTION[0], {}) or {}
    return oidc.ClaimMapping.from_config(section.get(OIDC_MAPPING_SECTION[1]))


def _provider_claims() -> dict | None:
    """The verified claims of this session's identity-provider login, or None."""
    if not oidc_configured():
        return None
    claims = st.user.to_dict()
    return claims if claims.get("is_logged_in") is True else None


def _still_active(store: Store, record: _SignedIn) -> sessions.SessionCheck:
    """The record's store session, checked (open, account enabled, not timed out), and
    for an identity-provider session the provider's login still the same."""
    if record.method == "oidc":
        claims = _provider_claims()
        if claims is None or claims.get("sub") != record.subject:
            sessions.end_session(store, record.token, reason="provider")
            return sessions.SessionCheck(None, "provider")  # the login ended or changed
    return sessions.check_session(store, record.token)


def _sign_in_with_provider(store: Store) -> _SignedIn | None:
    """A record for this session's identity-provider login, or None (no such login, or
    refused: then :data:`OIDC_REFUSED_KEY` says why)."""
    claims = _provider_claims()
    if claims is None or st.session_state.get(OIDC_ENDED_KEY) == claims.get("sub"):
        return None
    try:
        identity = oidc.identity_from_claims(claims, mapping=_claim_mapping())
        actor = sign_in_account(store, identity)
    except oidc.OidcConfigError as error:
        _LOG.error("OpenID Connect sign-in is misconfigured: %s", error)
        st.session_state[OIDC_REFUSED_KEY] = (
            f"Sign-in with your organisation is misconfigured on this server ({error}); "
            f"tell the app's administrator."
        )
        return None
    except oidc.ClaimsRefused as error:
        st.session_state[OIDC_REFUSED_KEY] = f"Your organisation's sign-in was refused: {error}."
        return None
    token = sessions.open_session(store, actor.username, method="oidc", client=client_address())
    record = _SignedIn(actor.username, "oidc", time.time(), identity.subject, token)
    st.session_state[SESSION_KEY] = record
    st.session_state.pop(SIGNED_OUT_KEY, None)
    return record


def _session_cookie() -> str | None:
    """The session cookie the browser sent with this session's connection, if any."""
    try:
        value = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        _LOG.debug("no cookies in this context", exc_info=True)
        return None
    return value if isinstance(value, str) and value else None


def _restored(store: Store) -> Actor | None:
    """The actor of the open session this browser's session cookie names (a reload, a
    new tab, a typed address: issue 13), this session signed in with it; else None
    (and, when that session ended for a reason worth saying, :data:`SIGNED_OUT_KEY`
    says why). A cookie found ended is not read again by this session."""
    cookie = _session_cookie()
    if cookie is None:
        return None
    digest = sessions.token_hash(cookie)
    if st.session_state.get(COOKIE_SEEN_KEY) == digest:
        return None
    check = sessions.check_session(store, cookie)
    if check.actor is None or check.method != "password":
        st.session_state[COOKIE_SEEN_KEY] = digest
        if check.ended not in (None, "signed_out", "unknown"):
            st.session_state[SIGNED_OUT_KEY] = check.sentence
        return None
    st.session_state[SESSION_KEY] = _SignedIn(
        check.actor.username, "password", time.time(), token=cookie
    )
    st.session_state.pop(SIGNED_OUT_KEY, None)
    return check.actor


def _offer_cookie(store: Store, token: str) -> None:
    """Give this session's page a one-time ticket for the session cookie, bound to its
    browser id (none without one: a client that refuses cookies stays signed in in
    this tab only)."""
    browser = browsers.browser_id()
    if browser is None:
        return
    try:
        ticket = sessions.issue_ticket(store, token, browser)
    except StoreFull:
        return  # signed in in this tab; a reload asks again
    if ticket:
        st.session_state[TICKET_KEY] = ticket


def _post_script(path: str, body: str = "") -> str:
    # Constant JavaScript; the URL and the ticket (URL-safe base64) are JSON strings.
    return (
        "<script>fetch("
        + json.dumps(path)
        + ', {method: "POST", credentials: "same-origin", '
        + 'headers: {"Content-Type": "text/plain"}, body: '
        + json.dumps(body)
        + "}).catch(function () {});</script>"
    )


def cookie_scripts() -> None:
    """Once after a password sign-in, the page exchanges its ticket for the session
    cookie at the app server (:mod:`mutualaid.ui.web`); once after sign-out, it asks the
    server to clear the cookie. Called by the router on every run; draws nothing."""
    # The ticket is kept, and the script drawn again, until the store says it was
    # exchanged: a person who clicks on at once after signing in (a sidebar link) may
    # replace the page before its script ran, and a dropped ticket would leave the
    # browser without its cookie (signed out at the next reload).
    ticket = st.session_state.get(TICKET_KEY)
    if isinstance(ticket, str) and ticket:
        from mutualaid.ui.app_store import app_store

        if sessions.ticket_pending(app_store(), ticket):
            st.html(
                _post_script(route_path(SESSION_COOKIE_ROUTE), ticket),
                unsafe_allow_javascript=True,
            )
        else:
            st.session_state.pop(TICKET_KEY, None)
    elif ticket is not None:
        st.session_state.pop(TICKET_KEY, None)
    if st.session_state.pop(CLEAR_KEY, None):
        st.html(_post_script(route_path(SESSION_CLEAR_ROUTE)), unsafe_allow_javascript=True)


def current_actor(store: Store) -> Actor | None:
    """The signed-in account, read again from the store, or None.

    The session's store session is checked on every call: when it was ended (signed
    out elsewhere, the account disabled, its password changed) or timed out, the
    session is signed out here, :data:`SIGNED_OUT_KEY` says why and None is returned.
    Anything under :data:`SESSION_KEY` that this module did not put there is removed.
    A session with no sign-in yet whose browser sent the session cookie of an open
    password session (a reload, a new tab, a typed address) is signed in with it.
    With OpenID Connect configured, a session with no sign-in yet whose browser came
    back from the identity provider is signed in here from the provider's verified
    claims (:mod:`mutualaid.access.oidc`); when they are refused, :data:`OIDC_REFUSED_KEY`
    says why and None is returned.
    """
    record = st.session_state.get(SESSION_KEY)
    if record is not None and not isinstance(record, _SignedIn):
        del st.session_state[SESSION_KEY]  # not ours: never trusted
        record = None
    st.session_state.pop(OIDC_REFUSED_KEY, None)
    if record is not None:
        check = _still_active(store, record)
        if check.actor is not None:
            return check.actor
        # Ended, timed out, disabled, or the provider's login is gone: signed out.
        st.session_state.pop(SESSION_KEY, None)
        if check.ended != "signed_out":
            st.session_state[SIGNED_OUT_KEY] = check.sentence
        if record.method != "oidc":
            return None
        if check.ended in ("idle", "expired", "password_changed", "unknown"):
            # Not signed in again from the same provider login without asking.
            st.session_state[OIDC_ENDED_KEY] = record.subject
            return None
        # An identity-provider session falls through and is mapped again below,
        # which says why (a disabled account is refused there).
    else:
        actor = _restored(store)
        if actor is not None:
            return actor
    record = _sign_in_with_provider(store)
    if record is None:
        return None
    return _still_active(store, record).actor


def session_token() -> str | None:
    """The token of this session's store session, or None when signed out (for a
    change that must not end the session it is made from: one's own new password)."""
    record = st.session_state.get(SESSION_KEY)
    return record.token if isinstance(record, _SignedIn) and record.token else None


def sign_out(store: Store | None = None) -> None:
    """End this session's sign-in (its store session too); a session signed in
    through the identity provider also ends Streamlit's login (``st.logout``: its
    cookie, and the provider's session when the provider offers that)."""
    record = st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(SIGNED_OUT_KEY, None)
    if isinstance(record, _SignedIn) and record.token:
        if store is None:
            from mutualaid.ui.app_store import app_store

            store = app_store()
        sessions.end_session(store, record.token, reason="signed_out")
        st.session_state[CLEAR_KEY] = True  # and the browser's session cookie
    st.session_state.pop(TICKET_KEY, None)
    if _provider_claims() is not None:
        st.logout()


def _failure_key(key: str) -> str:
    return f"{key}.failure"


def _on_sign_in(store: Store, key: str) -> None:
    # A callback, not the button's return value: it runs before the next script run,
    # so the sign-in holds even when that run is restarted (a page's first run through
    # the router reruns it, which would drop a submitted form's value).
    username = str(st.session_state.get(f"{key}.username") or "")
    password = str(st.session_state.get(f"{key}.password") or "")
    client = client_address()
    try:
        actor = sign_in_with_password(store, username, password, client=client)
    except (SignInRefused, StoreFull) as refused:
        st.session_state[_failure_key(key)] = str(refused)
        return
    try:
        token = sessions.open_session(store, actor.username, method="password", client=client)
    except StoreFull as full:
        st.session_state[_failure_key(key)] = str(full)
        return
    st.session_state[SESSION_KEY] = _SignedIn(actor.username, "password", time.time(), token=token)
    st.session_state.pop(SIGNED_OUT_KEY, None)
    _offer_cookie(store, token)


def sign_in_form(store: Store, *, key: str = FORM_KEY) -> Actor | None:
    """The sign-in form (username, password, "Sign in"); the actor once a submitted
    password is verified, else None.

    The password is checked in the submit button's callback, before the run that
    follows. A failure shows one message for every cause (:data:`FAILED_MESSAGE`);
    a throttled try says when to try again (growing delays,
    :mod:`mutualaid.store.sign_in`). When the session was signed out (a password
    change, a timeout...), the form says why first. The caller reruns the page after a sign-in
    (:func:`require_actor` does).

    With OpenID Connect configured (:func:`oidc_configured`), "Sign in with your
    organisation" comes first: it sends the browser to the identity provider
    (``st.login``), which sends it back to the app's home page; :func:`current_actor`
    then signs the session in from the verified claims. When that was refused, the
    reason is shown above the button.

    Parameters
    ----------
    store : Store
    key : str
        The form's key (its inputs are ``<key>.username`` and ``<key>.password``); only
        needed to show two forms in one run.
    """
    signed_out = st.session_state.get(SIGNED_OUT_KEY)
    if signed_out:
        st.warning(signed_out)
    if oidc_configured():
        _provider_sign_in(key)
    with st.form(key, clear_on_submit=True):
        st.subheader("Sign in")
        st.text_input("Username", key=f"{key}.username", autocomplete="username")
        st.text_input(
            "Password", type="password", key=f"{key}.password", autocomplete="current-password"
        )
        st.form_submit_button("Sign in", type="primary", on_click=_on_sign_in, args=(store, key))
    failure = st.session_state.pop(_failure_key(key), None)
    if failure:
        st.error(failure)
        return None
    return current_actor(store)


def _login() -> None:
    st.session_state.pop(OIDC_ENDED_KEY, None)  # asked for: a new sign-in may map again
    st.login()


def _provider_sign_in(key: str) -> None:
    """The identity provider's part of the sign-in: why its last sign-in was refused (if
    it was) and "Sign in with your organisation" (the provider may offer another of the
    person's accounts; the sidebar offers to sign out of the provider's session)."""
    refused = st.session_state.get(OIDC_REFUSED_KEY)
    if refused:
        st.error(literal(refused))
    st.button(OIDC_BUTTON_LABEL, key=f"{key}.oidc", type="primary", on_click=_login)
    st.caption("Or with an account of this app:")


def sign_out_button(actor: Actor | None = None, store: Store | None = None) -> None:
    """In the sidebar: who is signed in (when *actor* is given) and a "Sign out" button.

    Signed out after the identity provider's sign-in was refused: why, on every page
    (the provider sends people back to the home page, which has no sign-in form), and
    a way out of the provider's session.
    """
    if not isinstance(st.session_state.get(SESSION_KEY), _SignedIn):
        refused = st.session_state.get(OIDC_REFUSED_KEY)
        if refused:
            with st.sidebar:
                st.error(literal(refused))
                st.button(
                    "Sign out of your organisation's account",
                    key="identity.oidc_sign_out",
                    on_click=st.logout,
                )
        return
    with st.sidebar:
        if actor is not None:
            st.caption(literal(f"Signed in as {actor.label}"))
        st.button("Sign out", key="identity.sign_out", on_click=sign_out, args=(store,))


def require_actor(store: Store, *, role: str = "viewer", page: str = "") -> Actor:
    """The signed-in actor, with at least *role*; otherwise the page stops here.

    Signed out: shows the sign-in form and stops (after a successful sign-in the page
    reruns, signed in). Signed in with a lower role: says what is needed, writes the
    refusal to the audit log, and stops.

    Parameters
    ----------
    store : Store
    role : str
        The least role the page needs (one of :data:`mutualaid.access.actor.ROLES`).
    page : str
        The page's name, for the audit log.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    actor = current_actor(store)
    if actor is None:
        if sign_in_form(store) is not None:
            st.rerun()
        st.stop()
    if not actor.at_least(role):
        message = (
            f"This page needs the {role} role or a higher one; you are signed in as "
            f"{actor.label}. Ask an admin if you need more access."
        )
        record_denial(
            store,
            actor=actor,
            attempted=f"open the {page or 'a'} page",
            subject=f"page {page}" if page else "a page",
            reason=message,
        )
        st.error(literal(message))
        st.stop()
    return actor
