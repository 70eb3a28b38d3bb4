"""Pilot tests of the app shell: panes, help, command palette, keymap, header."""

from __future__ import annotations

from rich.console import Console

from fixtures.pilot import until
from gotui.config import Settings
from gotui.ui.app import GotuiApp
from gotui.ui.help import HelpScreen, format_key
from gotui.ui.statusbar import PaneTabs, StatusBar


def rendered(widget) -> str:  # noqa: ANN001
    console = Console(width=200, record=True, color_system=None)
    console.print(widget.render())
    return console.export_text()


async def test_switch_panes_with_digits_and_tab(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.active_pane.PANE_ID == "images"
        for key, pane in (("2", "pods"), ("3", "hpa"), ("4", "releases"), ("1", "images")):
            await pilot.press(key)
            assert app.active_pane.PANE_ID == pane
            assert app.query_one(PaneTabs).active == pane
        await pilot.press("tab")
        assert app.active_pane.PANE_ID == "pods"
        await pilot.press("shift+tab", "shift+tab")
        assert app.active_pane.PANE_ID == "releases"
        assert "▸4 Releases" in rendered(app.query_one(PaneTabs))


async def test_help_lists_every_binding(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {desc for _, group in app.screen.groups for _, desc in group}
        for pane in app.panes:
            for binding in type(pane).BINDINGS:
                if getattr(binding, "description", ""):
                    assert binding.description in rows
        assert {"Quit", "Help", "Filter", "Refresh", "Yes, do it"} <= rows  # the confirmation dialog's keys too
        await pilot.press("q")
        assert not isinstance(app.screen, HelpScreen)
        assert app.is_running  # q closed help, it did not quit the app


async def test_command_palette_switches_pane(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to HPA")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.active_pane.PANE_ID == "hpa", what="the HPA pane from the palette")


async def test_header_shows_readonly_and_context(offline_settings: Settings) -> None:
    offline_settings.readonly = True
    offline_settings.context = "eu-prod"
    offline_settings.namespace = "shop"
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)):
        text = rendered(app.query_one(StatusBar))
        assert "READ-ONLY" in text and "eu-prod" in text and "shop" in text


async def test_bindings_can_be_remapped(offline_settings: Settings) -> None:
    offline_settings.keys = {"help": "f1", "pane.hpa": "f3"}
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        assert app.active_pane.PANE_ID == "hpa"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_q_quits(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


def test_format_key() -> None:
    assert format_key("ctrl+d") == "^d"
    assert format_key("question_mark") == "?"
    assert format_key("slash") == "/"


async def test_help_starts_with_the_active_pane_and_lists_keys_once(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.groups]
        assert titles[0] == "Releases pane" and titles[1] == "Everywhere"
        everywhere = dict(app.screen.groups)["Everywhere"]
        keys = [key for key, _ in everywhere]
        assert len(keys) == len(set(keys)), keys
