"""The app server's Streamlit settings (``.streamlit/config.toml``) that the load
benchmark (``benchmarks/load.py``) depends on."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_full_garbage_collection_after_every_script_run():
    """Bug guarded (issue 16, under load): Streamlit's default ``gc.collect(2)`` after
    every script run walked every object the server holds with the GIL held: 40 % of the
    server's time with 30 coordinators rerunning every 2 s."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
