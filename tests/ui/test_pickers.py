"""The namespace picker at 80x24 against the sandbox: type to filter, the current namespace marked ●,
"all namespaces" first, a typed name that is not listed used anyway, and a 403 on listing namespaces
explained while a known namespace can still be typed."""

from __future__ import annotations

import pytest

from fixtures.pilot import make_settings, until
from gotui.ui.app import GotuiApp
from gotui.ui.context_picker import ALL_NAMESPACES, PickerScreen, valid_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]





def listed(screen: PickerScreen) -> list[str]:
    """The option rows as shown (plain text)."""
    lst = screen.option_list
    return [str(lst.get_option_at_index(i).prompt.plain) for i in range(lst.option_count)]


def highlighted_value(screen: PickerScreen) -> str:
    return screen.choices[screen.shown[screen.option_list.highlighted]][0]


def on_screen(app, widget) -> bool:
    """The widget is shown, whole, inside the 80x24 screen."""
    r = widget.region
    return bool(widget.display and r.height > 0 and r.x >= 0 and r.y >= 0
                and r.right <= app.size.width and r.bottom <= app.size.height)


async def open_picker(pilot, app) -> PickerScreen:
    await pilot.press("n")
    return await until(pilot, lambda: isinstance(app.screen, PickerScreen) and app.screen, what="namespace picker")


async def test_namespace_picker_filters_marks_current_and_takes_a_typed_name(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pods = app.pane("pods")
        await until(pilot, lambda: len(pods.rows) >= 7, what="pods listed")
        bridge = app.services["kube"]
        screen = await open_picker(pilot, app)
        await until(pilot, lambda: screen.option_list.option_count >= 3, what="options")
        rows = listed(screen)
        assert rows[0].strip() == "* all namespaces"
        # the current namespace is marked with a symbol (not colour alone) and highlighted
        assert "● shop" in rows and "  default" in rows, rows
        assert highlighted_value(screen) == "shop"
        assert screen.input.has_focus
        # type to filter: "all namespaces" stays first, the match is highlighted
        await pilot.press(*"def")
        rows = listed(screen)
        assert rows[0].strip() == "* all namespaces" and [r.strip() for r in rows[1:]] == ["default"], rows
        assert highlighted_value(screen) == "default"
        # Up reaches "all namespaces", Down comes back
        await pilot.press("up")
        assert highlighted_value(screen) == ALL_NAMESPACES
        await pilot.press("down")
        assert highlighted_value(screen) == "default"
        # a name that is not listed: a hint, then Enter uses it anyway
        screen.input.value = ""
        await pilot.press(*"team-x")
        assert [r.strip() for r in listed(screen)] == ["* all namespaces"]
        note = str(screen.query_one("#picker-note").render())
        assert "not in the list" in note and "Enter uses it anyway" in note
        assert on_screen(app, screen.query_one("#picker-note")) and on_screen(app, screen.input)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, PickerScreen), what="picker closed")
        await until(pilot, lambda: bridge.namespace == "team-x", what="switched to the typed namespace")
        # the sandbox has no such namespace: the pane says so
        await until(pilot, lambda: "does not exist" in str(pods.query_one("#pane-status").render()), what="404 message")
        # pick by filter + Enter: back to shop
        screen = await open_picker(pilot, app)
        await until(pilot, lambda: screen.option_list.option_count >= 3, what="options")
        assert "● team-x" in listed(screen)
        await pilot.press(*"sho", "enter")
        await until(pilot, lambda: bridge.namespace == "shop" and len(pods.rows) >= 7, what="back in shop")
        # "all namespaces" picked from the top of the list
        screen = await open_picker(pilot, app)
        await until(pilot, lambda: screen.option_list.option_count >= 3, what="options")
        await pilot.press("pageup")
        assert highlighted_value(screen) == ALL_NAMESPACES
        await pilot.press("enter")
        await until(pilot, lambda: bridge.context and bridge.namespace is None and bridge.state == "connected",
                    what="all namespaces")
        screen = await open_picker(pilot, app)
        await until(pilot, lambda: screen.option_list.option_count >= 3, what="options")
        assert listed(screen)[0] == "● * all namespaces"
        # an invalid typed name is refused in place
        await pilot.press(*"Bad_Name", "enter")
        assert isinstance(app.screen, PickerScreen)
        assert "not a valid name" in str(screen.query_one("#picker-note").render())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PickerScreen), what="cancelled")
        assert bridge.namespace is None


async def test_namespace_picker_when_listing_is_forbidden(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    sb.set_policy([{"verb": "list", "resource": "namespaces"}])
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pods = app.pane("pods")
        await until(pilot, lambda: len(pods.rows) >= 7, what="pods listed")
        bridge = app.services["kube"]
        screen = await open_picker(pilot, app)
        await until(pilot, lambda: screen.option_list.option_count >= 2, what="options")
        # the reason is shown, in the picker, with what to do
        note = str(screen.query_one("#picker-note").render())
        assert "cannot list namespaces" in note and "forbidden" in note.lower(), note
        assert "Type a namespace name" in note
        assert on_screen(app, screen.query_one("#picker-note")) and on_screen(app, screen.option_list)
        # what can be offered still is: all namespaces, and the current one (marked)
        assert [r.strip() for r in listed(screen)] == ["* all namespaces", "● shop"]
        # a namespace known to exist is reachable by typing it
        await pilot.press(*"default", "enter")
        await until(pilot, lambda: bridge.namespace == "default", what="switched by a typed name")
        await until(pilot, lambda: any(k == ("default", n) for k in pods.rows for n in [k[1]] if n.startswith("hello")),
                    what="pods of default")


def test_valid_namespace():
    assert valid_namespace("shop") and valid_namespace("team-x") and valid_namespace("a1")
    for bad in ("", "Shop", "-a", "a-", "a_b", "a" * 64, "a b", "a\x1b"):
        assert not valid_namespace(bad), bad
