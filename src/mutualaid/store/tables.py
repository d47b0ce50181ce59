"""The store's schema (SQLAlchemy Core). The Alembic migrations in ``migrations/`` create
exactly this; a test compares the two.

Portable types only, so one schema serves SQLite and PostgreSQL. Geometry is kept as WKB
(``layer_features.wkb``); on PostgreSQL the migration adds a PostGIS ``geom`` column
generated from it, with a spatial index, for queries in the database.

Times are UTC (:class:`UTCDateTime`). JSON documents are text written by the code
(:func:`mutualaid.store.jsontext.dumps`), so that what is hashed in the audit log is byte
for byte what is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A point in time stored as naive UTC and read back timezone-aware (SQLite keeps no
    time zone; PostgreSQL's ``timestamp`` is used the same way for one behaviour)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store times must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# --- Accounts (local sign-in; OpenID Connect users get a row on first sign-in) -----------
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(200), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    # argon2id hash; NULL for accounts that only sign in through an identity provider
    sa.Column("password_hash", sa.String(200)),
    sa.Column("jurisdiction", sa.String(200)),  # NULL: not bound to one (an admin)
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

# --- Scenarios and their layers -----------------------------------------------------------
scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    # A hash of the scenario folder's files when they were last stored (NULL when it was
    # never loaded from a folder): the app stores a folder's files again only when they
    # changed on disk, never over layers added since.
    sa.Column("files_fingerprint", sa.String(64)),
)

#: One version of one layer of a scenario: who loaded what, when, from which file. The
#: scenario's current layer of a kind is its highest version.
layer_versions = sa.Table(
    "layer_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),  # the file's name
    sa.Column("format", sa.String(20), nullable=False, default=""),
    sa.Column("mode", sa.String(10), nullable=False, default="replace"),
    sa.Column("sha256", sa.String(64), nullable=False),  # of the stored content
    sa.Column("features", sa.Integer, nullable=False),
    sa.Column("loaded_by", sa.String(200), nullable=False),
    sa.Column("loaded_at", UTCDateTime, nullable=False),
    # Issue 6 (migration 0002): the layer's sharing level (public, partners, owner; a
    # feature's own ``sharing`` wins) and the jurisdiction of the person who stored it
    # (NULL for the system, a folder load or an admin bound to none).
    sa.Column("sharing", sa.String(10), nullable=False, server_default="public"),
    sa.Column("owner", sa.String(200)),
    sa.UniqueConstraint("scenario_id", "kind", "version"),
)

#: The rows of a layer version, in the file's order: canonical fields as JSON text and,
#: for the geographic layers, the geometry as WKB (EPSG:4326).
layer_features = sa.Table(
    "layer_features",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "layer_version_id",
        sa.Integer,
        sa.ForeignKey("layer_versions.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("feature_id", sa.String(500)),
    sa.Column("jurisdiction", sa.String(200)),
    sa.Column("properties", sa.Text, nullable=False),
    sa.Column("wkb", sa.LargeBinary),
)

#: Issue 12 (migration 0006): one change of one incident or resource made in the app
#: (:func:`mutualaid.store.layer_store.edit_feature`), kept as a small change over the
#: layer version it was made on (``layer_version_id``, its base) instead of a new full
#: version. ``properties`` is the feature's whole new ``layer_features.properties`` text;
#: the latest edit of a feature wins. A new version of the layer (an upload, a sharing
#: change) is a new base: it holds the edited rows, and the old base's edits no longer
#: apply to it.
feature_edits = sa.Table(
    "feature_edits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("layer_version_id", sa.Integer, sa.ForeignKey("layer_versions.id"), nullable=False),
    sa.Column("feature_id", sa.String(500), nullable=False),
    sa.Column("properties", sa.Text, nullable=False),
    sa.Column("edited_by", sa.String(200), nullable=False),
    sa.Column("edited_at", UTCDateTime, nullable=False),
    sa.Index("ix_feature_edits_layer_version_id_feature_id", "layer_version_id", "feature_id"),
)

# --- The workflow -----------------------------------------------------------------------
#: Each resource record of a scenario's current resources layer, with how many of its
#: units are committed or deployed. ``committed <= quantity`` always; a commit is a
#: conditional update (``... WHERE quantity - committed >= n``), so two coordinators
#: can never commit the same units. A resource out of service lists 0 (issue 12).
units = sa.Table(
    "units",
    metadata,
    sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id"), primary_key=True),
    sa.Column("resource_id", sa.String(500), primary_key=True),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("jurisdiction", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("committed", sa.Integer, nullable=False, default=0),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.CheckConstraint("committed >= 0 AND committed <= quantity", name="committed_range"),
)

#: A jurisdiction's request for assistance (EDXL-RM RequestResource) for its incidents.
requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("jurisdiction", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

request_lines = sa.Table(
    "request_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True),
    sa.Column("incident_id", sa.String(500), nullable=False),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("units", sa.Integer, nullable=False),
)

#: A computed plan, kept as the contract's plan JSON.
plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("layer_versions", sa.Text, nullable=False),  # JSON: kind -> version used
    sa.Column("body", sa.Text, nullable=False),  # JSON: the plan (contract, section 3)
    sa.Column("computed_by", sa.String(200), nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
)

#: What one providing jurisdiction offers to one request (EDXL-RM ResponseToRequestResource).
offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True),
    sa.Column("provider", sa.String(200), nullable=False),
    sa.Column("requester", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # When the offer was committed, accepted, its units arrived and were released
    # (issue 12: deployment over time; migration 0006).
    sa.Column("committed_at", UTCDateTime, nullable=True),
    sa.Column("accepted_at", UTCDateTime, nullable=True),
    sa.Column("arrived_at", UTCDateTime, nullable=True),
    sa.Column("released_at", UTCDateTime, nullable=True),
)


def _offered_default(context: Any) -> int:
    """A line written without ``offered`` was proposed as its ``units``."""
    return int(context.get_current_parameters()["units"])


offer_lines = sa.Table(
    "offer_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("offer_id", sa.Integer, sa.ForeignKey("offers.id"), nullable=False, index=True),
    sa.Column("resource_id", sa.String(500), nullable=False),
    sa.Column("incident_id", sa.String(500), nullable=False),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("units", sa.Integer, nullable=False),
    sa.Column("minutes", sa.Float, nullable=False),
    # The units the plan proposed; ``units`` is what is held: what was committed, then
    # what was accepted (issue 12: partial answers; migration 0006).
    sa.Column("offered", sa.Integer, nullable=False, default=_offered_default),
    # The units the provider committed (null until then); ``units`` keeps what is held.
    sa.Column("committed", sa.Integer, nullable=True),
)

# --- The audit log ------------------------------------------------------------------------
#: Append-only. Each row's ``hash`` is SHA-256 over its own fields and ``prev_hash`` (the
#: previous row's hash), so a row changed, removed or reordered breaks the chain from
#: there on (:func:`mutualaid.store.audit.verify`).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),  # ISO 8601 UTC, as hashed
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False, index=True),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("before", sa.Text, nullable=False),  # JSON text, as hashed ("null" for none)
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Issue 16 (migration 0003): the jurisdictions whose coordinators may read the row,
    # JSON text of a sorted list ("[]": admins only), hashed with the row; NULL for rows
    # written without (the writer's jurisdiction reads them: mutualaid.store.audit).
    sa.Column("readers", sa.Text),
)

#: One row (id 1): the last sequence number and hash. Appending locks it, which orders
#: concurrent appends on PostgreSQL (SQLite's ``BEGIN IMMEDIATE`` already does), and it
#: lets :func:`~mutualaid.store.audit.verify` see rows removed from the end.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# --- Sign-in throttle and sessions (security issue 16, migration 0004) ---------------------
#: Failed sign-ins per key, shared by every app server: ``pair:<client> <username>``,
#: ``user:<username>``, ``client:<client>`` (growing delays, :mod:`~mutualaid.store.sign_in`)
#: and ``global`` (verifications per minute across servers). A try is counted here, in one
#: transaction, before its password is hashed; a success resets its keys.
sign_in_throttle = sa.Table(
    "sign_in_throttle",
    metadata,
    sa.Column("key", sa.String(320), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    # the next try of this key is refused before this time (NULL: not throttled)
    sa.Column("blocked_until", UTCDateTime),
    # the throttle window already written to the audit log (one row per window)
    sa.Column("audited_until", UTCDateTime),
    # the last counted try; a key untouched for SIGN_IN_FORGET_S starts again from zero
    sa.Column("last_at", UTCDateTime, nullable=False, index=True),
    # tries refused in the current delay window (issue 13, migration 0007)
    sa.Column("refused", sa.Integer, nullable=False, default=0, server_default=sa.text("0")),
)

#: One signed-in browser session. The token lives only in the server's session state;
#: the store keeps its SHA-256. Ended by signing out, disabling the account, a password
#: change, the idle and the absolute timeout (``end_reason``); never removed.
sign_in_sessions = sa.Table(
    "sign_in_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("username", sa.String(200), nullable=False, index=True),
    sa.Column("method", sa.String(20), nullable=False),  # "password" or "oidc"
    sa.Column("client", sa.String(100), nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("end_reason", sa.String(40)),
    # A sign-in that lasts (issue 13, migration 0007): the SHA-256 of the session's
    # browser cookie, and of its one-time ticket (null once used), the SHA-256 of the
    # browser id the ticket was given to, and when the ticket expires.
    sa.Column("cookie_hash", sa.String(64), unique=True, index=True),
    sa.Column("ticket_hash", sa.String(64), unique=True, index=True),
    sa.Column("ticket_browser", sa.String(64)),
    sa.Column("ticket_expires_at", UTCDateTime),
)
