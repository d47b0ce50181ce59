"""Every test gets its own empty state folder, so no test reads or writes the developer's
store (``var/``) or a store named in the environment, and a new store starts empty."""

from __future__ import annotations

import pytest

from mutualaid.settings import FIRST_RUN_ENV, STATE_DIR_ENV
from mutualaid.store.engine import DATABASE_URL_ENV


@pytest.fixture(autouse=True)
def _own_state_folder(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    # no samples or demo accounts in a new store, except where a test asks for them
    monkeypatch.setenv(FIRST_RUN_ENV, "0")
