"""The documentation stays a product's documentation.

README.md is the front page and stays short; the rest lives in docs/. Every document, code
comment, docstring and test stands alone: it says the rule itself rather than pointing at
a work diary, a tracker number or a document that is not in the repository, and every file
it names exists. The settings table in docs/configuration.md lists exactly the settings
workshop/config.py reads.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 300

TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".js", ".css", ".yml", ".yaml", ".conf", ".cfg", ".ini"}
TEXT_NAMES = {"Makefile", "Dockerfile", "run"}
SKIPPED_PARTS = {".venv", "node_modules", ".git", "translations", "vendor", "instance", "test-artifacts"}

# References that only make sense next to a diary or a tracker, or to a document outside the
# repository. Written so that this file's own source does not match them.
FORBIDDEN = {
    "an issue number": re.compile(r"\b[Ii]ssues? #?[0-9]"),
    "a numbered work session": re.compile(r"\b[Ss]essions? [0-9]"),
    "a specification outside the repository": re.compile(r"\bSPEC\b"),
}

# Paths into the repository that a text may name; each must exist.
REPO_PATH = re.compile(r"(?<![\w/.-])((?:tests|workshop|deploy|bench|scripts|docs|\.ci)/[\w./{}<>-]*)")
TEST_FILE = re.compile(r"(?<!\w)(test_\w+\.py)(?:::(test_\w+))?")


def tracked_text_files() -> list[Path]:
    """The repository's own text files: git's list when this is a checkout, else a walk."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        candidates = [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        candidates = [p for p in ROOT.rglob("*") if p.is_file()]
    if not any(p.name == "test_docs.py" for p in candidates):
        candidates.append(Path(__file__).resolve())  # not committed yet
    return sorted(
        p for p in candidates
        if p.exists() and (p.suffix in TEXT_SUFFIXES or p.name in TEXT_NAMES)
        and not SKIPPED_PARTS.intersection(p.relative_to(ROOT).parts)
    )


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def without_code_blocks(text: str) -> str:
    """Markdown with fenced code blocks blanked out (line numbers kept)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return "\n".join(out)


def anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for a Markdown file's headings."""
    seen: dict[str, int] = {}
    result = set()
    for line in without_code_blocks(path.read_text(encoding="utf-8")).split("\n"):
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        slug = "".join(
            ch for ch in match.group(1).strip().lower()
            if ch in " -_" or unicodedata.category(ch)[0] in "LN"
        ).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def test_the_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_no_text_refers_to_work_sessions_issues_or_an_outside_spec():
    found = []
    for path in tracked_text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), 1):
            for what, pattern in FORBIDDEN.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}")
    assert not found, "say the rule itself instead:\n" + "\n".join(found)


def test_every_file_a_text_names_exists():
    test_files = {p.name: p for p in (ROOT / "tests").rglob("test_*.py")}
    missing = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in REPO_PATH.finditer(text):
            named = match.group(1).rstrip(".-")
            if "{" in named or "<" in named:  # a pattern such as deploy/gunicorn_{name}.py
                continue
            if not (ROOT / named).exists():
                missing.append(f"{path.relative_to(ROOT)}: {named}")
        for match in TEST_FILE.finditer(text):
            name, function = match.groups()
            if name not in test_files:
                missing.append(f"{path.relative_to(ROOT)}: {name}")
            elif function and not re.search(rf"def {function}\b", test_files[name].read_text(encoding="utf-8")):
                missing.append(f"{path.relative_to(ROOT)}: {name}::{function}")
    assert not missing, "these files or tests do not exist:\n" + "\n".join(missing)


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(document):
    text = without_code_blocks(document.read_text(encoding="utf-8"))
    broken = []
    for target in re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{document.relative_to(ROOT)}:\n" + "\n".join(broken)


def settings_read_by_config() -> set[str]:
    source = (ROOT / "workshop" / "config.py").read_text(encoding="utf-8")
    return set(re.findall(r"""(?:env\.get|_int)\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))


def settings_in_the_table() -> dict[str, bool]:
    """Each variable of docs/configuration.md's table, and whether it is marked ¹ (read
    outside workshop/config.py)."""
    table = {}
    for line in (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8").split("\n"):
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell):
            table[name] = "¹" in first_cell
    return table


def test_the_settings_table_lists_every_setting_config_reads():
    read, table = settings_read_by_config(), settings_in_the_table()
    assert read, "found no settings in workshop/config.py"
    assert sorted(read - table.keys()) == [], "settings missing from docs/configuration.md"


def test_the_settings_table_lists_nothing_that_is_not_read():
    read, table = settings_read_by_config(), settings_in_the_table()
    elsewhere = "\n".join(
        p.read_text(encoding="utf-8") for p in tracked_text_files()
        if p.suffix == ".py" and p.name != "test_docs.py" and p.relative_to(ROOT).parts[0] != "docs"
    )
    invented = []
    for name, marked in table.items():
        if not marked:
            if name not in read:
                invented.append(f"{name} is not read in workshop/config.py (mark it ¹ if read elsewhere)")
        elif name != "FLASK_APP" and not re.search(rf"""environ(?:\.get)?[(\[]\s*["']{name}["']""", elsewhere):
            invented.append(f"{name} is marked ¹ but no code reads it")
    assert not invented, "\n".join(invented)
