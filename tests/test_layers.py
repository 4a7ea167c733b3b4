"""The package's layers, read from the source (lazy imports inside functions included), not by
importing: the core imports nothing above it, the readers and the formats import the core and
the knowledge base only, front ends sit at the top, and no modules import each other in a cycle.

    core/, checks/, kb/      the pure analysis, its checks and the knowledge base
    inputs/, present/        what feeds the core (files, FHIR, configuration); what shows a report
    lsp/ and the top level   front ends: cli, batch, demo, audit (notelint report), spark,
                             evaluate, rulekit, phrases
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "notelint"

CORE = ("notelint.core", "notelint.checks")
KB = ("notelint.kb",)
INPUTS = ("notelint.inputs",)
PRESENT = ("notelint.present",)
LSP = ("notelint.lsp",)
# What each layer below the front ends may import (its own modules included).
ALLOWED = {
    CORE: CORE + KB,
    INPUTS: INPUTS + CORE + KB,
    PRESENT: PRESENT + CORE + KB,
    LSP: LSP + CORE + KB + INPUTS + PRESENT,
}
# Modules that run a program (command line, editor server, demo, batch runs, reports, Spark,
# scoring, the rule kit, phrase banks): the top level of the package and lsp/. Nothing below
# them imports them.
FRONT_ENDS = (
    "notelint.audit",
    "notelint.batch",
    "notelint.cli",
    "notelint.demo",
    "notelint.evaluate",
    "notelint.phrases",
    "notelint.rulekit",
    "notelint.spark",
    *LSP,
)
# Not a layer: ``python -m notelint`` and the switch between compiled and pure modules.
PLUMBING = ("notelint.__main__", "notelint._compiled")
# The knowledge base reads its patterns with the core's reader of their syntax, and its disk
# cache builds the compiled rules' matcher, so that the file holds it too (never to analyse;
# every memo belongs to an engine): all it takes from the core.
KB_USES_OF_CORE = ("notelint.core.regex_syntax", "notelint.core.compiled_rules")


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


def test_every_module_has_a_layer() -> None:
    """A new module goes in a layer's package or is a front end at the top, named above."""
    layers = (*CORE, *KB, *INPUTS, *PRESENT, *FRONT_ENDS, *PLUMBING)
    assert [name for name in sorted(_graph()) if not _within(name, layers)] == []


def test_layers_import_only_what_is_below_them() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(_graph().items())
        for layer, allowed in ALLOWED.items()
        if _within(name, layer)
        for target in sorted(targets)
        if not _within(target, allowed)
    ]
    assert wrong == []


def test_the_knowledge_base_takes_only_pattern_reading_and_compiling_from_the_core() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(_graph().items())
        if _within(name, KB)
        for target in sorted(targets)
        if not _within(target, KB) and target not in KB_USES_OF_CORE
    ]
    assert wrong == []


def test_nothing_below_the_front_ends_imports_one() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(_graph().items())
        if not _within(name, FRONT_ENDS + PLUMBING)
        for target in sorted(targets)
        if _within(target, FRONT_ENDS)
    ]
    assert wrong == []


def test_front_end_pairs_do_not_import_each_other() -> None:
    graph = _graph()
    for one, other in [("notelint.cli", "notelint.demo"), ("notelint.cli", "notelint.lsp")]:
        below = {m for m in graph if _within(m, (other,))}
        assert not any(_within(t, (one,)) for m in below for t in graph[m]), (other, one)


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "notelint.core.decide" in graph["notelint.core.analysis"]
    assert "notelint.present.json_format" in graph["notelint.batch"]
    assert "notelint.inputs.files" in graph["notelint.batch"]
    assert "notelint.core.regex_syntax" in graph["notelint.kb.safe_regex"]


def test_matching_reads_scans_through_the_candidates_interface() -> None:
    """Evidence search and assertion context depend on ``candidates.Candidates``, not on the
    prefix index's Scan: the scan may be replaced by any implementation of the interface
    (``match.py`` still builds the default index from the rules)."""
    for name, allowed in (("context", set()), ("match", {"PrefixIndex", "reach_behind"})):
        tree = ast.parse((PACKAGE / "core" / f"{name}.py").read_text(encoding="utf-8"))
        taken = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "notelint.core.prefix"
            for alias in node.names
        }
        assert taken <= allowed, f"{name}.py takes {sorted(taken - allowed)} from prefix.py"
