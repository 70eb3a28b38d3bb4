"""The one gate: read-only refusal, confirmation modal, typed name on protected contexts, audit."""

from __future__ import annotations

import threading

from gotui.config import Settings
from gotui.ops.actions import Action
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal


def delete_pod(context: str = "staging") -> Action:
    return Action("delete", "pod", "go-api-7f9", namespace="shop", context=context, preview="kubectl delete pod go-api-7f9 -n shop")


class Target:
    """Something the action would destroy; records whether the runner ran."""

    def __init__(self) -> None:
        self.deleted = threading.Event()

    def delete(self) -> str:
        self.deleted.set()
        return "pod go-api-7f9 deleted"


async def open_modal(app: GotuiApp, pilot, action: Action, target: Target) -> None:  # noqa: ANN001
    app.gate.perform(action, target.delete)
    for _ in range(20):
        await pilot.pause(0.02)
        if isinstance(app.screen, ConfirmModal) and app.focused is not None:
            return
    raise AssertionError("the confirmation modal did not open")


async def settle(pilot, app: GotuiApp) -> None:  # noqa: ANN001
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_cancel_keeps_target_and_cancel_has_focus(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    target = Target()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, delete_pod(), target)
        assert app.focused is not None and app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # Enter on the focused Cancel button
        await settle(pilot, app)
        assert not target.deleted.is_set()
        assert not isinstance(app.screen, ConfirmModal)
        for key in ("n", "escape"):
            await open_modal(app, pilot, delete_pod(), target)
            await pilot.press(key)
            await settle(pilot, app)
            assert not target.deleted.is_set()
    outcomes = [e["outcome"] for e in app.audit.read()]
    assert outcomes == ["cancelled", "cancelled", "cancelled"]


async def test_y_confirms_runs_and_audits(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    target = Target()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, delete_pod(), target)
        modal_text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "kubectl delete pod go-api-7f9 -n shop" in modal_text
        assert "staging" in modal_text and "shop" in modal_text
        await pilot.press("y")
        await settle(pilot, app)
        assert target.deleted.is_set()
    entry = app.audit.read()[-1]
    assert entry["outcome"] == "ok" and entry["action"] == "delete pod" and entry["context"] == "staging"


async def test_protected_context_requires_typed_name(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    target = Target()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, delete_pod("eu-prod-1"), target)
        await pilot.press("y")  # y alone does not count on a protected context
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert not target.deleted.is_set()
        # focus moved to the name input; a wrong name is refused too
        await pilot.press(*"go-api", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal) and not target.deleted.is_set()
        app.screen.query_one("#confirm-name").value = ""
        await pilot.press(*"go-api-7f9", "enter")
        await settle(pilot, app)
        assert target.deleted.is_set()


async def test_readonly_refuses_without_modal(offline_settings: Settings) -> None:
    offline_settings.readonly = True
    app = GotuiApp(offline_settings)
    target = Target()
    async with app.run_test(size=(80, 24)) as pilot:
        app.gate.perform(delete_pod(), target.delete)
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmModal)
        assert not target.deleted.is_set()
    assert app.audit.read()[-1]["outcome"] == "refused"


async def test_rbac_denial_refuses(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)
    app.rbac_checker = lambda action: "RBAC: cannot delete pods in shop"
    target = Target()
    action = Action("delete", "pod", "p", namespace="shop", context="c", rbac=("delete", "pods", ""))
    async with app.run_test(size=(80, 24)) as pilot:
        app.gate.perform(action, target.delete)
        # The dialog opens at once and turns into the refusal once RBAC answers: `y` does nothing.
        assert isinstance(app.screen, ConfirmModal)
        for _ in range(100):
            await pilot.pause(0.02)
            if app.screen.denied_reason:
                break
        assert app.screen.query_one("#confirm-ok").disabled
        await pilot.press("y")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmModal)
    assert not target.deleted.is_set()
    assert app.audit.read()[-1]["message"] == "RBAC: cannot delete pods in shop"


async def test_failing_runner_is_reported_not_raised(offline_settings: Settings) -> None:
    app = GotuiApp(offline_settings)

    def boom() -> None:
        raise PermissionError(13, "denied", "/var/run/docker.sock")

    async with app.run_test(size=(80, 24)) as pilot:
        app.gate.perform(Action("prune", "images", "dangling", destructive=False), boom)
        await settle(pilot, app)
        assert app.is_running
    entry = app.audit.read()[-1]
    assert entry["outcome"].startswith("error: permission denied")
