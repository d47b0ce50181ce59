"""The browser tests' check of the map's files (bug found merging the live pages,
issue 12): a ``static/vendor`` symlinked to another checkout made Streamlit answer 400
for ``/app/static/vendor/leaflet/leaflet.js``, so every map test waited out its timeout
and ``test_a_download_is_served_to_its_signed_in_browser_only`` failed on the page's
script error "Event". The ``vendor_assets`` fixture now says so at once."""

from __future__ import annotations

from pathlib import Path

from browsing import served_outside_static


def test_a_symlinked_vendor_folder_outside_static_is_reported(tmp_path: Path):
    elsewhere = tmp_path / "other-checkout" / "static" / "vendor"
    (elsewhere / "leaflet").mkdir(parents=True)
    static = tmp_path / "worktree" / "static"
    static.mkdir(parents=True)
    (static / "vendor").symlink_to(elsewhere, target_is_directory=True)
    reason = served_outside_static(static)
    assert "outside" in reason and str(elsewhere) in reason


def test_a_copied_vendor_folder_is_served(tmp_path: Path):
    static = tmp_path / "static"
    (static / "vendor" / "leaflet").mkdir(parents=True)
    assert served_outside_static(static) == ""


def test_a_link_inside_static_is_served(tmp_path: Path):
    static = tmp_path / "static"
    (static / "assets-1.9" / "leaflet").mkdir(parents=True)
    (static / "vendor").symlink_to(static / "assets-1.9", target_is_directory=True)
    assert served_outside_static(static) == ""
