"""The package's modules import each other without cycles, and lower layers never import the
front ends: read from the source (lazy imports inside functions included), not by importing."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "notelint"
# Modules that run a program (command line, editor server, demo, batch runs, reports): nothing
# below them may import them.
FRONT_ENDS = ("notelint.cli", "notelint.demo", "notelint.batch", "notelint.audit", "notelint.lsp")
CORE_AND_READERS = (
    "notelint.analysis",
    "notelint.decide",
    "notelint.checks",
    "notelint.findings",
    "notelint.match",
    "notelint.note",
    "notelint.inputs",
    "notelint.fhir",
    "notelint.kb",
    "notelint.present",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The notelint modules ``path`` imports; ``from a import b`` counts ``a.b`` if a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in found if m in known and m != name}


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``, which never run."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return nodes


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    # The package itself is a facade re-exporting the public API (and ``__version__``): any
    # import of a submodule runs it first anyway, so it is left out of the layering.
    del modules["notelint"]
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        group.append(top)
                        if top == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


# The disk cache reads what the loader defines, and the loader reads through the cache: the one
# cycle allowed, within the kb layer. (The cache also reaches up into compiled_rules to build the
# matcher, so that the file holds it; nothing there imports the kb package back at run time.)
KNOWN_CYCLES = [["notelint.kb.cache", "notelint.kb.loader"]]


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == KNOWN_CYCLES


def test_core_readers_and_formats_do_not_import_front_ends() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(_graph().items())
        if _within(name, CORE_AND_READERS)
        for target in sorted(targets)
        if _within(target, FRONT_ENDS)
    ]
    assert wrong == []


def test_front_end_pairs_do_not_import_each_other() -> None:
    graph = _graph()
    for one, other in [("notelint.batch", "notelint.present"), ("notelint.cli", "notelint.demo")]:
        below = {m for m in graph if _within(m, (other,))}
        assert not any(_within(t, (one,)) for m in below for t in graph[m]), (other, one)


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "notelint.decide" in graph["notelint.analysis"]
    assert "notelint.present.json_format" in graph["notelint.batch"]


def test_matching_reads_scans_through_the_candidates_interface() -> None:
    """Evidence search and assertion context depend on ``candidates.Candidates``, not on the
    prefix index's Scan: the scan may be replaced by any implementation of the interface
    (``match.py`` still builds the default index from the rules)."""
    for name, allowed in (("context", set()), ("match", {"PrefixIndex", "reach_behind"})):
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        taken = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "notelint.prefix"
            for alias in node.names
        }
        assert taken <= allowed, f"{name}.py takes {sorted(taken - allowed)} from prefix.py"
