"""What a button's callback did, shown once on the next run.

A page's action buttons are callbacks: they run once, before the next script run, with
the acting account read again from the session's sign-in (:func:`acting`), and leave
their result in the session under the page's key (:func:`remember`); the page shows it
at the top of that run and forgets it at the person's next run (:func:`show`; a live
redraw for someone else's change keeps it, :func:`mutualaid.ui.live.take`). Messages
carry ids, usernames and jurisdictions from uploaded files and typed forms, so they are
shown escaped
(:func:`mutualaid.text.literal`). A secret that must be shown once (a generated
password) is shown as code beside the message and is gone from the session with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from mutualaid.access.actor import Actor
from mutualaid.store import Store
from mutualaid.text import literal
from mutualaid.ui.live import take
from mutualaid.ui.signed_in import current_actor

#: Said when a click arrives from a session that is no longer signed in.
SIGNED_OUT = "You are signed out: sign in again to act."


@dataclass(frozen=True)
class Outcome:
    """What the last click did, shown once on the next run.

    Parameters
    ----------
    ok : bool
        Done (a success) or refused (an error).
    message : str
        For the person, as the store or the workflow said it.
    secret : str or None
        Shown once as code below the message (a generated password).
    """

    ok: bool
    message: str
    secret: str | None = None


def remember(key: str, ok: bool, message: str, *, secret: str | None = None) -> None:
    """Keep the outcome of a click under *key* for the next run."""
    st.session_state[key] = Outcome(ok, message, secret)


def show(key: str) -> None:
    """The outcome kept under *key*, if any, once: a success or an error, escaped."""
    outcome = take(key)
    if not isinstance(outcome, Outcome):
        return
    (st.success if outcome.ok else st.error)(literal(outcome.message))
    if outcome.secret:
        st.code(outcome.secret, language=None)


def acting(store: Store, key: str) -> Actor | None:
    """The signed-in account when a click arrives, read again (it may have been
    disabled meanwhile); None, with :data:`SIGNED_OUT` kept under *key*, when there is
    none."""
    actor = current_actor(store)
    if actor is None:
        remember(key, False, SIGNED_OUT)
    return actor
