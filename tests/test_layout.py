"""The layout's rules, measured on the code (README, "Architecture"): the import graph has no
circle — between files, nor between feature packages —, the engine imports nothing of the
site, the API kit and the shared ground import no feature, and the files stay small."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ("accounts", "photos", "pictures", "styles", "explorations", "batches", "clips",
            "webhooks", "budgets", "jobs")
SHARED = ("gallery.models", "gallery.querysets", "gallery.errors", "gallery.web", "gallery.forms",
          "gallery.storage", "gallery.fallback", "gallery.api")


def _sources():
    for top in ("gallery", "stylize"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in _sources()}


def _imports(path: Path) -> set[str]:
    """Every module of ours that ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in MODULES:  # "gallery.jobs.JobContext" → gallery.jobs
                name = name.rpartition(".")[0]
            if name and not (isinstance(node, ast.ImportFrom) and name == node.module
                             and any(f"{node.module}.{a.name}" in MODULES for a in node.names)):
                found.add(name)
    found.discard(_module(path))
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on.discard(w)
                members.append(w)
                if w == v:
                    break
            if len(members) > 1:
                out.append(sorted(members))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _unit(name: str) -> str:
    """A file's room on the plan: its feature package, the engine, or itself."""
    parts = name.split(".")
    if parts[0] == "stylize":
        return "stylize"
    if len(parts) > 2 and parts[1] in (*FEATURES, "api", "management"):
        return ".".join(parts[:2])
    return name


def test_the_graph_is_read_from_the_code():
    assert len(MODULES) > 80
    assert "gallery.pictures.services" in GRAPH["gallery.pictures.api"]
    assert "gallery.jobs.fair_queue" in GRAPH["gallery.jobs.worker"]  # a function-level import
    assert "gallery.jobs.fair_queue" in GRAPH["gallery.tasks"]


def test_no_import_circle_between_files():
    assert _circles(GRAPH) == []


def test_no_import_circle_between_feature_packages_or_the_engine():
    units: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        units.setdefault(_unit(name), set()).update(_unit(t) for t in targets if _unit(t) != _unit(name))
    assert _circles(units) == []


def test_the_circle_check_can_fail():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_engine_imports_nothing_of_the_site():
    upward = {name: sorted(t for t in targets if t.startswith("gallery"))
              for name, targets in GRAPH.items() if name.startswith("stylize")}
    assert {name: t for name, t in upward.items() if t} == {}


@pytest.mark.parametrize("shared", SHARED)
def test_the_shared_ground_and_the_api_kit_import_no_feature(shared):
    features = tuple(f"gallery.{f}" for f in FEATURES)
    bad = {name: sorted(t for t in targets if t.startswith(features))
           for name, targets in GRAPH.items() if name == shared or name.startswith(shared + ".")}
    assert {name: t for name, t in bad.items() if t} == {}


def test_gallery_top_level_stays_small_and_has_no_layer_files():
    top = sorted(p.name for p in (ROOT / "gallery").glob("*.py"))
    assert len(top) <= 14, top
    assert not [name for name in top if name.startswith("views_")]


def test_no_source_file_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in [*_sources(), *(ROOT / "tests").rglob("*.py"),
                                                   *(ROOT / "bench").rglob("*.py")]
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}
