"""Mutual Aid: cross-border sharing of emergency resources.

The package is the domain: reading and checking layers (:mod:`mutualaid.layers`),
the travel-time model and the allocation engine, map building (:mod:`mutualaid.maps`)
and the ``mutualaid`` command (:mod:`mutualaid.cli.main`). Only :mod:`mutualaid.ui`
imports Streamlit.
"""

__version__ = "0.1.0"
