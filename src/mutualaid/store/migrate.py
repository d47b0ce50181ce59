"""Creating and upgrading the store's schema with Alembic (``mutualaid db init``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mutualaid.errors import StoreUnavailable
from mutualaid.store.database import Store

#: The migrations ship inside the package, so an installed ``mutualaid`` can upgrade a store.
SCRIPT_LOCATION = "mutualaid.store:migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # never: the package ships its migrations
        raise StoreUnavailable("the store's migrations are missing from the installation")
    return head


def current_revision(store: Store) -> str | None:
    """The revision the store is at; None for an empty store."""
    with store.reading() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(store: Store) -> tuple[str | None, str]:
    """Create the store's tables, or bring them to the newest migration. Safe to run
    again: a store already at the head is left as it is.

    Returns
    -------
    before, after : str or None
        The revision before (None for an empty store) and after.
    """
    before = current_revision(store)
    config = _config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()
