"""Karya uses its libraries through their public APIs only: an upgrade of Flask-Babel,
Flask-Login, Flask-Limiter, Flask-WTF or SQLAlchemy cannot break it by renaming
something private. Nor do the tests use pytest's, pytest-xdist's or Playwright's private
names (an override of a private method of theirs included), so that an upgrade of the test
tools cannot silently change how the suite runs. Read from the source, so a new use fails
here before it ships."""

from __future__ import annotations

import ast
from pathlib import Path

WORKSHOP = Path(__file__).resolve().parent.parent / "workshop"
TESTS = Path(__file__).resolve().parent
LIBRARIES = ("flask", "flask_babel", "flask_login", "flask_limiter", "flask_wtf", "flask_sqlalchemy",
             "sqlalchemy", "werkzeug", "rq", "redis", "ffmpeg", "PIL", "psycopg", "babel", "jinja2", "pydantic",
             "pydantic_core", "pytest", "_pytest", "xdist", "playwright")
# Public although written with an underscore: werkzeug's documented proxy unwrapping, and
# namedtuple's documented method.
DOCUMENTED = {"_get_current_object", "_replace", "_asdict", "_fields", "_exit"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in DOCUMENTED and name != "_"


def _root(node: ast.expr) -> str | None:
    """``flask_limiter`` for ``flask_limiter.Limiter._check_request_limit``."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    library_names: set[str] = {"g"}  # flask.g: its underscored keys are the extensions' own
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in LIBRARIES:
                    library_names.add(alias.asname or alias.name.split(".")[0])
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] in LIBRARIES:
                if any(_private(part) for part in node.module.split(".")):
                    found.append(f"line {node.lineno}: from {node.module}")
                for alias in node.names:
                    library_names.add(alias.asname or alias.name)
                    if _private(alias.name):
                        found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        # class Mine(LoadScopeScheduling): def _split_scope(...): a private method overridden.
        if isinstance(node, ast.ClassDef) and any(_root(base) in library_names for base in node.bases):
            found += [f"line {item.lineno}: {node.name}.{item.name} overrides a private method"
                      for item in node.body
                      if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(item.name)]
        if isinstance(node, ast.Attribute) and _private(node.attr) and _root(node) in library_names:
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        # g.get("_flask_babel"), getattr(g, "_login_user"), ...
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "g"
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str) and _private(node.args[0].value)):
            found.append(f"line {node.lineno}: g.{node.func.attr}({node.args[0].value!r})")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name) and node.args[0].id in library_names
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
                and _private(node.args[1].value)):
            found.append(f"line {node.lineno}: {node.func.id}({node.args[0].id}, {node.args[1].value!r})")
    return found


def test_no_private_name_of_a_library_is_used():
    report = [f"{path.relative_to(WORKSHOP.parent)} {use}"
              for folder in (WORKSHOP, TESTS) for path in sorted(folder.rglob("*.py")) for use in _uses(path)]
    assert not report, "private names of libraries in use:\n  " + "\n  ".join(report)


def test_the_check_finds_what_it_is_for(tmp_path):
    """The reader above finds each kind of private use it looks for."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import flask_limiter\n"
        "from flask import g\n"
        "from sqlalchemy.engine import _private_thing\n"
        "from flask_login.utils import _get_user\n"
        "ctx = g.get('_flask_babel')\n"
        "g._login_user = None\n"
        "flask_limiter.Limiter._check_request_limit = None\n"
        "getattr(g, '_login_user')\n"
        "fine = g.get('karya_catalogue'), g.service_outage\n"
        "from xdist.scheduler import LoadScopeScheduling\n"
        "class Grouped(LoadScopeScheduling):\n"
        "    def _split_scope(self, nodeid): return nodeid\n"
        "    def schedule(self): pass\n"
        "class Own:\n"
        "    def _helper(self): pass\n"
    )
    found = _uses(sample)
    assert sorted(int(line.split(":")[0].removeprefix("line ")) for line in found) == [3, 4, 5, 6, 7, 8, 12], found
