"""The Accounts page's Streamlit side: an admin lists, adds, changes and disables accounts.

Everything goes through :mod:`mutualaid.store.accounts`, which checks the values, refuses
anyone but an admin (and writes the refusal to the audit log) and audits every change;
this module lays out the table and the forms and turns a click into that call. Each
action is a callback: it runs once, before the next script run, with the acting account
read again from the session's sign-in at that moment (an admin disabled meanwhile acts
no more).

A new account's password, and a password reset, are generated here
(:func:`mutualaid.store.accounts.generate_password`) and shown once, on the run after
the click, to the admin who asked; they are kept in the session only until then
(:mod:`mutualaid.ui.outcome`). Usernames, names and jurisdictions are shown with
``st.dataframe``, ``st.code`` and widget values, and escaped in the messages after a
click (:func:`mutualaid.text.literal`), never as Markdown. Session-state keys all
start with ``"accounts."``.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from mutualaid.access.actor import ROLES, Actor
from mutualaid.errors import StoreFull
from mutualaid.store import Store
from mutualaid.store.accounts import (
    OIDC_PREFIX,
    Account,
    AccountError,
    add_account,
    change_role,
    disable_account,
    enable_account,
    generate_password,
    list_accounts,
    set_password,
)
from mutualaid.store.layer_store import stored_jurisdictions
from mutualaid.store.sign_in import ThrottleState, throttles, unlock
from mutualaid.text import literal
from mutualaid.ui import signed_in
from mutualaid.ui.outcome import acting, remember, show
from mutualaid.ui.state import state_key
from mutualaid.vocabulary import account_label, role_label

PAGE: Final[str] = "accounts"
_OUTCOME: Final[str] = state_key(PAGE, "outcome")
#: The table's columns.
COLUMNS: Final[tuple[str, ...]] = (
    "username",
    "name",
    "role",
    "jurisdiction",
    "state",
    "signs in with",
    "created (UTC)",
    "created by",
    "sign-in",
)
NO_JURISDICTION: Final[str] = ""


def accounts_table(
    accounts: list[Account], delays: dict[str, ThrottleState] | None = None
) -> pd.DataFrame:
    """One row per account, as text; "sign-in" is its sign-in delays in words
    (:func:`mutualaid.store.sign_in.throttles`, issue 13), empty when there are none."""
    delays = delays or {}
    rows = [
        {
            "username": a.username,
            "name": a.display_name,
            "role": role_label(a.role),
            "jurisdiction": a.jurisdiction or "",
            "state": "disabled" if a.disabled else "active",
            "signs in with": (
                "identity provider"
                if a.username.startswith(OIDC_PREFIX)
                else "password"
                if a.has_password
                else "no password yet"
            ),
            "created (UTC)": a.created_at.strftime("%Y-%m-%d %H:%M"),
            "created by": a.created_by,
            "sign-in": delays[a.username.lower()].words() if a.username.lower() in delays else "",
        }
        for a in accounts
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(str)


def _acting(store: Store) -> Actor | None:
    return acting(store, _OUTCOME)


def _done(message: str, password: str | None = None) -> None:
    remember(_OUTCOME, True, message, secret=password)


def _failed(error: Exception) -> None:
    remember(_OUTCOME, False, f"Refused: {error}.")


def on_add(store: Store) -> None:
    """The "Add account" callback: create it with a generated password."""
    actor = _acting(store)
    if actor is None:
        return
    get = st.session_state.get
    username = str(get(state_key(PAGE, "new.username")) or "").strip()
    role = str(get(state_key(PAGE, "new.role")) or "viewer")
    jurisdiction = str(get(state_key(PAGE, "new.jurisdiction")) or "").strip() or None
    name = str(get(state_key(PAGE, "new.name")) or "").strip() or None
    password = generate_password()
    try:
        add_account(
            store,
            username=username,
            role=role,
            jurisdiction=jurisdiction,
            password=password,
            display_name=name,
            actor=actor,
        )
    except (AccountError, StoreFull) as error:
        _failed(error)
        return
    _done(
        f"Account {username} created. Give its password to its owner now: it is shown this once.",
        password,
    )


def on_change(store: Store, username: str) -> None:
    """The "Save role and jurisdiction" callback."""
    actor = _acting(store)
    if actor is None:
        return
    role = str(st.session_state.get(_edit_key("role", username)) or "")
    jurisdiction = str(st.session_state.get(_edit_key("jurisdiction", username)) or "")
    try:
        changed = change_role(
            store, username, role=role, jurisdiction=jurisdiction or None, actor=actor
        )
    except (AccountError, StoreFull) as error:
        _failed(error)
        return
    _done(
        f"Account {username} is now {account_label(changed.role, changed.jurisdiction)}"
        + "; its open sessions have it at their next click."
    )


def on_switch(store: Store, username: str, disable: bool) -> None:
    """The "Disable" / "Enable" callback."""
    actor = _acting(store)
    if actor is None:
        return
    try:
        if disable:
            disable_account(store, username, actor=actor)
        else:
            enable_account(store, username, actor=actor)
    except (AccountError, StoreFull) as error:
        _failed(error)
        return
    _done(
        f"Account {username} disabled: its open sessions lose access at their next click."
        if disable
        else f"Account {username} enabled."
    )


def on_reset(store: Store, username: str) -> None:
    """The "New password" callback: a generated password, shown once."""
    actor = _acting(store)
    if actor is None:
        return
    password = generate_password()
    try:
        # Every open session of the account ends, but not this one when it is one's own.
        set_password(store, username, password, actor=actor, keep_session=signed_in.session_token())
    except (AccountError, StoreFull) as error:
        _failed(error)
        return
    _done(
        f"New password for {username}. Give it to its owner now: it is shown this once.", password
    )


def on_unlock(store: Store, username: str) -> None:
    """The "Unlock sign-in" callback: clear the username's sign-in delays (audited)."""
    actor = _acting(store)
    if actor is None:
        return
    try:
        unlock(store, username, actor=actor)
    except (AccountError, StoreFull) as error:
        _failed(error)
        return
    _done(f"Sign-in delays of {username} cleared: it may try again at once.")


def show_outcome() -> None:
    """What the last action did (and a generated password, once)."""
    show(_OUTCOME)


def jurisdiction_choices(known: dict[str, str], current: str | None = None) -> list[str]:
    """What an account's jurisdiction is chosen from (issue 13): none (an admin), then the
    stored scenarios' jurisdictions by id, and *current* (an account's own, kept even
    when no stored scenario holds it any more) when it is not among them."""
    extra = [current] if current and current not in known else []
    return [NO_JURISDICTION, *known, *extra]


def jurisdiction_label(known: dict[str, str], value: str) -> str:
    """How a choice reads: ``"DE-RP · Rheinland-Pfalz"``, ``"none (an admin)"``."""
    if value == NO_JURISDICTION:
        return "none (an admin)"
    if value not in known:
        return f"{value} (in no stored scenario)"
    name = known[value]
    return value if name == value else f"{value} · {name}"


def show_add_form(store: Store, known: dict[str, str]) -> None:
    """The form that creates an account; its jurisdiction is one of *known* (the stored
    scenarios', :func:`mutualaid.store.layer_store.stored_jurisdictions`)."""
    with st.form(state_key(PAGE, "new"), clear_on_submit=True):
        st.subheader("Add an account")
        cols = st.columns(4)
        cols[0].text_input("Username", key=state_key(PAGE, "new.username"), max_chars=200)
        cols[1].text_input("Name", key=state_key(PAGE, "new.name"), max_chars=200)
        cols[2].selectbox("Role", ROLES, key=state_key(PAGE, "new.role"), format_func=role_label)
        cols[3].selectbox(
            "Jurisdiction",
            jurisdiction_choices(known),
            format_func=lambda value: jurisdiction_label(known, value),
            key=state_key(PAGE, "new.jurisdiction"),
            help="One of the stored scenarios' jurisdictions (type to search); "
            "none only for an admin."
            if known
            else "No scenario is stored yet: only an admin, bound to no jurisdiction, "
            "can be added until one is.",
        )
        st.form_submit_button("Add account", on_click=on_add, args=(store,))


def show_account_actions(
    store: Store, accounts: list[Account], actor: Actor, known: dict[str, str]
) -> None:
    """Pick an account; change its role and jurisdiction (one of *known*, or the one it
    has), disable or enable it, or give it a new password."""
    st.subheader("Change an account")
    names = [a.username for a in accounts]
    picked = st.selectbox("Account", names, key=state_key(PAGE, "picked"))
    account = next((a for a in accounts if a.username == picked), None)
    if account is None:
        return
    own = account.username == actor.username
    provider = account.username.startswith(OIDC_PREFIX)
    fixed = (
        "Set by the identity provider's claims at every sign-in."
        if provider
        else "Another admin changes yours."
        if own
        else None
    )
    cols = st.columns([2, 2, 2])
    # Keyed on the account, so picking another one shows its own values.
    cols[0].selectbox(
        "Role",
        ROLES,
        index=ROLES.index(account.role),
        key=_edit_key("role", account.username),
        format_func=role_label,
        disabled=bool(fixed),
        help=fixed,
    )
    choices = jurisdiction_choices(known, account.jurisdiction)
    cols[1].selectbox(
        "Jurisdiction",
        choices,
        index=choices.index(account.jurisdiction or NO_JURISDICTION),
        format_func=lambda value: jurisdiction_label(known, value),
        key=_edit_key("jurisdiction", account.username),
        disabled=bool(fixed),
    )
    cols[2].button(
        "Save role and jurisdiction",
        key=state_key(PAGE, "save"),
        on_click=on_change,
        args=(store, account.username),
        disabled=bool(fixed),
    )
    buttons = st.columns(3)
    if account.disabled:
        buttons[0].button(
            "Enable",
            key=state_key(PAGE, "enable"),
            on_click=on_switch,
            args=(store, account.username, False),
        )
    else:
        # Destructive: asked again (issue 13), the popover says what it does.
        with buttons[0].popover(
            "Disable…",
            key=state_key(PAGE, "disable-ask"),
            disabled=own,
            help="Another admin disables yours." if own else None,
        ):
            st.caption(
                literal(
                    f"Disable {account.username}? It can no longer sign in, and its open "
                    "sessions lose access at their next click. Enable it again here."
                )
            )
            st.button(
                literal(f"Yes, disable {account.username}"),
                key=state_key(PAGE, "disable"),
                on_click=on_switch,
                args=(store, account.username, True),
                disabled=own,
            )
    buttons[1].button(
        "New password",
        key=state_key(PAGE, "reset"),
        on_click=on_reset,
        args=(store, account.username),
        disabled=provider,
        help="Signs in through its identity provider." if provider else None,
    )
    delayed = throttles(store).get(account.username.lower())
    buttons[2].button(
        "Unlock sign-in",
        key=state_key(PAGE, "unlock"),
        on_click=on_unlock,
        args=(store, account.username),
        disabled=delayed is None,
        help=f"Sign-in {delayed.words()}: clears it." if delayed else "No failed sign-ins lately.",
    )


def _edit_key(field: str, username: str) -> str:
    return state_key(PAGE, f"edit.{field}.{username}")


def show_page(store: Store, actor: Actor) -> None:
    """The whole page below its title, for an admin *actor*."""
    st.caption(
        "Who may sign in, with which role and for which jurisdiction. Every change "
        "is in the audit log; a disabled account's open sessions lose access at "
        "their next click."
    )
    show_outcome()
    accounts = list_accounts(store)
    st.dataframe(accounts_table(accounts, throttles(store)), hide_index=True, width="stretch")
    known = stored_jurisdictions(store)
    show_add_form(store, known)
    show_account_actions(store, accounts, actor, known)
