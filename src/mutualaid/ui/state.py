"""Session-state keys namespaced by page, so pages never overwrite each other's values.

Every key is ``"<page>.<name>"``: ``state_key("overview", "scenario")`` is
``"overview.scenario"``.
"""

from __future__ import annotations


def state_key(page: str, name: str) -> str:
    """The session-state key (and widget key) of a page's value."""
    return f"{page}.{name}"
