"""Issue 13: every ``mutualaid`` line of README.md's code blocks works on a fresh clone.

Each code block's lines (indented or fenced, continuation backslashes joined) that call
``mutualaid`` (or ``.venv/bin/mutualaid``) are one of two things, and nothing is left out:

* a **synopsis** (it holds ``[``, ``{``, ``|`` or a placeholder such as ``PATH`` or
  ``PLAN.json``): each of its commands answers ``--help`` and names every option the
  line names;
* an **example**: run as it is, in README order, as ``python -m mutualaid.cli`` in a
  temporary folder that sees the repository's ``data/`` (a link) and nothing else, with
  a temporary SQLite store (``MUTUALAID_DATABASE_URL``) and no network use. Each exits 0
  without a traceback, and every file it is told to write (``--out``, ``-o``,
  ``--flows``) is there afterwards.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from mutualaid.store.database import DATABASE_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
COMMAND = re.compile(r"^(?:\.venv/bin/)?mutualaid(?:\s|$)")
#: ``PATH``, ``SCENARIO_DIR``, ``PLAN.json``, ``FLOWS.geojson``, ``J``: a placeholder.
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*(\.[a-z]+)?$")
OPTION = re.compile(r"(?<![\w-])--?[a-z][a-z-]*")
WRITTEN = ("--out", "-o", "--flows")


def code_lines(text: str) -> list[str]:
    """The lines of the Markdown *text*'s code blocks (indented by 4 spaces after a blank
    line, or fenced), with continuation lines joined."""
    lines, fenced, previous_blank, in_indented = [], False, True, False
    for raw in text.splitlines():
        if raw.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            lines.append(raw.strip())
        elif raw.startswith("    ") and (previous_blank or in_indented):
            in_indented = True
            lines.append(raw.strip())
        else:
            in_indented = in_indented and raw.strip() == ""
        previous_blank = raw.strip() == ""
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1].rstrip() + " " + line
        else:
            joined.append(line)
    return joined


def command_lines() -> list[str]:
    return [line for line in code_lines(README.read_text(encoding="utf-8")) if COMMAND.match(line)]


def is_synopsis(line: str) -> bool:
    if any(ch in line for ch in "[{|"):
        return True
    return any(PLACEHOLDER.match(token) for token in shlex.split(line)[1:])


def run(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mutualaid.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=600,
    )


LINES = command_lines()
SYNOPSES = [line for line in LINES if is_synopsis(line)]
EXAMPLES = [line for line in LINES if not is_synopsis(line)]


def test_the_readme_has_both_and_every_line_is_one_of_them():
    assert len(SYNOPSES) >= 7 and len(EXAMPLES) >= 10
    assert sorted(SYNOPSES + EXAMPLES) == sorted(LINES)
    # the examples use only files in the repository
    for line in EXAMPLES:
        assert "../" not in line, line


def test_the_code_block_reader_joins_continuations_and_skips_prose():
    text = "prose mutualaid x\n\n    mutualaid a \\\n        --b c\n    make run\n\n```sh\nmutualaid d\n```\n"
    assert code_lines(text) == ["mutualaid a --b c", "make run", "mutualaid d"]


def commands_of(line: str) -> list[list[str]]:
    """``mutualaid users disable|enable|passwd USERNAME`` -> the three commands."""
    words: list[list[str]] = [[]]
    for token in line.split()[1:]:
        if not re.fullmatch(r"[a-z][a-z-]*(\|[a-z][a-z-]*)*", token):
            break
        words = [[*w, alternative] for w in words for alternative in token.split("|")]
    return words


@pytest.mark.parametrize("line", SYNOPSES)
def test_each_synopsis_is_what_the_command_takes(line, tmp_path):
    options = set(OPTION.findall(line))
    for command in commands_of(line):
        assert command, line
        done = run([*command, "--help"], cwd=tmp_path, env=dict(os.environ))
        assert done.returncode == 0, (command, done.stderr)
        if command == commands_of(line)[0]:
            missing = [o for o in options if not re.search(rf"(?<![\w-]){o}\b", done.stdout)]
            assert missing == [], (line, done.stdout)


def test_every_example_runs_in_order_on_a_fresh_clone(tmp_path):
    work = tmp_path / "clone"
    work.mkdir()
    (work / "data").symlink_to(ROOT / "data", target_is_directory=True)
    env = dict(os.environ)
    env[DATABASE_URL_ENV] = f"sqlite:///{tmp_path / 'store.sqlite'}"
    for line in EXAMPLES:
        args = shlex.split(line)[1:]
        done = run(args, cwd=work, env=env)
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr, (line, done.stderr)
        for flag, value in zip(args, args[1:]):
            if flag in WRITTEN:
                assert (work / value).stat().st_size > 0, (line, value)
    # what the examples wrote stayed in the temporary folder
    assert sorted(p.name for p in work.iterdir()) == sorted(
        {"data"}
        | {
            v
            for line in EXAMPLES
            for f, v in zip(shlex.split(line), shlex.split(line)[1:])
            if f in WRITTEN
        }
    )
