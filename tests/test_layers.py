"""The layer map of docs/architecture.md holds: every import inside ``edge_sdk/`` (top-level, inside a function,
under ``TYPE_CHECKING``, relative or absolute) goes to its own layer or one below, no modules and no packages
import each other around a circle, and the runtime never imports tensorflow, conversion/ or device_bench/.

Read from the source with :mod:`ast` (nothing is imported), so a failure names the file and line to change.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = "edge_sdk"
FORBIDDEN = ("tensorflow", "conversion", "device_bench")  # the build and the benchmarks sit above the runtime


@dataclass(frozen=True)
class Import:
    """``source`` (a module) imports ``target`` (a module of the package) at ``where`` (file:line)."""

    source: str
    target: str
    where: str


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def scan(root: Path) -> tuple[set[str], list[Import], list[tuple[str, str]]]:
    """(modules, imports between them, (external module, where) of every other import) of the package at ``root``."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    pkg = root.name

    def resolve(name: str) -> str:
        while name not in files and "." in name:
            name = name.rsplit(".", 1)[0]
        return name

    imports: list[Import] = []
    external: list[tuple[str, str]] = []
    for mod, path in files.items():
        here = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                names = [f"{base}.{a.name}" for a in node.names]  # a submodule, or a name in module ``base``
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in
                  ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)):
                names = [node.args[0].value]
            where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
            for name in names:
                if name == pkg or name.startswith(pkg + "."):
                    target = resolve(name)
                    if target != mod:
                        imports.append(Import(mod, target, where))
                else:
                    external.append((name, where))
    return set(files), imports, external


def unit(module: str) -> str:
    """The package-level node of ``module``: ``edge_sdk.audio.vad`` -> ``audio``; the package itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(edges: list[tuple[str, str, str]]) -> list[list[tuple[str, str, str]]]:
    """One circle (its edges, each with where it is made) per strongly connected group of the graph
    ``edges`` = [(from, to, where)]."""
    out: dict[str, dict[str, str]] = {}
    for a, b, where in edges:
        if a != b:
            out.setdefault(a, {}).setdefault(b, where)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def connect(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in out.get(v, {}):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(out):
        if v not in index:
            connect(v)
    found = []
    for group in groups:
        start = min(group)
        paths = {start: [start]}
        todo = [start]
        while todo:  # shortest way from start back to it, inside the group
            v = todo.pop(0)
            for w in sorted(out.get(v, {})):
                if w == start:
                    path = paths[v] + [start]
                    found.append([(x, y, out[x][y]) for x, y in zip(path, path[1:])])
                    todo = []
                    break
                if w in group and w not in paths:
                    paths[w] = paths[v] + [w]
                    todo.append(w)
    return found


def read_layers(doc: Path) -> list[list[str]]:
    """The layers of the table under ``## Layers`` in ``doc``, top first: the names in backticks of its
    second column."""
    text = doc.read_text(encoding="utf-8")
    section = text.split("\n## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("|") and not set(ln) <= set("|- :")]
    return [re.findall(r"`([\w.]+)`", row.split("|")[2]) for row in rows[1:]]  # rows[0]: the header


def layer_errors(imports: list[Import], layers: list[list[str]]) -> list[str]:
    rank = {name: len(layers) - i for i, names in enumerate(layers) for name in names}  # higher = further up
    errors = []
    for imp in imports:
        a, b = unit(imp.source), unit(imp.target)
        if a in rank and b in rank and rank[b] > rank[a]:
            errors.append(f"{imp.where}: {imp.source} imports {imp.target}, a layer above it ({b} over {a})")
    return list(dict.fromkeys(errors))  # one line per import statement


def circle_errors(imports: list[Import]) -> list[str]:
    modules = [(i.source, i.target, i.where) for i in imports]
    packages = [(unit(i.source), unit(i.target), i.where) for i in imports]
    return [" -> ".join(f"{a} ({where})" for a, _, where in c) + f" -> {c[0][0]}"
            for c in cycles(modules) + cycles(packages)]


@pytest.fixture(scope="module")
def package() -> tuple[set[str], list[Import], list[tuple[str, str]]]:
    return scan(ROOT / PACKAGE)


@pytest.fixture(scope="module")
def layers() -> list[list[str]]:
    return read_layers(ROOT / "docs" / "architecture.md")


def test_the_layer_map_names_every_package_once(package, layers):
    modules, _, _ = package
    named = [n for names in layers for n in names]
    assert len(layers) >= 5 and len(named) == len(set(named)), f"a name in two layers: {named}"
    units = {unit(m) for m in modules}
    assert sorted(units - set(named)) == [], "add these to the layer table of docs/architecture.md"
    assert sorted(set(named) - units) == [], "the layer table of docs/architecture.md names what is not in edge_sdk/"


def test_no_import_goes_up_a_layer(package, layers):
    _, imports, _ = package
    errors = layer_errors(imports, layers)
    assert not errors, "\n".join(errors)


def test_no_import_circle(package):
    _, imports, _ = package
    errors = circle_errors(imports)
    assert not errors, "import circles:\n" + "\n".join(errors)


def test_runtime_never_imports_tensorflow_conversion_or_device_bench(package):
    _, _, external = package
    bad = [f"{where}: imports {name}" for name, where in external if name.split(".")[0] in FORBIDDEN]
    assert not bad, "\n".join(bad)


def test_the_checks_find_circles_upward_and_lazy_imports(tmp_path: Path):
    """The checker itself on a small package: a circle made by a lazy import, an upward import, and an
    import of the build, each named with its file and line."""
    pkg = tmp_path / "edge_sdk"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("import os\n\n\ndef f():\n    from .sub import high\n")
    (pkg / "sub" / "__init__.py").write_text("from . import high\n")
    (pkg / "sub" / "high.py").write_text("from edge_sdk import low\nfrom ..low import f\nimport conversion.fetch\n")
    modules, imports, external = scan(pkg)
    assert modules == {"edge_sdk", "edge_sdk.low", "edge_sdk.sub", "edge_sdk.sub.high"}
    circles = circle_errors(imports)
    assert any("edge_sdk.low (edge_sdk/low.py:5)" in c and "edge_sdk/sub/high.py:1" in c for c in circles), circles
    assert layer_errors(imports, [["sub"], ["low"]]) == [  # top first: sub may import low, not low sub
        "edge_sdk/low.py:5: edge_sdk.low imports edge_sdk.sub.high, a layer above it (sub over low)"]
    assert [e.split(": ")[0] for e in layer_errors(imports, [["low"], ["sub"]])] == [
        "edge_sdk/sub/high.py:1", "edge_sdk/sub/high.py:2"]
    assert ("conversion.fetch", "edge_sdk/sub/high.py:3") in external
