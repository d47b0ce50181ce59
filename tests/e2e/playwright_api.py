"""Playwright's API for the browser tests, or a skip of the importing test module.

Every test module of tests/e2e imports Playwright from here::

    from playwright_api import Page, expect

Without Playwright the module importing this is skipped on a developer's machine, and
fails in CI (``CI=true``): a browser test must never pass by not running. (The
``browser`` fixture in conftest.py does the same for Chromium.)
"""

from __future__ import annotations

import os

import pytest

try:
    from playwright.sync_api import Frame, Page, expect
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("Playwright is not installed (pip install -e '.[test]')", allow_module_level=True)

__all__ = ["Frame", "Page", "PlaywrightTimeoutError", "expect"]
