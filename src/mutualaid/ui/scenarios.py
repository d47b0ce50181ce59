"""The scenario folders a page offers, or a note and a stop when there are none."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mutualaid.scenario.catalogue import find_scenarios, scenario_roots


def scenario_folders(default: Path) -> list[Path]:
    """The scenario folders the app offers (``MUTUALAID_SCENARIO_DIRS``, else *default*).

    Stops the page with a note when there is none.
    """
    folders = find_scenarios(scenario_roots(default=default))
    if not folders:
        st.info(
            "No scenario folder found (a folder holding jurisdictions.geojson). "
            "Build the samples with `make scenarios`."
        )
        st.stop()
    return folders
