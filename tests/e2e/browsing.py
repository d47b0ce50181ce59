"""Opening the app as a signed-in person: the app shows nobody anything but the sign-in
form (issue 6), and a sign-in lasts (issue 13): once the page has exchanged its ticket
for the session cookie, a reload, a new tab or a typed address stays signed in.

Every app server the ``start_app`` fixture starts has the account :data:`DEFAULT_USER`
(an admin) in its store; ``own_store(...)`` adds it to the stores it makes too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from builders import stop_process  # noqa: F401 - the e2e tests import it from here

#: The password of every account the browser tests create.
PASSWORD = "a long e2e test password"
#: The account :func:`visit` signs in as unless told otherwise.
DEFAULT_USER = "e2e"
#: Where a browser test's pages may send requests.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
#: The session cookie the app's server gives a signed-in browser (issue 13).
SESSION_COOKIE = "mutualaid_session"
#: Playwright's default wait, ms: the first map render includes a cold Streamlit start.
BROWSER_TIMEOUT_MS = 120_000


@dataclass
class OfflinePage:
    """A Playwright page in a browser context of its own (a person's cookies and session)
    that reaches only this machine, plus what happened on it."""

    page: object
    context: object = None
    requests: list[str] = field(default_factory=list)
    #: Requests to another machine, aborted, that count against the test.
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)

    @property
    def left_the_machine(self) -> list[str]:
        """Blocked requests, and web sockets opened to another machine."""
        return self.blocked + [
            u for u in self.websockets if urlsplit(u).hostname not in LOCAL_HOSTS
        ]


def open_offline_page(
    browser,
    *,
    excused: Callable[[object], bool] = lambda request: False,
    timeout_ms: int = BROWSER_TIMEOUT_MS,
) -> OfflinePage:
    """A new context and page of *browser* whose requests to another machine are aborted
    and recorded in ``blocked`` (unless ``excused(request)``: still aborted, not counted);
    dialogs are dismissed and recorded, page errors and web sockets recorded. Close it
    with ``.context.close()``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    context.set_default_timeout(timeout_ms)
    record = OfflinePage(page=None, context=context)

    def route(route) -> None:
        request = route.request
        record.requests.append(request.url)
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            route.continue_()
            return
        route.abort("blockedbyclient")
        if not excused(request):
            record.blocked.append(request.url)

    def on_dialog(dialog) -> None:
        record.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.route("**/*", route)
    page = record.page = context.new_page()
    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: record.errors.append(str(error)))
    page.on("websocket", lambda ws: record.websockets.append(ws.url))
    return record


def session_cookie(context, before: str | None = None, *, timeout_ms: int = BROWSER_TIMEOUT_MS):
    """The session cookie of *context* once it is there and is not *before* (the page
    exchanges its ticket just after the sign-in); a Playwright cookie dict."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        found = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        if found and found[0]["value"] != before:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no new {SESSION_COOKIE} cookie after {timeout_ms} ms")
        time.sleep(0.05)


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Fill and submit the sign-in form the page shows, as a person would, and wait
    until the sidebar (or, in the kiosk view, the page) no longer shows the form and
    the browser has its new session cookie (so a reload stays signed in)."""
    from playwright.sync_api import expect

    before = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    session_cookie(page.context, before[0] if before else None)


def visit(page, url: str, *, username: str = DEFAULT_USER) -> None:
    """Open *url* and sign in there unless the browser is signed in already (its
    session cookie, issue 13: then as the same person); the address then shows its
    page."""
    from playwright.sync_api import expect

    page.goto(url)
    form = page.get_by_role("button", name="Sign in", exact=True)
    signed = page.get_by_role("button", name="Sign out", exact=True)
    if "view=briefing" in url:  # the kiosk view has no sidebar once signed in
        signed = page.get_by_role("heading", name="Briefing")
    expect(form.or_(signed).first).to_be_visible()
    if form.count():
        sign_in(page, username)


def hover_tooltip(page, frame, x: float, y: float, *, showing: str) -> str:
    """Move the mouse to (*x*, *y*) on *page* and return the text of *frame*'s Leaflet
    tooltip showing *showing*.

    Leaflet's canvas looks at the mouse at most every 32 ms and ignores moves in
    between, so the mouse is nudged by a pixel until the tooltip is there.
    """
    from playwright_api import PlaywrightTimeoutError, expect

    tooltip = frame.locator(".leaflet-tooltip", has_text=showing)
    for attempt in range(40):
        page.mouse.move(x + attempt % 2, y)
        try:
            tooltip.wait_for(state="visible", timeout=250)
            break
        except PlaywrightTimeoutError:
            continue
    expect(tooltip).to_be_visible()
    return tooltip.inner_text()


def metric(page, label: str):
    """The value of the metric whose label contains *label*."""
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def go_to(page, title: str, *, timeout_ms: float = 120_000) -> None:
    """Follow the sidebar link to the page *title* (the same Streamlit session, unlike a
    new page load) and wait for its heading."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=timeout_ms)


def served_outside_static(static: Path) -> str:
    """Why the app server would refuse the map's files under *static*, or "".

    Streamlit serves ``/app/static/<file>`` only when the file's real path (symlinks
    resolved) is inside the real path of ``static/``, and answers 400 otherwise. A
    ``static/vendor`` that is a symlink to another checkout's copy (a git worktree
    sharing one install) therefore serves no Leaflet at all: every map stays blank, the
    page records a script error ("Event") and each map test waits out its browser
    timeout (2 minutes each, a run of the browser tests that never ends).
    """
    root = static.resolve()
    vendor = static / "vendor"
    if vendor.exists() and not vendor.resolve().is_relative_to(root):
        return (
            f"{vendor} resolves to {vendor.resolve()}, outside {root}: the app server "
            "answers 400 for every file in it (Streamlit serves no symlink out of "
            "static/); copy the files instead (`make assets`)"
        )
    return ""


def choose_scenario(page, name: str) -> None:
    """Pick the scenario *name* in the page's "Scenario" selector, as a person would.

    Once a map has drawn, the page may be scrolled down by its frame and the selector
    be above the fold: a person scrolls back up first (Playwright's own scroll into view
    during the click makes the opened list close again: Base Web closes it on scroll).
    """
    from playwright.sync_api import expect

    page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")
    page.get_by_role("combobox", name="Scenario").click()
    page.get_by_role("option", name=name, exact=True).click()
    expect(page.get_by_role("combobox", name="Scenario")).to_have_value(name)


def open_board_group(page, card):
    """Open the Workflow board's group (a collapsed expander, issue 13) that holds
    *card* (a locator of an offer's or a request's card) unless it is open; returns
    *card*."""
    from playwright_api import PlaywrightTimeoutError

    group = page.get_by_test_id("stExpander").filter(has=card).first
    group.wait_for(state="visible", timeout=BROWSER_TIMEOUT_MS)
    details = group.locator("details").first
    for _attempt in range(5):  # a click during a rerun may be lost: look, and again
        if details.get_attribute("open") is not None:
            break
        group.locator("summary").first.click()
        try:
            page.wait_for_function(
                "(d) => d.hasAttribute('open')", arg=details.element_handle(), timeout=5_000
            )
            break
        except PlaywrightTimeoutError:
            continue
    card.wait_for(state="visible", timeout=BROWSER_TIMEOUT_MS)
    return card


#: The st_folium map's frame.
MAP_IFRAME = "iframe[src*='streamlit_folium.st_folium']"


def wait_for_briefing(page) -> None:
    """Wait until the briefing shows its figures, its map (Leaflet drawn in the frame)
    and its top unmet needs."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    expect(page.locator(".st-key-briefing-unmet [data-testid='stDataFrame']")).to_be_visible()
    page.wait_for_function(
        """(selector) => {
        const iframe = document.querySelector(selector);
        const doc = iframe && iframe.contentDocument;
        const map = doc && doc.querySelector('.leaflet-container');
        return !!map && map.clientHeight > 0;
    }""",
        arg=MAP_IFRAME,
    )


def briefing_boxes(page) -> dict[str, dict[str, float]]:
    """The bounding boxes (in the viewport, px) of the briefing's figures (all of them
    together), its map and its top unmet needs (heading and table)."""
    figures = [m.bounding_box() for m in page.get_by_test_id("stMetric").all()]
    left = min(b["x"] for b in figures)
    top = min(b["y"] for b in figures)
    right = max(b["x"] + b["width"] for b in figures)
    bottom = max(b["y"] + b["height"] for b in figures)
    return {
        "figures": {"x": left, "y": top, "width": right - left, "height": bottom - top},
        "map": page.locator(MAP_IFRAME).bounding_box(),
        "unmet": page.locator(".st-key-briefing-unmet").bounding_box(),
    }


#: st.data_editor draws rows 35 px high, under a header row of the same height.
ROW_PX = 35


def edit_last_column(page, *, row: int, text: str, column: int | None = None) -> None:
    """Type *text* into the last column of *row* (from 0) of the rows editor, or into
    its column number *column* (from 0, reached with the arrow keys from the first one
    as a person would once a cell is selected)."""
    from playwright.sync_api import expect

    # The whole page has been drawn (the editor no longer moves) once the line under it is.
    expect(page.get_by_text("No changes to apply.")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    # Found by its widget key (a CSS class, dots made dashes): the matrix and the
    # selected pair's rows are tables too.
    keyed = "[class*='st-key-agreements-rows-']"
    editor = page.locator(
        f"{keyed} [data-testid='stDataFrame'], [data-testid='stDataFrame']{keyed}"
    ).first
    # A number cell's editor is an input, a text cell's a textarea.
    cell_editor = page.locator(".gdg-input")
    for _attempt in range(5):  # the grid may take a moment to take input after drawing
        # The mouse reaches only what is on screen: on a big scenario the editor is
        # below the matrix, out of view.
        editor.scroll_into_view_if_needed()
        box = editor.bounding_box()
        y = box["y"] + ROW_PX * (row + 1.5)
        if column is None:
            page.mouse.dblclick(box["x"] + box["width"] - 60, y)
        else:
            # The first column's cell (right of the row markers), then to the right.
            page.mouse.click(box["x"] + 60, y)
            for _step in range(column):
                page.keyboard.press("ArrowRight")
            page.keyboard.press("Enter")  # Enter on a selected cell opens its editor
        try:
            expect(cell_editor).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            continue
    cell_editor.fill(text)
    cell_editor.press("Enter")
