"""The packages of workshop/ depend on each other one way, and imports sit at the top.

Read from the source with ast: every ``import`` in workshop/ (at module level or inside
a function) is an edge from the package that holds it to the package it names. The nodes
are the packages ``workshop/<pkg>/`` and the top-level modules ``workshop/<module>.py``
(the app factory, ``workshop/__init__.py``, is the node ``workshop``). A cycle between
nodes fails here: a feature that imports another which imports it back cannot be
understood, tested or moved alone. An import inside a function fails too unless its line
says why, with a ``# why:`` comment (the factory assembling the features, a slow library
that only some processes need); otherwise it belongs at the top of its module.

docs/architecture.md draws the order these edges make.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Alembic's migration scripts (workshop/migrations/versions/): they run against the schema of
# their day, not against the packages, and import none of them.
SKIPPED = Path("workshop", "migrations", "versions")


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _node(module: str) -> str:
    """``workshop.review.service`` -> ``review``; ``workshop.access`` -> ``access``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(root: Path) -> list[tuple[str, int, str, bool, str]]:
    """Every import of a workshop module under ``root``/workshop: (file, line, imported module,
    inside a function, the line's text)."""
    found = []
    for path in sorted((root / "workshop").rglob("*.py")):
        if path.is_relative_to(root / SKIPPED):
            continue
        source = path.read_text()
        lines = source.split("\n")
        module, is_package = _module_name(path, root)

        def visit(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    targets = _targets(child, module, is_package, root)
                    for target in targets:
                        found.append((str(path.relative_to(root)), child.lineno, target, in_function,
                                      lines[child.lineno - 1]))
                    if in_function and not targets:
                        found.append((str(path.relative_to(root)), child.lineno, "", True, lines[child.lineno - 1]))
                visit(child, inside)

        visit(ast.parse(source, filename=str(path)), False)
    return found


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, root: Path) -> list[str]:
    """The workshop modules an import statement names: ``from pkg import module`` names the
    module, ``from module import name`` the module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "workshop"]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source.split(".")[0] != "workshop":
        return []
    return [f"{source}.{alias.name}" if _is_module(root, f"{source}.{alias.name}") else source
            for alias in node.names]


def _is_module(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def package_graph(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """{node: {node it imports: ["file:line", ...]}}, leaving out a node's imports of itself."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path, line, target, _in_function, _text in imports(root):
        if not target:
            continue
        source_node = _node(_module_name(root / path, root)[0])
        target_node = _node(target)
        if target_node != source_node:
            graph[source_node][target_node].append(f"{path}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, {})):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    nodes = set(graph) | {other for edges in graph.values() for other in edges}
    for node in sorted(nodes):
        if node not in index:
            connect(node)
    return found


def _says_why(text: str) -> bool:
    comment = text.partition("#")[2]
    reason = comment.partition("why:")[2].strip()
    return "why:" in comment and len(reason) >= 5


def test_no_package_imports_a_package_that_imports_it_back():
    graph = package_graph()
    report = []
    for component in cycles(graph):
        report.append(" <-> ".join(component))
        for node in component:
            for other in component:
                if other in graph.get(node, {}):
                    report.append(f"    {node} -> {other}: {', '.join(graph[node][other][:4])}")
    assert not report, "packages that import each other (directly or around a loop):\n" + "\n".join(report)


def test_imports_inside_functions_say_why():
    report = [f"{path}:{line}: {text.strip()}" for path, line, _target, in_function, text in imports(ROOT)
              if in_function and not _says_why(text)]
    assert not report, ("imports inside functions without a '# why: ...' comment on the line (move them to "
                        "the top of the module, or say why not):\n  " + "\n  ".join(sorted(set(report))))


def test_the_checks_find_a_cycle_and_an_unexplained_import(tmp_path):
    """The readers above see what they look for: a loop of three packages, through an import
    inside a function, and that import's missing reason."""
    for package, body in {
        "alpha": "from ..beta import service\n",
        "beta": "from ..gamma.models import Thing\n",
        "gamma": "def load():\n    from ..alpha import routes\n    return routes\n",
        "delta": ("def load():\n    import json  # why: only this rare path needs it\n"
                  "    from ..alpha import routes  # why: x\n"),
    }.items():
        folder = tmp_path / "workshop" / package
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "service.py").write_text(body)
    (tmp_path / "workshop" / "__init__.py").write_text("")
    graph = package_graph(tmp_path)
    assert cycles(graph) == [["alpha", "beta", "gamma"]]
    unexplained = sorted((Path(path).parts[1], text.strip()) for path, _line, _target, in_function, text
                         in imports(tmp_path) if in_function and not _says_why(text))
    assert unexplained == [("delta", "from ..alpha import routes  # why: x"),
                           ("gamma", "from ..alpha import routes")]
