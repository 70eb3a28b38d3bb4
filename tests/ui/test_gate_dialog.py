"""The action gate's dialog and its edges, offline (no cluster, no engine): fits at 60x20, Tab / Enter /
q in the dialog, one dialog per action, quitting while an action runs, an unwritable audit log,
ctrl+u in the filter, read-only Images."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from fixtures.bursts import burst
from fixtures.pilot import until
from gotui.config import Settings
from gotui.ops.actions import Action
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.context_picker import PickerScreen
from gotui.ui.docker_screens import BuildScreen
from gotui.ui.panes.base import FilterBar
from gotui.ui.panes.images import ImagesPane

TALL = " ⏎ ".join(f"step {i}: scale go-api-green from 3 to 6 replicas, wait until every pod is Ready" for i in range(30))


def rollback(context: str = "eu-prod-1") -> Action:
    return Action("rollback", "service", "nginx-proxy-q", namespace="shop", context=context, detail=TALL,
                  preview="kubectl -n shop patch service go-api -p '{\"spec\":{\"selector\":{\"version\":\"blue\"}}}'")


class Target:
    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.release.set()

    def run(self) -> str:
        self.calls += 1
        self.release.wait(30)
        return "done"


def entries(settings: Settings) -> list[dict]:
    path = Path(settings.audit_log)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def inside(app: GotuiApp, selector: str) -> bool:
    """The widget is drawn whole: inside the terminal and not clipped by its container."""
    widget = app.screen.query_one(selector)
    try:
        geometry = app.screen._compositor.find_widget(widget)
    except Exception:  # noqa: BLE001 - not on screen at all
        return False
    width, height = app.size
    region = geometry.region
    return (region.height > 0 and region.bottom <= height and region.right <= width
            and geometry.clip.contains_region(region))


async def test_tall_protected_dialog_keeps_buttons_and_name_input_on_screen(offline_settings: Settings) -> None:
    for size in ((80, 24), (60, 20)):
        app = GotuiApp(offline_settings)
        target = Target()
        async with app.run_test(size=size) as pilot:
            app.gate.perform(rollback(), target.run)
            await until(pilot, lambda a=app: isinstance(a.screen, ConfirmModal) and a.screen.query("#confirm-ok"), what="dialog")
            await pilot.pause()
            for selector in ("#confirm-ok", "#confirm-cancel", "#confirm-name", "#confirm-title"):
                assert inside(app, selector), (size, selector, app.screen.query_one(selector).region)
            await burst(pilot, "pagedown", "pagedown")
            assert app.screen.query_one("#confirm-body").scroll_y > 0
            # `y` moves to the name input; then y, n and q are letters of the name, not answers
            await burst(pilot, "y", *"nginx-proxy-q", "enter")
            await until(pilot, lambda t=target: t.calls == 1, what="ran after the typed name")


async def test_tab_moves_between_buttons_enter_presses_q_cancels(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    target = Target()
    action = Action("delete", "pod", "p1", namespace="shop", context="staging")
    async with app.run_test(size=(80, 24)) as pilot:
        app.gate.perform(action, target.run)
        await until(pilot, lambda: isinstance(app.focused, object) and getattr(app.focused, "id", None) == "confirm-cancel",
                    what="Cancel focused")
        await burst(pilot, "tab")
        assert app.focused.id == "confirm-ok"
        await burst(pilot, "shift+tab")
        assert app.focused.id == "confirm-cancel"
        await burst(pilot, "enter")  # Enter on Cancel cancels
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="closed")
        app.gate.perform(action, target.run)
        await burst(pilot, "q")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="closed by q")
        assert app.is_running
        app.gate.perform(action, target.run)
        await burst(pilot, "tab", "enter")  # Enter on Confirm confirms
        await until(pilot, lambda: target.calls == 1, what="ran")
    assert [e["outcome"] for e in entries(offline_settings)] == ["cancelled", "cancelled", "started", "ok"]


async def test_second_request_while_pending_or_running_is_a_no_op(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    target = Target()
    target.release.clear()
    action = Action("stop", "container", "web", context="unix:///docker.sock")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            app.gate.perform(action, target.run)
        assert sum(isinstance(s, ConfirmModal) for s in app.screen_stack) == 1
        await burst(pilot, "y")
        await until(pilot, lambda: target.calls == 1, what="running")
        app.gate.perform(action, target.run)  # pressed again while it runs
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmModal)
        target.release.set()
        await until(pilot, lambda: not app.gate.pending, what="finished")
    assert target.calls == 1
    assert [e["outcome"] for e in entries(offline_settings)] == ["started", "ok"]


async def test_quit_while_running_asks_then_waits_for_the_audit_line(offline_settings: Settings) -> None:
    from gotui.ui.confirm import QuitWhileRunning

    for quit_key in ("q", "ctrl+c"):
        app = GotuiApp(offline_settings)
        target = Target()
        target.release.clear()
        async with app.run_test(size=(80, 24)) as pilot:
            app.gate.perform(Action("restart", "container", "web", context="d"), target.run)
            await burst(pilot, "y")
            await until(pilot, lambda t=target: t.calls == 1, what="running")
            await burst(pilot, quit_key)
            assert isinstance(app.screen, QuitWhileRunning)
            await burst(pilot, "n")
            assert app.is_running and not isinstance(app.screen, QuitWhileRunning)
            await burst(pilot, quit_key, "y")
            await pilot.pause(0.2)
            assert app.is_running  # still waiting for the action
            target.release.set()
            await until(pilot, lambda a=app: not a.is_running, what="quit after the action")
        assert [e["outcome"] for e in entries(offline_settings)][-2:] == ["started", "ok"]


async def test_unwritable_audit_log_refuses_before_running(offline_settings: Settings, tmp_path: Path) -> None:
    offline_settings.audit_log = tmp_path / "audit-is-a-dir"
    offline_settings.audit_log.mkdir()
    app = GotuiApp(offline_settings)
    target = Target()
    async with app.run_test(size=(80, 24)) as pilot:
        app.gate.perform(Action("delete", "pod", "p1", namespace="shop", context="staging"), target.run)
        await burst(pilot, "y")
        await until(pilot, lambda: any("audit-is-a-dir" in str(n.message) for n in app._notifications),
                    what="the refusal naming the audit log")
        await app.workers.wait_for_complete()
        assert app.is_running
    assert target.calls == 0


async def test_ctrl_u_in_the_filter_clears_it_and_stays(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await burst(pilot, "slash", "p", "r", "o", "ctrl+u", "c", "x", "y")
        bar = pane.query_one(FilterBar)
        assert bar.value == "cxy" and app.focused is bar
        assert not any(isinstance(s, PickerScreen) for s in app.screen_stack)
        await burst(pilot, "escape")
        await until(pilot, lambda: app.focused is not bar, what="escape leaves the filter")
        assert bar.value == ""


async def test_read_only_images_hides_and_refuses_mutations(tmp_path: Path) -> None:
    settings = Settings(audit_log=tmp_path / "a.jsonl", config_path=tmp_path / "c.yaml", readonly=True,
                        docker_host=f"unix://{tmp_path}/no.sock")
    pane = ImagesPane()
    app = GotuiApp(settings, panes=[pane])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for action in ("delete", "force_delete", "prune", "build", "tag", "stop", "restart"):
            assert pane.check_action(action, ()) is False, action
        footer = " ".join(b.binding.description for b in app.active_bindings.values() if b.enabled and b.binding.show)
        assert "Delete" not in footer and "Prune" not in footer and "Build" not in footer
        await burst(pilot, "b", "ctrl+d", "x")
        await pilot.pause(0.1)
        assert not any(isinstance(s, (BuildScreen, ConfirmModal)) for s in app.screen_stack)
        assert any("read-only" in str(n.message) for n in app._notifications)
