"""JSON text as the store keeps it: one canonical spelling, so equal values are equal text
(sorted keys, no spaces, UTF-8 kept), and nothing that JSON cannot say (NaN) slips in."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """*value* as canonical JSON text.

    Raises
    ------
    ValueError
        *value* holds NaN or infinity (they are not JSON; store None instead).
    """
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def loads(text: str) -> Any:
    """The value of JSON *text* written by :func:`dumps`."""
    return json.loads(text)


def _default(value: Any) -> Any:
    # numpy scalars and timestamps reach here from data frames
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"cannot store a {type(value).__name__} as JSON")
