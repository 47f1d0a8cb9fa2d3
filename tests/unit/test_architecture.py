"""The layers of `bot/`: every import goes down (or stays in its own package), and no import goes in a circle.

The layers, top to bottom, are listed in docs/development.md. Imports are read from the source with `ast`,
lazy ones inside functions included, so a shortcut taken inside a function is caught too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
MAX_MODULE_LINES = 400

# Top to bottom. A module may import from its own package and from any layer below its own, never from a
# layer above nor from another package of its own layer (except in OPEN_LAYERS, whose members share).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("commands", ("bot.cli", "bot.commands")),
    ("processes", ("bot.wiring",)),
    ("adapters", ("bot.channels", "bot.console", "bot.actions")),
    ("pages", ("bot.web",)),
    ("core", ("bot.conversation",)),
    ("privacy", ("bot.privacy",)),
    ("handoff", ("bot.handoff",)),
    ("engine", ("bot.engine",)),
    ("translation", ("bot.translation",)),
    ("content", ("bot.content",)),
    ("store", ("bot.store",)),
    (
        "foundation",
        (
            "bot.messages",
            "bot.cipher",
            "bot.redis_client",
            "bot.settings",
            "bot.settings_sms",
            "bot.settings_resume",
            "bot.settings_translate",
            "bot.whatsapp_settings",
            "bot.secret_files",
            "bot.logs",
            "bot.metrics",
            "bot.periodic",
            "bot.supervisor",
            "bot.i18n",
            "bot.countries",
            "bot.country_words",
            "bot.private_files",
            # The table of what each channel can do: the privacy controls and the core read it too.
            "bot.channels.capabilities",
            # How an SMS text is sent and counted (GSM-7 twins, segments): the content check holds a topic's
            # SMS words to a few segments with them.
            "bot.channels.sms_text",
            "bot.channels.sms_segments",
        ),
    ),
]
OPEN_LAYERS = {"commands", "foundation"}


def module_name(path: Path) -> str:
    """`bot/handoff/queue.py` → `bot.handoff.queue`; a package's `__init__.py` is the package."""
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def bot_modules() -> Iterator[Path]:
    """Every Python module of the app, migrations aside (Alembic loads them by path)."""
    for path in sorted(BOT.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imports_of(path: Path) -> set[str]:
    """The `bot` modules a file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "bot":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "bot"}
    return found


def place(module: str) -> tuple[int, str]:
    """(layer index, the package or module that owns it) of a `bot` module; the longest owner wins (a
    foundation module may live in an adapter's package)."""
    found = [
        (len(owner), index, owner)
        for index, (_name, owners) in enumerate(LAYERS)
        for owner in owners
        if module == owner or module.startswith(owner + ".")
    ]
    if found:
        _length, index, owner = max(found)
        return index, owner
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS and docs/development.md")


def graph() -> dict[str, set[str]]:
    """Module → the `bot` modules it imports."""
    return {module_name(path): imports_of(path) for path in bot_modules()}


def test_every_module_belongs_to_a_layer() -> None:
    for module in graph():
        if module != "bot":
            place(module)


def test_no_module_imports_from_a_layer_above_or_a_sibling_package() -> None:
    wrong = []
    for module, imported in graph().items():
        if module == "bot":
            continue
        layer, owner = place(module)
        for target in imported:
            target_layer, target_owner = place(target)
            sibling = target_layer == layer and target_owner != owner and LAYERS[layer][0] not in OPEN_LAYERS
            if target_layer < layer or sibling:
                wrong.append(f"{module} ({LAYERS[layer][0]}) imports {target} ({LAYERS[target_layer][0]})")
    assert wrong == []


def test_no_import_cycle() -> None:
    imports = graph()
    modules = set(imports)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(imports[module] & modules):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_module_is_longer_than_four_hundred_lines() -> None:
    long = {
        module_name(path): lines
        for path in bot_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
