"""The key registry: every binding of gotui's screens and widgets, found in their `BINDINGS`, with its
id, resolved through the active keymap (the config's `keys:`, applied by `App.set_keymap`).

`?` (ui/help.py), the command palette (ui/palette.py) and hints ("press c") read keys from here, so a
remapped key shows as remapped everywhere; the footer already reads Textual's live bindings. The
config check at start-up (`check_settings`) uses it to reject unknown ids and invalid key names.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import KEY_NAME_REPLACEMENTS, Keys

from gotui.config import ConfigError, Settings

_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc", "shift+tab": "S-tab", "space": "space", "colon": ":",
          "minus": "-", "left_square_bracket": "[", "right_square_bracket": "]"}
_MODIFIERS = ("ctrl+", "shift+", "alt+", "meta+", "super+", "hyper+")
_NAMED_KEYS = {k.value.rsplit("+", 1)[-1] for k in Keys if not k.value.startswith("<")} | set(KEY_NAME_REPLACEMENTS.values())
# Titles of the help groups whose class name does not read well on its own.
_TITLES = {"GotuiApp": "Everywhere", "ConfirmModal": "Confirmation dialog", "PickerScreen": "Context / namespace picker",
           "VirtualTable": "Tables", "LogLines": "Log view (scrolling)", "HelpScreen": "This help",
           "LimitsModal": "HPA min/max", "TagModal": "Tag image", "AskNumber": "Number prompt",
           "ResourceView": "Resource view (:KIND; u s R i on workloads)", "AskText": "Text prompt", "ResourceDescribeScreen": "Describe (any kind)",
           "PortForwardsScreen": "Port-forwards (f on Pods, :pf)", "AskPort": "Port-forward prompt",
           "ReopenKept": "Reopen a kept edit (e)"}
# Keys that are no binding of ours but are worth listing with a group (Textual's own).
_EXTRA_ROWS = {"GotuiApp": [("ctrl+p", "Command palette")], "ConfirmModal": [("tab", "Move between buttons")]}
# The `:` line reads its keys itself (no bindings): listed as a group of their own in `?`.
COMMAND_LINE_ROWS = [("tab", "Complete the name"), ("up", "Earlier commands (down: later)"),
                     ("enter", "Run it"), ("escape", "Close it")]


class KeyRow(NamedTuple):
    """One line of `?`: the key as it is now (keymap applied), what it does, its id for `keys:`."""

    key: str
    description: str
    binding_id: str = ""


@dataclass(frozen=True)
class Entry:
    """A binding in the registry and the class (screen or widget) that declares it."""

    binding: Binding
    owner: type


def format_key(key: str) -> str:
    """`ctrl+d` -> `^d`, `question_mark` -> `?`, `slash` -> `/`; alternatives joined with `/`."""
    parts = []
    for one in key.split(","):
        one = one.strip()
        if one in _NAMES:
            parts.append(_NAMES[one])
        elif one.startswith("ctrl+"):
            parts.append("^" + one[5:])
        else:
            parts.append(one)
    return "/".join(parts)


def active_keymap(app: Any = None) -> Mapping[str, str]:
    """The keymap in force: binding id -> key string (Textual's normalised form)."""
    if app is None:
        from textual._context import active_app

        try:
            app = active_app.get()
        except LookupError:
            return {}
    return getattr(app, "_keymap", None) or {}  # set by App.set_keymap / update_keymap


def effective_key(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The key(s) that trigger `binding` now."""
    return keymap.get(binding.id, binding.key) if binding.id else binding.key


def _as_binding(b: Binding | tuple[str, ...]) -> Binding:
    """A Binding from a Binding or a (key, action[, description]) tuple."""
    return b if isinstance(b, Binding) else Binding(b[0], b[1], b[2] if len(b) > 2 else "")


def bindings_of(cls: type) -> list[Binding]:
    """The bindings `cls` has, its own first then inherited ones (a key or id defined lower wins)."""
    out: list[Binding] = []
    seen: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("textual."):
            break  # Textual's own widget keys (scrolling, focus, copy) are not listed
        for b in klass.__dict__.get("BINDINGS", []):
            binding = _as_binding(b)
            mark = binding.id or binding.key
            if mark not in seen:
                seen.add(mark)
                out.append(binding)
    return out


def rows(bindings: Iterable[Binding | tuple[str, ...]], keymap: Mapping[str, str] | None = None) -> list[KeyRow]:
    """`KeyRow`s for the bindings that have a description, with the keymap applied (once per key)."""
    keymap = active_keymap() if keymap is None else keymap
    out: list[KeyRow] = []
    seen: set[tuple[str, str]] = set()
    for b in bindings:
        binding = _as_binding(b)
        if not binding.description:
            continue
        row = KeyRow(effective_key(binding, keymap), binding.description, binding.id or "")
        if (row.key, row.description) not in seen:
            seen.add((row.key, row.description))
            out.append(row)
    return out


def relabel(row: KeyRow | tuple[str, ...], keymap: Mapping[str, str]) -> KeyRow:
    """`row` with its key taken from the keymap when its id is remapped (plain tuples pass through)."""
    if not isinstance(row, KeyRow):
        return KeyRow(*row[:3])
    return row._replace(key=keymap[row.binding_id]) if row.binding_id in keymap else row


@cache
def owners() -> tuple[type, ...]:
    """Every class under gotui.ui that declares BINDINGS (each module imported once)."""
    import gotui.ui

    found: list[type] = []
    for info in pkgutil.walk_packages(gotui.ui.__path__, "gotui.ui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, DOMNode) and "BINDINGS" in cls.__dict__:
                found.append(cls)
    return tuple(found)


def registry() -> dict[str, Entry]:
    """Binding id -> its binding and declaring class (the first declaration of a shared id)."""
    out: dict[str, Entry] = {}
    for cls in owners():
        for b in cls.__dict__["BINDINGS"]:
            if isinstance(b, Binding) and b.id and b.id not in out:
                out[b.id] = Entry(b, cls)
    return out


def title_of(cls: type) -> str:
    """A help group title for a screen or widget class."""
    if cls.__name__ in _TITLES:
        return _TITLES[cls.__name__]
    pane_title = getattr(cls, "TITLE", "") if getattr(cls, "PANE_ID", "") else ""
    if pane_title:
        return f"{pane_title} pane"
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*", cls.__name__)
    words = [w for w in words if w not in ("Screen", "Modal")] or words
    return " ".join([words[0]] + [w.lower() if len(w) > 1 and not w.isupper() else w for w in words[1:]])


def group(cls: type, keymap: Mapping[str, str]) -> list[KeyRow]:
    """The `?` rows of one class: its (and its bases') described bindings, plus listed extras."""
    return rows(bindings_of(cls), keymap) + [KeyRow(k, d) for k, d in _EXTRA_ROWS.get(cls.__name__, [])]


def key_of(binding_id: str, app: Any = None) -> str:
    """The display form of the key bound to `binding_id` now (e.g. `c`, `^d`), for hints."""
    keymap = active_keymap(app)
    if binding_id in keymap:
        return format_key(keymap[binding_id])
    entry = registry().get(binding_id)
    return format_key(entry.binding.key) if entry else "?"


# -- config check ---------------------------------------------------------------------------------
def key_problem(key_string: str) -> str | None:
    """Why `key_string` ("ctrl+x", "f5", "j,down") is not a key name Textual can bind, or None."""
    for part in key_string.split(","):
        part = part.strip()
        base = part
        while base.startswith(_MODIFIERS) and base != "+":
            base = base.split("+", 1)[1]
        if not base:
            return f"{part!r} has no key after the modifier"
        if len(base) == 1 and base.isprintable():
            continue
        if base in _NAMED_KEYS:
            continue
        try:
            if len(unicodedata.lookup(base.replace("_", " ").upper())) == 1:  # question_mark, full_stop, ...
                continue
        except KeyError:
            pass
        return f"{part!r} is not a key name"
    return None


def check_settings(settings: Settings) -> None:
    """Raise ConfigError (file, line, fix) for an unknown binding id or an invalid key in `keys:`.
    Nothing to check, nothing imported: the registry imports every UI module (a second at start-up)."""
    if not settings.keys:
        return
    ids = registry()
    for binding_id, key in settings.keys.items():
        where = settings.where(f"keys.{binding_id}")
        if binding_id not in ids:
            close = difflib.get_close_matches(binding_id, list(ids), n=1, cutoff=0.6)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"{where}: keys: unknown binding id {binding_id!r}. {hint}"
                              "Use an id from the right-hand column of gotui's ? screen.")
        problem = key_problem(key)
        if problem:
            raise ConfigError(f"{where}: keys: {binding_id}: {problem}. Write a key like x, X, ctrl+x, f5, "
                              "pageup, question_mark, or several separated by commas.")
