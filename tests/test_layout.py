"""The tree shows the architecture: layers import one way, the core knows nothing of Flask or
storage, and the README's developer map names every module (as sqlite-utils checks its docs)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lmcself"
# Lowest first: a layer may import its own layer and the ones before it, never one after it.
LAYERS = ("core", "storage", "central", "web", "staff", "commands")
# What the pure core must not import: the web framework, the command line, the database.
NOT_IN_CORE = ("flask", "flask_babel", "flask_wtf", "werkzeug", "jinja2", "click", "sqlite")


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "translations" not in p.parts)


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name (lmcself.web.api -> web); None for lmcself itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "lmcself" else None


def imports(path: Path) -> list[str]:
    """Every module the file imports (at the top or inside a function)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # Relative imports would hide the layer: the package imports by absolute names.
            assert node.level == 0, f"{path.name}: relative import of {node.module}"
            found.append(node.module or "")
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def own_layer(path: Path) -> str | None:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else None


def test_every_module_sits_in_a_layer():
    loose = [p.name for p in modules() if own_layer(p) is None and p.name != "__init__.py"]
    assert loose == [], "a module outside core/storage/central/web/staff/commands"
    assert {p.relative_to(PACKAGE).parts[0] for p in modules() if own_layer(p)} <= set(LAYERS)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_one_way(path):
    layer = own_layer(path)
    if layer is None:
        return  # lmcself/__init__.py, the application factory, wires every layer together
    for name in imports(path):
        target = layer_of(name)
        if target in LAYERS:
            assert LAYERS.index(target) <= LAYERS.index(layer), f"{layer} imports {name}"


@pytest.mark.parametrize(
    "path", [p for p in modules() if own_layer(p) == "core"], ids=lambda p: p.name
)
def test_the_core_imports_no_flask_and_no_storage(path):
    for name in imports(path):
        assert not name.split(".")[0].startswith(NOT_IN_CORE), f"core imports {name}"
        assert layer_of(name) in (None, "core"), f"core imports {name}"


def test_the_readmes_map_lists_every_module_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"^lmcself/([\w/]+\.py)\b", readme, re.MULTILINE))
    actual = {str(p.relative_to(PACKAGE)) for p in modules()}
    assert named == actual, (
        f"in the tree, not the README: {sorted(actual - named)}; "
        f"in the README, not the tree: {sorted(named - actual)}"
    )


def test_the_database_is_where_the_readme_says(tmp_path):
    """`instance/lmcself.db` by default (a module path must never leak into a file name)."""
    from lmcself import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["DATABASE"] == str(Path(app.instance_path) / "lmcself.db")
    assert "instance/lmcself.db" in (ROOT / "README.md").read_text(encoding="utf-8")
