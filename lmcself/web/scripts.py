"""The phone's ES modules joined into one script for browsers, made from the sources at start.

Development stays on plain, dependency-free ES modules in static/js (Node's tests and
`JS_MODULES = True` load them one by one). Browsers get one file instead of nine: one request,
one set of headers and one compression window, so a first visit takes 15-16 KB less (bench/pwa.py).
Each module becomes a function scope in dependency order; its `export`s become the properties of the
object its importers receive (`import * as x` gets the object, `import { a }` takes `a` from it),
and its comments go. The script is made from the files on disk, so it never lags behind them;
`tests/test_scripts.py` runs the parity vectors through it and checks that it keeps every line of
code of every module.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

STATIC = Path(__file__).resolve().parents[2] / "static"
ENTRY = "js/main.js"
IMPORT = re.compile(r'^import (?:\* as (\w+)|\{([^}]*)\}) from "([^"]+)";\n', re.MULTILINE)
EXPORT = re.compile(r"^(\s*)export (function|var|const|let) (\w+)", re.MULTILINE)
# Comments the sources write on lines of their own (the only kind the joined script drops): a block
# starting a line, up to its end, or a line that is one // comment. The sources have no template
# literals, so a line never starts inside a string.
BLOCK_COMMENT = re.compile(r"^[ \t]*/\*.*?\*/[ \t]*\n", re.MULTILINE | re.DOTALL)
LINE_COMMENT = re.compile(r"^[ \t]*//[^\n]*\n", re.MULTILINE)


@dataclass(frozen=True)
class Module:
    name: str  # path under static/, e.g. "js/fill.js"
    body: str  # the source without its imports and `export` keywords
    imports: tuple[tuple[str, str], ...]  # (how it binds, module name)
    exports: tuple[str, ...]


def _resolve(importer: str, spec: str) -> str:
    parts: list[str] = []
    for part in (PurePosixPath(importer).parent / spec).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def parse(name: str, source: str) -> Module:
    imports = []
    for star, names, spec in IMPORT.findall(source):
        target = _resolve(name, spec)
        if star:
            imports.append((f"var {star} = {_var(target)};", target))
        else:
            pairs = [p.split(" as ") for p in (n.strip() for n in names.split(",")) if p]
            binding = ", ".join(
                f"{p[0].strip()}: {p[1].strip()}" if len(p) == 2 else p[0] for p in pairs
            )
            imports.append((f"var {{ {binding} }} = {_var(target)};", target))
    exports = tuple(m.group(3) for m in EXPORT.finditer(source))
    body = EXPORT.sub(r"\1\2 \3", IMPORT.sub("", source))
    body = LINE_COMMENT.sub("", BLOCK_COMMENT.sub("", body))
    if re.search(r"^\s*(import|export)\b", body, re.MULTILINE):
        raise ValueError(f"{name}: an import or export the joiner cannot read")
    return Module(name, body, tuple(imports), exports)


def _var(name: str) -> str:
    return "m_" + re.sub(r"\W", "_", name)


def modules(entry: str = ENTRY, root: Path = STATIC) -> list[Module]:
    """Every module the entry loads, each after the modules it imports."""
    ordered: list[Module] = []
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"import cycle: {' -> '.join((*path, name))}")
        module = parse(name, (root / name).read_text(encoding="utf-8"))
        for _binding, target in module.imports:
            visit(target, (*path, name))
        done.add(name)
        ordered.append(module)

    visit(entry, ())
    return ordered


def join(ordered: list[Module], library: bool = False) -> str:
    """One script of the modules. The entry runs, nothing imports it; a `library` (for the
    tests) keeps every module's exports and exports each module's object instead."""
    out = ["/* lmcself on the phone: static/js's modules joined by lmcself/web/scripts.py. */\n"]
    for module in ordered:
        head = "".join(binding + "\n" for binding, _target in module.imports)
        if module is ordered[-1] and not library:
            out.append(f"(function () {{\n{head}{module.body}}})();\n")
        else:
            names = ", ".join(module.exports)
            out.append(
                f"var {_var(module.name)} = (function () {{\n{head}{module.body}"
                f"return {{ {names} }};\n}})();\n"
            )
    if library:
        out.append(f"export {{ {', '.join(_var(m.name) for m in ordered)} }};\n")
    return "".join(out)


@dataclass(frozen=True)
class JoinedScript:
    text: bytes
    gzip: bytes
    brotli: bytes | None
    digest: str  # of the text: its address changes with it


@cache
def joined_script() -> JoinedScript:
    """The script, compressed once at the strongest settings (pages are compressed per request)."""
    text = join(modules()).encode()
    try:
        import brotli as brotli_module  # type: ignore[import-untyped]

        compressed: bytes | None = brotli_module.compress(text, quality=11)
    except ImportError:  # Flask-Compress brings it; without it, gzip serves every browser
        compressed = None
    return JoinedScript(
        text,
        gzip.compress(text, compresslevel=9, mtime=0),
        compressed,
        hashlib.sha256(text).hexdigest()[:12],
    )
