"""The shape of the code, read from its imports: one direction, no cycles, no hidden I/O.

Imports point one way (DESIGN.md): the doors (cli, api, web, batch, journal) → service →
answers → clinical and pk → knowledge → codes and units. A module may import its own layer
and the layers below it, never above. Only the catalog loader (and the edges) touch files,
the environment or the clock.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "medguide"

# Lower number = lower layer. Each top-level module or package of medguide has one.
LAYER: dict[str, int] = {
    "codes": 0,
    "units": 0,
    "environment": 0,
    "knowledge": 1,
    "clinical": 2,
    "pk": 2,
    "answers": 3,
    "service": 4,
    "interop": 4,  # the FHIR mapping is shared by the service (assess_fhir) and the doors
    "evaluation": 6,
    "cli": 7,
    "api": 7,
    "web": 7,
    "batch": 7,
    "journal": 7,
    "__main__": 7,
}
PURE = ("codes", "units", "knowledge", "clinical", "pk", "answers", "service")
# The catalog loader and its cache read the knowledge files and the environment; the schema
# export writes the JSON Schemas on request; the in-repo question set is read by its scorer.
IO_ALLOWED = {
    "knowledge/catalog.py",
    "knowledge/loader.py",
    "knowledge/tables.py",
    "knowledge/schemas.py",
    "service/schemas.py",
    "knowledge/yamlfile.py",
    "answers/evaluate.py",
    "environment.py",
}
IO_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "getenv", "connect"}
CLOCK_CALLS = {"now", "today", "utcnow", "monotonic", "perf_counter", "time.time"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out[".".join(["medguide", *parts])] = path
    return out


MODULES = _modules()


def _type_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:` (never run: no runtime dependency)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def _imports(path: Path, runtime_only: bool = False) -> set[str]:
    """medguide modules imported anywhere in the file (inside functions too); with
    `runtime_only`, leaving out the imports made for type checking only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_only(tree) if runtime_only else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("medguide"))
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("medguide")
        ):
            module = str(node.module)
            found.add(module)
            found.update(
                f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES
            )
    return found


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_has_a_layer() -> None:
    tops = {_top(m) for m in MODULES if m != "medguide"}
    assert tops <= set(LAYER), tops - set(LAYER)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "medguide"))
def test_imports_point_down(module: str) -> None:
    mine = LAYER[_top(module)]
    upward = sorted(
        m
        for m in _imports(MODULES[module])
        if m != "medguide" and _top(m) in LAYER and LAYER[_top(m)] > mine
    )
    assert not upward, f"{module} (layer {mine}) imports {upward}"


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target in _imports(path, runtime_only=True):
            # a package import means its __init__; a name import may be a submodule
            if target in MODULES and target != module:
                graph[module].add(target)
    # A package's __init__ that re-exports its submodules is not a cycle of design: a module
    # importing its own package's __init__ is left out.
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, nxt])):
                return cycle
        state[node] = 2
        return None

    for module in sorted(MODULES):
        if module not in state and (cycle := visit(module, [module])):
            pytest.fail("import cycle: " + " → ".join(cycle))


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                names.add(f.id)
            elif isinstance(f, ast.Attribute):
                names.add(f.attr)
                if isinstance(f.value, ast.Name):
                    names.add(f"{f.value.id}.{f.attr}")
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            names.add("environ")
    return names


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for p in SRC.rglob("*.py")
        if p.relative_to(SRC).parts[0].removesuffix(".py") in PURE
        and p.relative_to(SRC).as_posix() not in IO_ALLOWED
    ),
    ids=lambda p: p.relative_to(SRC).as_posix(),
)
def test_no_io_and_no_clock_below_the_service_layer(path: Path) -> None:
    calls = _calls(path)
    io = calls & (IO_CALLS | {"environ"})
    if path.name == "retrieval.py":
        io -= {"connect"}  # an in-memory SQLite index, no file
    assert not io, f"{path.relative_to(SRC)} does I/O: {sorted(io)}"
    clock = calls & CLOCK_CALLS
    assert not clock, f"{path.relative_to(SRC)} reads the clock: {sorted(clock)}"
