"""Mutual Aid: the app's entry point. A router only: page set-up and navigation."""

from mutualaid.ui.router import run_app

run_app()
