"""`mutualaid validate`: exit codes, one problem per line, JSON, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mutualaid.cli.main import main
from mutualaid.settings import READ_MEMORY_ENV, READ_TIMEOUT_ENV

ROOT = Path(__file__).resolve().parents[2]
RHINE = "/work/shared/data/reference/rhine_admin1.geojson"
EXECUTABLE = Path(sys.executable).parent / "mutualaid"

GOOD_INCIDENTS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {
                "id": "I1",
                "hazard": "flood",
                "severity": 4,
                "reported_at": "2021-07-14T17:30:00Z",
                "needs": {"boat": 2},
            },
            "geometry": {"type": "Point", "coordinates": [6.9, 50.9]},
        }
    ],
}


def write(path: Path, content) -> Path:
    if isinstance(content, (dict, list)):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


@pytest.fixture
def bad_incidents(tmp_path):
    return write(
        tmp_path / "incidents.csv",
        "id,hazard,severity,reported_at,lat,lon\n"
        "I1,flood,extreme,2021-07-14T17:30Z,50.9,6.9\n"
        "I1,lava!,3,yesterday,50.9,6.9\n",
    )


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_accepted_layer_exits_0(capsys, tmp_path):
    path = write(tmp_path / "incidents.geojson", GOOD_INCIDENTS)
    code, out, err = run(capsys, "validate", str(path), "--kind", "incidents")
    assert code == 0
    assert "incidents accepted (0 error(s), 0 warning(s))" in out


def test_mapping_makes_a_layer_acceptable(capsys):
    code, out, _ = run(
        capsys,
        "validate",
        RHINE,
        "--kind",
        "jurisdictions",
        "--map",
        "id=iso_3166_2",
        "--map",
        "country=iso_a2",
    )
    assert code == 0 and "accepted" in out


def test_warnings_are_printed_and_the_layer_still_accepted(capsys, tmp_path):
    layer = json.loads(json.dumps(GOOD_INCIDENTS))
    layer["features"][0]["properties"]["hazard"] = "tsunami"
    path = write(tmp_path / "incidents.geojson", layer)
    code, out, _ = run(capsys, "validate", str(path), "--kind", "incidents")
    assert code == 0
    assert "warning: feature 1 (id I1): hazard 'tsunami' is not a known hazard" in out


def test_rejected_layer_exits_1_with_each_problem_on_its_own_line(capsys, bad_incidents):
    code, out, err = run(capsys, "validate", str(bad_incidents), "--kind", "incidents")
    assert code == 1
    lines = out.splitlines()
    assert lines == [
        "error: feature 1 (id I1): severity must be a whole number from 1 to 5, got 'extreme'",
        "error: feature 2 (id I1): id 'I1' is used by 2 features (features 1 and 2); "
        "ids must be unique",
        "error: feature 2 (id I1): hazard must be a hazard such as flood (letters, digits and _),"
        " got 'lava!'",
        "error: feature 2 (id I1): reported_at must be an ISO 8601 date-time such as "
        "2024-06-01T14:30:00Z, got 'yesterday'",
    ]
    assert "incidents rejected (4 error(s), 0 warning(s))" in err


def test_json_output_parses(capsys, bad_incidents):
    code, out, _ = run(capsys, "validate", str(bad_incidents), "--kind", "incidents", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["accepted"] is False and report["errors"] == 4
    assert {p["field"] for p in report["problems"]} == {"severity", "id", "hazard", "reported_at"}
    assert report["problems"][0]["feature"] == 1


def test_json_output_for_an_accepted_layer(capsys, tmp_path):
    path = write(tmp_path / "incidents.geojson", GOOD_INCIDENTS)
    code, out, _ = run(capsys, "validate", str(path), "--kind", "incidents", "--json")
    assert code == 0 and json.loads(out)["accepted"] is True


def test_jurisdictions_option_reports_features_outside(capsys, tmp_path):
    layer = json.loads(json.dumps(GOOD_INCIDENTS))
    layer["features"][0]["geometry"]["coordinates"] = [-40, 10]  # mid-Atlantic
    path = write(tmp_path / "incidents.geojson", layer)
    code, out, _ = run(
        capsys, "validate", str(path), "--kind", "incidents", "--jurisdictions", RHINE
    )
    assert code == 0
    assert "outside every jurisdiction: takes no part in the plan" in out


def test_agreements_are_validated(capsys, tmp_path):
    path = write(
        tmp_path / "agreements.csv", "from,to,resource_types,border_delay_min\nDE,NL,boat;pump,-5\n"
    )
    code, out, _ = run(capsys, "validate", str(path), "--kind", "agreements")
    assert code == 1
    assert out.splitlines() == [
        "error: feature 1: border_delay_min must be a number of minutes, 0 or more, got '-5'"
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", RHINE, "--kind", "rivers"],
        ["validate", RHINE],
        ["validate", RHINE, "--kind", "jurisdictions", "--map", "id"],
        ["validate", RHINE, "--kind", "jurisdictions", "--map", "=iso_a2"],
        ["validate", RHINE, "--kind", "jurisdictions", "--map", "colour=iso_a2"],
        ["validate", RHINE, "--kind", "jurisdictions", "--map", "severity=iso_a2"],
        ["frobnicate"],
    ],
)
def test_wrong_usage_exits_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.strip()


@pytest.mark.parametrize(
    "name, content",
    [
        ("garbage.geojson", bytes(range(256)) * 4),
        ("empty.geojson", b""),
        ("empty.csv", b""),
        ("bomb.json", b"[" * 200_000),
        ("notes.txt", b"hello"),
        ("fake.gpkg", b"SQLite format 3\x00" + b"\x00" * 200),
        ("fake.zip", b"PK\x03\x04" + b"\x00" * 50),
        (
            "evil.kml",
            b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<kml>&x;</kml>",
        ),
    ],
)
def test_broken_files_exit_1_without_traceback(capsys, tmp_path, name, content):
    path = write(tmp_path / name, content)
    code, out, err = run(capsys, "validate", str(path), "--kind", "incidents")
    assert code == 1
    assert out.startswith("error: ")
    assert "rejected (1 error(s)" in err


def test_directory_and_missing_file_exit_1(capsys, tmp_path):
    code, out, _ = run(capsys, "validate", str(tmp_path), "--kind", "incidents")
    assert code == 1 and "is a folder" in out
    code, out, _ = run(capsys, "validate", str(tmp_path / "none.geojson"), "--kind", "incidents")
    assert code == 1 and "file not found" in out


# --- the installed command, in a real process ---------------------------------------------------


def command(*args, env: dict[str, str] | None = None, timeout: float | None = None):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        [str(EXECUTABLE), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout
    )


@pytest.mark.skipif(not EXECUTABLE.exists(), reason="the mutualaid command is not installed")
def test_installed_command_exit_codes(tmp_path, bad_incidents):
    good = write(tmp_path / "incidents.geojson", GOOD_INCIDENTS)
    ok = command("validate", str(good), "--kind", "incidents")
    assert ok.returncode == 0, ok.stderr
    rejected = command("validate", str(bad_incidents), "--kind", "incidents", "--json")
    assert rejected.returncode == 1
    assert json.loads(rejected.stdout)["errors"] == 4
    usage = command("validate", str(good), "--kind", "incidents", "--map", "nonsense")
    assert usage.returncode == 2
    garbage = command(
        "validate", str(write(tmp_path / "x.geojson", os.urandom(4096))), "--kind", "resources"
    )
    assert garbage.returncode == 1
    for proc in (ok, rejected, usage, garbage):
        assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.skipif(not EXECUTABLE.exists(), reason="the mutualaid command is not installed")
def test_recursive_view_geopackage_exits_1_with_the_reason_within_30_s(recursive_view_geopackage):
    # Issue 16's "done when": the never-ending view is refused, and within 30 s (before
    # the fix the read never ended; subprocess.run raises TimeoutExpired past 30 s).
    path = recursive_view_geopackage()
    proc = command("validate", str(path), "--kind", "incidents", timeout=30)
    assert proc.returncode == 1
    assert "the GeoPackage layer 'incidents' is a view" in proc.stdout
    assert "incidents rejected (1 error(s)" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.skipif(not EXECUTABLE.exists(), reason="the mutualaid command is not installed")
def test_validate_refuses_a_file_whose_read_overruns_the_time_limit(tmp_path):
    rows = "".join(f"I{i},flood,3,2021-07-14T17:30:00Z,50.5,6.5\n" for i in range(300_000))
    path = write(tmp_path / "big.csv", "id,hazard,severity,reported_at,lat,lon\n" + rows)
    proc = command("validate", str(path), "--kind", "incidents", env={READ_TIMEOUT_ENV: "0.25"})
    assert proc.returncode == 1
    assert proc.stdout.startswith("error: the file took longer than 0.25 s to read and was refused")
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.skipif(not EXECUTABLE.exists(), reason="the mutualaid command is not installed")
def test_validate_refuses_a_file_that_needs_more_than_the_memory_limit(tmp_path):
    # The command's worker is a fork of it (issue 11) and keeps issue 16's memory bound:
    # the libraries it imports do not count, the file's frames do.
    rows = "".join(f"I{i},flood,3,2021-07-14T17:30:00Z,50.5,6.5\n" for i in range(300_000))
    path = write(tmp_path / "big.csv", "id,hazard,severity,reported_at,lat,lon\n" + rows)
    proc = command(
        "validate",
        str(path),
        "--kind",
        "incidents",
        env={READ_MEMORY_ENV: "20", READ_TIMEOUT_ENV: "120"},
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("error: ") and "memory" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
