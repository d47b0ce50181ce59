#!/usr/bin/env python3
"""Install the maps' JavaScript and CSS from the npm registry into ``static/vendor/``.

The maps must draw without internet, so Leaflet is installed once at set-up with npm
(which checks each package's integrity against the registry) and served by Streamlit
from ``/app/static/vendor/``. Nothing here is committed: ``static/vendor/`` and
``build/`` are git-ignored.

    python scripts/install_assets.py          # install, or do nothing when up to date
    python scripts/install_assets.py --force  # reinstall

What is installed is listed in ``src/mutualaid/maps/assets.py`` (``VENDOR_PACKAGES``).
Exit status 0 when ``static/vendor/.installed`` has been written; anything that goes
wrong stops the script with a message and a non-zero status, and leaves no stamp.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
NPM_PREFIX = ROOT / "build" / "npm"
ASSETS_MODULE = ROOT / "src" / "mutualaid" / "maps" / "assets.py"


class InstallError(Exception):
    """Something the person running set-up has to fix."""


def load_manifest() -> ModuleType:
    """Read the asset manifest without importing the package (and folium with it)."""
    spec = importlib.util.spec_from_file_location("_mutualaid_map_assets", ASSETS_MODULE)
    if spec is None or spec.loader is None:
        raise InstallError(f"cannot read the asset list {ASSETS_MODULE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def stamp_text(manifest: ModuleType) -> str:
    """What the stamp file holds: the installed package specs, one a line."""
    return "".join(f"{pkg.spec}\n" for pkg in manifest.VENDOR_PACKAGES)


def expected_files(manifest: ModuleType, vendor_dir: Path) -> list[Path]:
    """Every file or folder that must exist under ``vendor_dir`` after installing."""
    return [
        vendor_dir / pkg.name / Path(rel).name
        for pkg in manifest.VENDOR_PACKAGES
        for rel in pkg.files
    ]


def up_to_date(manifest: ModuleType, vendor_dir: Path) -> bool:
    """True when the stamp matches the manifest and every expected file is there."""
    stamp = vendor_dir / manifest.INSTALLED_STAMP
    if not stamp.is_file() or stamp.read_text(encoding="utf-8") != stamp_text(manifest):
        return False
    return all(path.exists() for path in expected_files(manifest, vendor_dir))


def npm_install(manifest: ModuleType, prefix: Path) -> Path:
    """Install the packages with npm under ``prefix``; return its node_modules folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError(
            "npm is not installed: the map's Leaflet files come from the npm registry at "
            "set-up. Install Node.js and npm (e.g. `apt-get install nodejs npm`) and rerun."
        )
    prefix.mkdir(parents=True, exist_ok=True)
    # A package.json of our own keeps npm from walking up to some other project's.
    package_json = {
        "name": "mutualaid-map-assets",
        "private": True,
        "description": "Set-up only: the map's Leaflet files (see scripts/install_assets.py)",
        "dependencies": {pkg.name: pkg.version for pkg in manifest.VENDOR_PACKAGES},
    }
    (prefix / "package.json").write_text(
        json.dumps(package_json, indent=2) + "\n", encoding="utf-8"
    )
    command = [
        npm,
        "install",
        "--prefix",
        str(prefix),
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--no-package-lock",
        "--loglevel=error",
    ]
    print("install_assets:", " ".join(command[1:]), flush=True)
    completed = subprocess.run(command, cwd=prefix, check=False)
    if completed.returncode != 0:
        raise InstallError(
            f"npm install failed with exit status {completed.returncode}; see npm's messages above"
        )
    return prefix / "node_modules"


def check_versions(manifest: ModuleType, node_modules: Path) -> None:
    """Fail unless npm installed exactly the versions the manifest names."""
    for pkg in manifest.VENDOR_PACKAGES:
        meta = node_modules / pkg.name / "package.json"
        if not meta.is_file():
            raise InstallError(f"npm did not install {pkg.spec}: {meta} is missing")
        got = json.loads(meta.read_text(encoding="utf-8")).get("version")
        if got != pkg.version:
            raise InstallError(f"npm installed {pkg.name} {got}, expected {pkg.version}")


def copy_files(manifest: ModuleType, node_modules: Path, vendor_dir: Path) -> None:
    """Copy each package's listed files to ``vendor_dir/<package>/``, replacing old ones."""
    for pkg in manifest.VENDOR_PACKAGES:
        target = vendor_dir / pkg.name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for rel in pkg.files:
            source = node_modules / pkg.name / rel
            destination = target / Path(rel).name
            if source.is_dir():
                shutil.copytree(source, destination)
            elif source.is_file():
                shutil.copy2(source, destination)
            else:
                raise InstallError(
                    f"{pkg.spec} has no {rel}; the asset list in "
                    f"{ASSETS_MODULE.relative_to(ROOT)} needs updating"
                )


def install(*, force: bool = False) -> None:
    """Install the assets unless they are already up to date; write the stamp last."""
    manifest = load_manifest()
    vendor_dir = ROOT / "static" / manifest.VENDOR_DIR_NAME
    stamp = vendor_dir / manifest.INSTALLED_STAMP
    if not force and up_to_date(manifest, vendor_dir):
        stamp.touch()  # make's target is newer than this script again
        print(f"install_assets: up to date ({', '.join(p.spec for p in manifest.VENDOR_PACKAGES)})")
        return
    stamp.unlink(missing_ok=True)  # a failed run must not leave a stamp behind
    node_modules = npm_install(manifest, NPM_PREFIX)
    check_versions(manifest, node_modules)
    copy_files(manifest, node_modules, vendor_dir)
    missing = [p for p in expected_files(manifest, vendor_dir) if not p.exists()]
    if missing:
        raise InstallError("files missing after copying: " + ", ".join(map(str, missing)))
    stamp.write_text(stamp_text(manifest), encoding="utf-8")
    print(f"install_assets: installed into {vendor_dir.relative_to(ROOT)}/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="reinstall even when up to date")
    args = parser.parse_args(argv)
    try:
        install(force=args.force)
    except (InstallError, OSError) as exc:
        print(f"install_assets: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
