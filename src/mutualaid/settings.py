"""Documented defaults in one place: limits on input files and the travel model.

Numbers that shape behaviour live here, not scattered through the code, so that a
reader can find and question them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

# --- Input limits -----------------------------------------------------------------
#: Largest file accepted for any layer, in bytes (uploads and command line alike).
MAX_FILE_BYTES: Final[int] = 200 * 1024 * 1024
#: Deepest JSON nesting accepted. GeoJSON needs 6 for a MultiPolygon; properties
#: (the ``needs`` object) add a few more.
MAX_JSON_DEPTH: Final[int] = 32
#: Most features accepted in one layer.
MAX_FEATURES: Final[int] = 1_000_000
#: Largest total uncompressed size of a zip archive's members, in bytes.
MAX_ZIP_UNCOMPRESSED_BYTES: Final[int] = 500 * 1024 * 1024
#: Largest compression ratio accepted for any zip member (uncompressed / compressed).
MAX_ZIP_RATIO: Final[float] = 100.0
#: Members smaller than this when uncompressed are not held to ``MAX_ZIP_RATIO``: a real
#: ``.dbf`` of wide, mostly blank text fields compresses beyond 100:1, and a member this
#: small cannot be a bomb (the total size limit still applies).
ZIP_RATIO_EXEMPT_BYTES: Final[int] = 1024 * 1024
#: Most members accepted in a zip archive.
MAX_ZIP_MEMBERS: Final[int] = 1_000
#: Most columns (attributes) accepted in one layer: a CSV header, a GeoPackage table, a
#: shapefile's .dbf, the distinct properties of a GeoJSON file. Our widest layer has about
#: 20; a file with 100,000 columns cost 96 s and 929 MB before this limit (issue 16).
MAX_COLUMNS: Final[int] = 1_000
#: Longest a statement of the GeoPackage gate (mutualaid.layers.geopackage) may run, in
#: seconds: it reads the schema and counts rows of one plain table, milliseconds for
#: any real file.
GPKG_CHECK_TIMEOUT_S: Final[float] = 5.0


# --- Bounded reads of uploaded files (mutualaid.layers.bounded, issue 16) --------------
def _env_number(name: str, default: float) -> float:
    """A positive number from the environment variable *name*, else *default*."""
    try:
        value = float(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default
    return value if value > 0 else default


#: Environment variable overriding :data:`READ_TIMEOUT_S` (the browser tests use 5 s).
READ_TIMEOUT_ENV: Final[str] = "MUTUALAID_READ_TIMEOUT_S"
#: Longest an upload or a file given to ``mutualaid validate`` may take to be read (and,
#: for those two, checked), in seconds of wall time. The work runs in a worker process
#: that is killed past this, so one file never stops the server for everyone. A CSV of
#: 1,000,000 points (46 MB) took 17 s to read on the 2 shared cores of the test machine
#: under heavy load; the 20 s are the issue's figure.
READ_TIMEOUT_S: Final[float] = _env_number(READ_TIMEOUT_ENV, 20.0)
#: Environment variable overriding :data:`READ_MEMORY_BYTES`, in megabytes.
READ_MEMORY_ENV: Final[str] = "MUTUALAID_READ_MEMORY_MB"
#: Memory (address space) a read may add to its worker process, in bytes
#: (``RLIMIT_AS`` in the worker, on top of what the worker holds when it starts). The
#: 1,000,000-point CSV above is read within it.
READ_MEMORY_BYTES: Final[int] = int(_env_number(READ_MEMORY_ENV, 2048) * 1024 * 1024)
#: Reads running at once in worker processes (per server process); a further upload
#: waits for one to finish, at most :data:`READ_TIMEOUT_S`.
MAX_CONCURRENT_READS: Final[int] = 2

# --- Layer rules ------------------------------------------------------------------
HAZARDS: Final[tuple[str, ...]] = (
    "flood",
    "wildfire",
    "earthquake",
    "storm",
    "epidemic",
    "hazmat",
    "landslide",
    "drought",
    "other",
)
INCIDENT_STATUSES: Final[tuple[str, ...]] = ("active", "contained", "closed")
RESOURCE_STATUSES: Final[tuple[str, ...]] = ("available", "assigned", "out_of_service")
SEVERITY_MIN: Final[int] = 1
SEVERITY_MAX: Final[int] = 5
LAYER_KINDS: Final[tuple[str, ...]] = ("jurisdictions", "incidents", "resources", "agreements")

# --- Layer rules: resource types and limits (validators) --------------------------
#: Resource types the project knows (contract, section 1). Others are accepted when
#: they are well-formed keys (lowercase letters, digits and ``_``), with a warning,
#: because the contract calls the list extensible.
RESOURCE_TYPES: Final[tuple[str, ...]] = (
    "ambulance",
    "fire_engine",
    "usar_team",
    "boat",
    "helicopter",
    "medical_team",
    "water_purification",
    "pump",
    "generator",
    "shelter_kit",
    # flying types the travel model knows a speed for (see AIR_TYPES below)
    "airplane",
    "air_ambulance",
    "drone",
)
#: Largest number of units one resource row or one incident's need of one type may
#: state. A larger figure is a typing error, and it would swamp the optimiser.
MAX_UNITS: Final[int] = 1_000_000
#: Longest id, name or type key accepted, in characters.
MAX_TEXT_LENGTH: Final[int] = 200

# --- Travel model (owned by the allocation engine: mutualaid.allocation.travel) ----------------
# Trip minutes = great-circle distance x road factor / speed (contract, section 2), plus the
# border delay of the agreement used. These are planning figures for loaded emergency
# vehicles on mixed roads (motorway and rural), not posted limits; a resource's own
# ``speed_kmh`` overrides them, and a ``travel_times`` table from a routing engine replaces
# the model for the pairs it lists.
#: Mean Earth radius (IUGG), km, for the haversine great-circle distance.
EARTH_RADIUS_KM: Final[float] = 6371.0088
#: Road distance / great-circle distance for ground vehicles: roads are not straight, and
#: 1.3 is a common detour index for European and West African road networks.
ROAD_FACTOR: Final[float] = 1.3
#: Resource types that fly: their road factor is 1.0 (a straight line).
AIR_TYPES: Final[frozenset[str]] = frozenset({"helicopter", "airplane", "air_ambulance", "drone"})
#: Default travel speed per resource type, km/h (of the straight or road distance above).
DEFAULT_SPEED_KMH: Final[dict[str, float]] = {
    "ambulance": 80.0,  # blue lights on mixed roads
    "fire_engine": 60.0,  # heavy truck
    "usar_team": 70.0,  # urban search and rescue convoy (vans and trucks)
    "boat": 60.0,  # carried by road on a trailer, launched at the incident
    "helicopter": 220.0,  # cruise speed of medium rescue helicopters
    "airplane": 400.0,
    "air_ambulance": 220.0,
    "drone": 80.0,
    "medical_team": 80.0,  # cars and light vans
    "water_purification": 60.0,  # truck-mounted unit
    "pump": 60.0,  # high-volume pump on a truck or trailer
    "generator": 60.0,  # trailer
    "shelter_kit": 60.0,  # lorry
}
#: Speed for a resource type the table does not know, km/h (a loaded truck on roads).
FALLBACK_SPEED_KMH: Final[float] = 60.0

# --- App: scenarios offered and the map (map & app) --------------------------------
#: Environment variable naming the folders the app offers scenarios from (separated
#: by ``os.pathsep``); unset, the app offers the sample scenarios in ``data/``.
SCENARIO_DIRS_ENV: Final[str] = "MUTUALAID_SCENARIO_DIRS"


def scenario_dirs(*, environ: Mapping[str, str] | None = None) -> list[Path] | None:
    """The folders ``MUTUALAID_SCENARIO_DIRS`` names, or None when it is unset or blank.

    Parameters
    ----------
    environ : mapping, optional
        The environment; ``os.environ`` when None.

    Examples
    --------
    >>> scenario_dirs(environ={"MUTUALAID_SCENARIO_DIRS": "/a:/b"})
    [PosixPath('/a'), PosixPath('/b')]
    >>> scenario_dirs(environ={}) is None
    True
    """
    env = os.environ if environ is None else environ
    value = env.get(SCENARIO_DIRS_ENV, "").strip()
    if not value:
        return None
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


#: Height of the overview map, in pixels.
MAP_HEIGHT_PX: Final[int] = 620
#: How many maps (one per scenario version, view and filters) are kept built in memory
#: at once, per kind of map. Each distinct view (a role and jurisdiction,
#: :func:`mutualaid.access.sharing.view_key`) has its own: below the number of views in use
#: at once, every rerun would build a map again (30 coordinators of 10 jurisdictions
#: with 8 entries did: a median rerun of 17 s, ``benchmarks/load.py``).
MAP_CACHE_ENTRIES: Final[int] = 48

# --- Allocation engine (owned by mutualaid.allocation) ------------------------------
#: Resource types solved side by side (threads). Types are independent problems; two
#: threads fit the small shared machines this runs on.
ALLOCATION_THREADS: Final[int] = 2

# --- App: the allocation page (ui/allocation.py) -----------------------------------
#: How many plans (one per scenario version and set of what-if edits) are kept computed.
PLAN_CACHE_ENTRIES: Final[int] = 64
#: Steps of the reserve input on the allocation page (a share from 0 to 1).
RESERVE_STEP: Final[float] = 0.05

# --- App: the briefing page (ui/briefing.py, exports.py) ----------------------------
#: Seconds between refreshes of the briefing page (it re-reads the scenario's files and
#: re-plans only when their content changed).
BRIEFING_REFRESH_S: Final[float] = 30.0
#: Environment variable overriding :data:`BRIEFING_REFRESH_S` (tests use 2 seconds).
BRIEFING_REFRESH_ENV: Final[str] = "MUTUALAID_BRIEFING_REFRESH_S"


def briefing_refresh_seconds(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between refreshes of the briefing: ``MUTUALAID_BRIEFING_REFRESH_S`` when it
    is a number above 0, else :data:`BRIEFING_REFRESH_S`.

    Parameters
    ----------
    environ : mapping, optional
        The environment; ``os.environ`` when None.

    Examples
    --------
    >>> briefing_refresh_seconds({"MUTUALAID_BRIEFING_REFRESH_S": "2"})
    2.0
    >>> briefing_refresh_seconds({"MUTUALAID_BRIEFING_REFRESH_S": "soon"})
    30.0
    """
    env = os.environ if environ is None else environ
    try:
        value = float(env.get(BRIEFING_REFRESH_ENV, ""))
    except ValueError:
        return BRIEFING_REFRESH_S
    return value if math.isfinite(value) and value > 0 else BRIEFING_REFRESH_S


#: How many unmet needs the briefing lists (most severe first).
BRIEFING_TOP_UNMET: Final[int] = 10
#: Height of the briefing map, in pixels.
BRIEFING_MAP_HEIGHT_PX: Final[int] = 640
#: Issue 13, a briefing made for a wall: the map's height is the viewport's less what
#: stands above it (title, time, figures; on the Briefing page also Streamlit's header
#: and the scenario selector), in px, so figures, map and top unmet needs fit one screen.
BRIEFING_WALL_ABOVE_MAP_PX: Final[int] = 250
BRIEFING_PAGE_ABOVE_MAP_PX: Final[int] = 380
#: Rows of the briefing's top unmet needs shown without scrolling the table.
BRIEFING_UNMET_ROWS_SHOWN: Final[int] = 8

# --- Store (mutualaid.store) ---------------------------------------------------------
#: Environment variable naming the store (an SQLAlchemy URL); unset, the SQLite file in
#: the state folder.
DATABASE_URL_ENV: Final[str] = "MUTUALAID_DATABASE_URL"


def database_url_setting(*, environ: Mapping[str, str] | None = None) -> str:
    """``MUTUALAID_DATABASE_URL`` as given (stripped), or ``""`` when it is unset.

    :func:`mutualaid.store.database.database_url` makes the store's URL of it.

    Parameters
    ----------
    environ : mapping, optional
        The environment; ``os.environ`` when None.
    """
    env = os.environ if environ is None else environ
    return env.get(DATABASE_URL_ENV, "").strip()


#: Environment variable naming the folder for the app's own state (the SQLite store).
STATE_DIR_ENV: Final[str] = "MUTUALAID_STATE_DIR"
#: Default state folder, relative to the working directory (``make run`` runs from the
#: project folder, so the store is ``var/mutualaid.sqlite`` there; git-ignored).
DEFAULT_STATE_DIR: Final[str] = "var"
#: The SQLite store's file name inside the state folder.
STORE_FILE_NAME: Final[str] = "mutualaid.sqlite"
#: How long an SQLite writer waits for another writer's lock before giving up, in seconds.
#: A commit holds the lock for milliseconds; loading a 50,000-feature layer for about a
#: second. 30 s leaves a wide margin on a busy machine.
STORE_BUSY_TIMEOUT_S: Final[float] = 30.0


def state_dir(*, environ: Mapping[str, str] | None = None) -> Path:
    """The folder for the app's own state: ``MUTUALAID_STATE_DIR`` or ``var``."""
    env = os.environ if environ is None else environ
    return Path(env.get(STATE_DIR_ENV, "").strip() or DEFAULT_STATE_DIR)


#: Set to ``0`` to start an empty store without the samples and demo accounts (the test
#: suite does, except where it tests them).
FIRST_RUN_ENV: Final[str] = "MUTUALAID_FIRST_RUN"


def demo_accounts_wanted(*, environ: Mapping[str, str] | None = None) -> bool:
    """False when ``MUTUALAID_FIRST_RUN=0``: no samples or demo accounts on first start."""
    env = os.environ if environ is None else environ
    return env.get(FIRST_RUN_ENV, "1").strip() != "0"


# --- Logging (mutualaid.logs) ------------------------------------------------------------
#: Environment variable setting the level of the ``mutualaid`` logger: a level's name
#: (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``, ``CRITICAL``) or number.
LOG_LEVEL_ENV: Final[str] = "MUTUALAID_LOG_LEVEL"
#: The standard levels by name (those of :mod:`logging`, which the command line's
#: ``--help`` does not import).
LOG_LEVELS: Final[dict[str, int]] = {
    "DEBUG": 10,
    "INFO": 20,
    "WARNING": 30,
    "ERROR": 40,
    "CRITICAL": 50,
}
#: The app server's level when ``MUTUALAID_LOG_LEVEL`` is unset (or not a level): INFO.
DEFAULT_LOG_LEVEL: Final[int] = LOG_LEVELS["INFO"]
#: Format of every log line: time, level, logger name, message (and the traceback).
LOG_FORMAT: Final[str] = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_level(*, environ: Mapping[str, str] | None = None) -> int | None:
    """The level ``MUTUALAID_LOG_LEVEL`` names, or None when it is unset or not a level.

    Parameters
    ----------
    environ : mapping, optional
        The environment; ``os.environ`` when None.

    Examples
    --------
    >>> log_level(environ={"MUTUALAID_LOG_LEVEL": "debug"})
    10
    >>> log_level(environ={"MUTUALAID_LOG_LEVEL": "loud"}) is None
    True
    """
    env = os.environ if environ is None else environ
    value = env.get(LOG_LEVEL_ENV, "").strip().upper()
    level = int(value) if value.isdigit() else LOG_LEVELS.get(value, 0)
    return level if level > 0 else None


# --- Accounts and sign-in (store/accounts.py, ui/identity.py; helper ACCOUNTS) ------
#: Shortest password accepted, in characters (NIST SP 800-63B asks for at least 8 and
#: recommends allowing long passphrases; 12 keeps guessing out of reach online).
PASSWORD_MIN_LENGTH: Final[int] = 12
#: Longest password accepted, in characters: long enough for any passphrase, short enough
#: that hashing a pasted novel cannot tie up a server.
PASSWORD_MAX_LENGTH: Final[int] = 1024
# Sign-in throttle (store/sign_in.py; security issue 16). Every try is counted in the
# store, in one transaction, BEFORE its password is hashed, so concurrent tries cannot all
# pass the check, and the counts hold across restarts and app servers. Growing delays,
# never a lock-out: after the free tries of a key, the next try waits 2, 4, 8... seconds
# (``SIGN_IN_DELAY_BASE_S * 2**k``), capped; a success resets the username's keys.
#: Free failed tries of one username from one client (its address) before delays start.
SIGN_IN_FREE_FAILURES: Final[int] = 5
#: Cap of the delay of one username from one client, in seconds (15 minutes).
SIGN_IN_MAX_DELAY_S: Final[float] = 15 * 60.0
#: Free failed tries of one username from all clients together (an attacker guessing a
#: coordinator's password from many addresses) before delays start...
SIGN_IN_USERNAME_FREE_FAILURES: Final[int] = 20
#: ...and their cap, in seconds: short on purpose, so that nobody elsewhere can keep a
#: coordinator out of the app for longer than a minute at a time.
SIGN_IN_USERNAME_MAX_DELAY_S: Final[float] = 60.0
#: Free failed tries from one client, any usernames (one address guessing many names);
#: an operations centre behind one address has room for its people's typing errors.
SIGN_IN_CLIENT_FREE_FAILURES: Final[int] = 50
#: Cap of one client's delay, in seconds (15 minutes).
SIGN_IN_CLIENT_MAX_DELAY_S: Final[float] = 15 * 60.0
#: First delay once a key's free tries are used, in seconds; it doubles with each failure.
SIGN_IN_DELAY_BASE_S: Final[float] = 2.0
#: A key with no try for this long starts again from zero, in seconds (1 hour), and its
#: row is removed, so guessing many names does not grow the table without bound.
SIGN_IN_FORGET_S: Final[float] = 60 * 60.0
#: Password verifications (argon2id, 64 MiB and about 0.3 s each) running at once in one
#: app server; a try beyond them is refused at once ("too many sign-ins at once"). Four
#: bound a server's sign-in memory to 256 MiB and leave the cores to signed-in people.
SIGN_IN_CONCURRENT_VERIFICATIONS: Final[int] = 4
#: Of those, how many one client address may run at once: one address flooding the
#: form cannot take every verification of a server from the others.
SIGN_IN_CONCURRENT_PER_CLIENT: Final[int] = 2
#: Password verifications per minute over all app servers together (the store counts
#: them); beyond, tries are refused for the rest of the minute. 600 is ten a second: far
#: more than a shift change, far less than an attack can ask for.
SIGN_IN_GLOBAL_PER_MINUTE: Final[int] = 600
#: Longest username kept in the throttle and the audit log, in characters (a pasted
#: novel in the username field is cut here).
SIGN_IN_LOGGED_USERNAME_LENGTH: Final[int] = 64
#: A client whose tries for a username failed fewer than this many times lately (its
#: ``pair`` key) is not delayed by that username's count from everywhere (issue 13):
#: wrong passwords typed for a coordinator from one address never delay the
#: coordinator's own right password from another. The price: a guesser with many
#: addresses gets this many tries per address at the username's full speed; the
#: per-client delays and :data:`SIGN_IN_GLOBAL_PER_MINUTE` still bound it.
SIGN_IN_USERNAME_EXEMPT_BELOW: Final[int] = 3
#: Refused (throttled) tries written to the audit log per key and delay window, one row
#: each (issue 13); the window's further refusals are counted, not written, so one
#: address flooding the form cannot grow the audit log without bound.
SIGN_IN_AUDITED_REFUSALS_PER_WINDOW: Final[int] = 100

# Server-side sessions (store/sessions.py, ui/identity.py; security issue 16).
#: A session with no rerun for this long is ended, in seconds (2 hours): longer than a
#: coordinator's phone call or a meeting away from the screen, short enough that a
#: screen left open in an operations centre does not stay signed in overnight. The
#: briefing kiosk refreshes every 30 s and so stays signed in.
SESSION_IDLE_TIMEOUT_S: Final[float] = 2 * 60 * 60.0
#: A session older than this is ended whatever its activity, in seconds (12 hours: one
#: shift and its handover).
SESSION_MAX_AGE_S: Final[float] = 12 * 60 * 60.0
#: A session's ``last_seen_at`` is written at most this often, in seconds, so that a
#: rerun usually only reads the store.
SESSION_TOUCH_INTERVAL_S: Final[float] = 60.0

# --- The web server's guards (ui/web.py, ui/browsers.py; issue 16) ---------------------
#: The cookie that names a browser to the server: a random 256-bit id the server sets on
#: page loads (HttpOnly, SameSite=Strict); downloads and images need it.
BROWSER_COOKIE: Final[str] = "mutualaid_browser"
#: How long a browser counts as signed in after the last rerun of its signed-in session,
#: in seconds: the session's own idle timeout (the briefing reruns every 30 s). Sign-out
#: or a rerun that finds nobody signed in ends it at once.
BROWSER_SIGNED_IN_IDLE_S: Final[float] = SESSION_IDLE_TIMEOUT_S
#: A sign-in that lasts (issue 13): the cookie that carries the server-side session to
#: a reload, a new tab or a typed address (HttpOnly, SameSite=Strict, Path=/, Secure over
#: HTTPS; a new random value on every sign-in, only its SHA-256 stored).
SESSION_COOKIE: Final[str] = "mutualaid_session"
#: The cookie's lifetime in the browser, in seconds: the session's absolute timeout (the
#: store ends the session earlier when it is idle, signed out, disabled...).
SESSION_COOKIE_MAX_AGE_S: Final[float] = SESSION_MAX_AGE_S
#: How long the one-time ticket a sign-in gives the page may be exchanged for the
#: cookie, in seconds.
SESSION_TICKET_TTL_S: Final[float] = 120.0
#: The app server's own routes, below Streamlit's base path: POST a ticket for the
#: session cookie, POST to clear it (sign-out).
SESSION_COOKIE_ROUTE: Final[str] = "_mutualaid/session"
SESSION_CLEAR_ROUTE: Final[str] = "_mutualaid/sign-out"


# --- App: live refresh of every page (ui/live.py, store/changes.py; issue 12) ---------
#: Seconds between two looks of an open page at the store's change mark (one primary-key
#: read); a page is redrawn only when the mark moved, so a change anyone makes on any app
#: server shows on every open page within this interval plus one page run.
LIVE_REFRESH_S: Final[float] = 2.0
#: Environment variable overriding :data:`LIVE_REFRESH_S`.
LIVE_REFRESH_ENV: Final[str] = "MUTUALAID_LIVE_REFRESH_S"


def live_refresh_seconds(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between two looks at the store's change mark:
    ``MUTUALAID_LIVE_REFRESH_S`` when it is a number above 0, else :data:`LIVE_REFRESH_S`.

    Parameters
    ----------
    environ : mapping, optional
        The environment; ``os.environ`` when None.

    Examples
    --------
    >>> live_refresh_seconds({"MUTUALAID_LIVE_REFRESH_S": "5"})
    5.0
    >>> live_refresh_seconds({"MUTUALAID_LIVE_REFRESH_S": "often"})
    2.0
    """
    env = os.environ if environ is None else environ
    try:
        value = float(env.get(LIVE_REFRESH_ENV, ""))
    except ValueError:
        return LIVE_REFRESH_S
    return value if math.isfinite(value) and value > 0 else LIVE_REFRESH_S


#: Environment variable naming a file to which the app's store appends one byte per SQL
#: statement it sends (an SQLAlchemy ``before_cursor_execute`` hook): the file's size is
#: the count. For benchmarks/live_refresh.py; unset (the default) nothing is counted.
STATEMENT_TALLY_ENV: Final[str] = "MUTUALAID_STATEMENT_TALLY"


def statement_tally_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The file ``MUTUALAID_STATEMENT_TALLY`` names, or None (statements not counted).

    Examples
    --------
    >>> statement_tally_path({})
    >>> statement_tally_path({"MUTUALAID_STATEMENT_TALLY": "/tmp/tally"})
    PosixPath('/tmp/tally')
    """
    env = os.environ if environ is None else environ
    value = env.get(STATEMENT_TALLY_ENV, "").strip()
    return Path(value) if value else None


#: Issue 13: how many stored jurisdictions close to a refused account jurisdiction (a typo
#: such as ``DE-RPX``) the refusal names, and how close they must be (difflib's ratio).
JURISDICTION_SUGGESTIONS: Final[int] = 5
JURISDICTION_SUGGESTION_CUTOFF: Final[float] = 0.7
