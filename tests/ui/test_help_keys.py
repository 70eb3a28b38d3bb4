"""Keys come from one registry (ui/keys.py) read live: a key remapped under `keys:` shows remapped in
`?` and in the command palette, `?` shows every binding's id, and `?` scrolls by keyboard at 80x24."""

from __future__ import annotations

import re

from rich.console import Console
from textual.command import CommandList
from textual.widgets import Static

from fixtures.pilot import until
from gotui.config import Settings
from gotui.ui import keys
from gotui.ui.app import GotuiApp
from gotui.ui.help import HelpScreen, binding_rows
from gotui.ui.palette import ActionsProvider
from gotui.ui.pod_logs import PodLogsScreen


def help_text(screen: HelpScreen) -> list[str]:
    """The help table as plain lines, as drawn at the screen's width."""
    console = Console(width=screen.app.size.width - 4, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(screen.query_one("#help-table", Static).content)
    return console.export_text().splitlines()


def row(lines: list[str], key: str, description: str, binding_id: str) -> bool:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s+{re.escape(description)}\s+{re.escape(binding_id)}\s*$")
    return any(pattern.match(line) for line in lines)


async def test_help_shows_remapped_keys_and_ids(offline_settings: Settings) -> None:
    offline_settings.keys = {"help": "f1", "pods.delete": "ctrl+x", "pane.hpa": "f3", "kube.context": "C"}
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "f1")
        screen = await until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen.is_mounted and app.screen,
                             what="help open")
        lines = help_text(screen)
        assert row(lines, "^x", "Delete", "pods.delete"), lines
        assert not any(re.search(r"\^d\s+Delete\s+pods\.delete", line) for line in lines)
        assert row(lines, "f1", "Help", "help") and row(lines, "f3", "HPA", "pane.hpa")
        assert row(lines, "C", "Context", "kube.context") and row(lines, "q", "Quit", "quit")
        # every binding with an id that the panes and the app declare is listed with it
        listed = {r.binding_id for _, rows in screen.sections for r in rows}
        for cls in [type(app), *(type(p) for p in app.panes)]:
            for binding in keys.bindings_of(cls):
                if binding.id and binding.description:
                    assert binding.id in listed, binding.id
        # dialogs and views are listed too (the confirmation dialog, the log view, ...)
        titles = [title for title, _ in screen.sections]
        assert titles[:2] == ["Pods pane", "Everywhere"]
        assert {"Confirmation dialog", "Log view", "Pod logs", "Tables"} <= set(titles), titles
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")


async def test_palette_shows_remapped_keys(offline_settings: Settings) -> None:
    offline_settings.keys = {"help": "f1", "pods.delete": "ctrl+x", "pane.hpa": "f3", "history": "ctrl+h"}
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        commands = {name: help_text for name, _, help_text in ActionsProvider(app.screen)._commands()}
        assert commands["Pods: Delete"] == "key ^x"
        assert commands["Help: list every key"] == "key f1"
        assert commands["Go to HPA"] == "key f3" and commands["Audit history"] == "key ^h"
        assert commands["Images: Delete"] == "key ^d"  # not remapped
        # the palette itself, driven by keys: the hit for the remapped binding says the new key
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Pods: Delete")
        await until(pilot, lambda: "Pods: Delete\nkey ^x" in [str(o.prompt) for o in app.screen.query_one(CommandList).options],
                    what="the palette's hit with key ^x")


async def test_help_scrolls_by_keyboard_at_80x24(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        screen = await until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen.is_mounted and app.screen,
                             what="help open")
        box = screen.query_one("#help-box")
        await until(pilot, lambda: box.max_scroll_y > 20, what="help taller than the screen")
        await pilot.press("end")
        await until(pilot, lambda: box.scroll_y == box.max_scroll_y, what="End scrolls to the bottom")
        await pilot.press("home", "j", "j", "down")
        await until(pilot, lambda: box.scroll_y == 3, what="Home then j j down")
        await pilot.press("k", "up")
        await until(pilot, lambda: box.scroll_y == 1, what="k up")
        await pilot.press("pagedown")
        await until(pilot, lambda: box.scroll_y >= 15, what="PgDn scrolls a page")
        await pilot.press("pageup")
        await until(pilot, lambda: box.scroll_y == 1, what="PgUp scrolls back")
        await pilot.press("G")
        await until(pilot, lambda: box.scroll_y == box.max_scroll_y, what="G to the bottom")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")


def test_help_screen_applies_the_keymap_to_rows_given_to_it() -> None:
    """Screens that build their own `?` (pod logs) get the keymap and the ids too."""
    screen = HelpScreen([("Pod logs", binding_rows(list(PodLogsScreen.BINDINGS)))], keymap={"podlogs.previous": "ctrl+o"})
    (title, rows), = screen.sections
    assert keys.KeyRow("ctrl+o", "Previous", "podlogs.previous") in rows
    assert ("ctrl+o", "Previous") in dict(screen.groups)["Pod logs"] and ("P", "Previous") not in dict(screen.groups)["Pod logs"]


def test_registry_ids_and_key_names() -> None:
    reg = keys.registry()
    assert {"pods.delete", "help", "pane.hpa", "kube.context", "confirm.yes", "logview.search"} <= set(reg)
    assert keys.key_of("pods.delete") == "^d" and keys.key_of("help") == "?"
    for good in ("x", "X", "ctrl+x", "f5", "pageup", "question_mark", "j,down", "shift+tab", "ctrl+shift+up", "3", "full_stop"):
        assert keys.key_problem(good) is None, good
    for bad in ("ctrl+", "ctrl+shft+x", "pgdn", "f99", "control-x", "ctrl x"):
        assert keys.key_problem(bad), bad


async def test_footer_shows_remapped_keys(offline_settings: Settings) -> None:
    offline_settings.keys = {"help": "f1", "quit": "ctrl+q"}
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        shown = await until(pilot, lambda: {k.description: k.key for k in app.query("FooterKey")} or None, what="footer keys")
        assert shown.get("Help") == "f1" and shown.get("Quit") == "ctrl+q", shown
