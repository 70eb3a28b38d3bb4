"""Keyboard fuzz: seeded random key sequences across every screen, app on the sandbox cluster and the
real Docker engine, bounded time. No crash, no exception, no stuck modal at the end.

Kubernetes actions may really be confirmed (the sandbox is private to this test); a confirmation of a
Docker action is always answered `n` by the fuzzer, because the engine is shared with the developer.
On failure the message holds the seed and the last keys, to replay with GOTUI_FUZZ_SEED.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from gotui.config import Settings

pytestmark = [pytest.mark.slow, pytest.mark.sandbox, pytest.mark.docker, pytest.mark.timeout(240)]

BUDGET_S = float(os.environ.get("GOTUI_FUZZ_SECONDS", "60"))
SEEDS = [int(s) for s in os.environ.get("GOTUI_FUZZ_SEED", "1,2").split(",")]

KEYS = (
    list("1234") * 4
    + list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0 /?-_.:")
    + ["tab", "shift+tab", "enter", "enter", "escape", "escape", "backspace", "space"]
    + ["up", "down", "left", "right", "pageup", "pagedown", "home", "end"] * 3
    + ["ctrl+d", "ctrl+d", "ctrl+p", "ctrl+u", "ctrl+l", "ctrl+f", "ctrl+r", "delete", "f1", "f2", "f5"]
    + ["l", "l", "s", "y", "y", "n", "n", "r", "R", "H", "/"]
)
NEVER = {"ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash"}  # quit / suspend: not what we fuzz
SIZES = [(80, 24), (120, 40), (60, 20), (80, 24)]


def _settings(tmp_path: Path, kubeconfig: Path) -> Settings:
    return Settings(
        audit_log=tmp_path / "audit.jsonl",
        kubeconfig=str(kubeconfig),
        context="gotui-sandbox",
        namespace="shop",
        docker_host=os.environ.get("DOCKER_HOST"),
        protected_contexts="",  # kube actions confirm with a plain `y`, so the fuzzer reaches them
        config_path=tmp_path / "config.yaml",
    )


def _choose(rng: random.Random, app) -> str:  # noqa: ANN001
    from gotui.ui.confirm import ConfirmModal

    key = rng.choice(KEYS)
    screen = app.screen
    if isinstance(screen, ConfirmModal) and screen.action.is_docker and key in ("y", "enter", "space"):
        return "n"  # never remove the developer's images or containers
    if key == "q" or key in NEVER:
        return "escape"
    return key


async def _unwind(app, pilot) -> list[str]:  # noqa: ANN001
    """Press escape / n until the main screen is back; return the screens seen on the way."""
    seen = []
    for attempt in range(12):
        if len(app.screen_stack) == 1 and not app.screen.focused.__class__.__name__.endswith("Input"):
            break
        seen.append(type(app.screen).__name__)
        await pilot.press("escape" if attempt % 2 == 0 else "n")
        await pilot.pause(0.05)
    return seen


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_never_break_the_app(seed: int, fresh_sandbox, docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    from gotui.ui.app import GotuiApp

    cluster = fresh_sandbox("default", seed=seed)
    app = GotuiApp(_settings(tmp_path, Path(cluster.kubeconfig)))
    rng = random.Random(seed)
    pressed: list[str] = []
    screens: set[str] = set()
    panes: set[str] = set()
    deadline = time.monotonic() + BUDGET_S / len(SEEDS)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.5)
            steps = 0
            while time.monotonic() < deadline:
                if steps % 150 == 149:
                    size = rng.choice(SIZES)
                    pressed.append(f"<resize {size[0]}x{size[1]}>")
                    await pilot.resize_terminal(*size)
                if steps % 40 == 39:
                    # Make sure every pane gets its share: leave whatever is open, go to the next pane.
                    await _unwind(app, pilot)
                    pressed.append(f"<pane {steps // 40 % 4 + 1}>")
                    await pilot.press(str(steps // 40 % 4 + 1))
                    panes.add(app.active_pane.PANE_ID)  # visited, even if the next random key leaves it
                key = _choose(rng, app)
                pressed.append(key)
                await pilot.press(key)
                screens.add(type(app.screen).__name__)
                panes.add(app.active_pane.PANE_ID)
                steps += 1
                if steps % 20 == 0:
                    await pilot.pause(0.02)
                assert app.is_running, "the app exited"
                assert app.return_code in (None, 0), f"the app failed (code {app.return_code})"
            await pilot.resize_terminal(80, 24)
            await pilot.pause(0.2)
            seen = await _unwind(app, pilot)
            assert len(app.screen_stack) == 1, f"stuck on {type(app.screen).__name__} after {seen}"
            assert app.is_running
            # The main screen still answers: pane switching works after the storm.
            await pilot.press("escape", "2")
            await pilot.pause(0.1)
            assert app.active_pane.PANE_ID == "pods"
    except BaseException as exc:
        raise AssertionError(
            f"seed {seed}: {type(exc).__name__}: {exc}\nlast keys: {pressed[-60:]}\ncrash log: {app.crash_log}"
        ) from exc
    assert app.crash_log is None
    assert steps > 100, f"only {steps} keys in the time budget"
    # The storm went everywhere: all four panes and more than the main screen (help, palette, modals).
    print(f"seed {seed}: {steps} keys; screens {sorted(screens)}")
    assert panes == {"images", "pods", "hpa", "releases"}
    assert len(screens) >= 3, screens


# -- bursts: keys typed ahead, as one read over SSH, asserting the gate's promise ----------------------

BURST_S = float(os.environ.get("GOTUI_FUZZ_BURST_SECONDS", "30"))  # the lead runs it for 600
ACTION_KEYS = ["ctrl+d", "ctrl+d", "R", "c", "C", "D", "X", "u", "s", "b", "e", "x", "F", "t", "ctrl+k", "slash"]
AFTER_KEYS = (["y"] * 6 + ["n", "q", "tab", "shift+tab", "enter", "enter", "escape", "ctrl+u", "ctrl+c", "1", "2", "3",
              "4", "?", "H", "space", "down", "up", "pagedown"] + list("abcdDRclnpsxy"))


def _burst(rng: random.Random) -> list[str]:
    """An action key and 1-6 keys after it, or a handful of anything (navigation, panes, letters); now and
    then a pane switch, a delete and its answer in one read (`2 ctrl+d y`)."""
    roll = rng.random()
    if roll < 0.25:
        return [rng.choice("12"), "ctrl+d", rng.choice(["y", "y", "n", "tab", "q"])] + [rng.choice(AFTER_KEYS)
                                                                                     for _ in range(rng.randint(0, 3))]
    if roll < 0.75:
        return [rng.choice(ACTION_KEYS)] + [rng.choice(AFTER_KEYS) for _ in range(rng.randint(1, 6))]
    return [k for k in (rng.choice(KEYS + AFTER_KEYS) for _ in range(rng.randint(2, 5))) if k not in NEVER]


@pytest.mark.parametrize("seed", SEEDS[:1])
async def test_bursts_never_run_an_action_without_a_visible_dialog_answered(
    seed: int, fresh_sandbox, docker_client, tmp_path: Path, monkeypatch  # noqa: ANN001
) -> None:
    """Every "started" audit line (an action about to change something) follows a confirmation given in
    a ConfirmModal that was the screen on top, mounted, when answered; one run per confirmation.
    Docker actions go through the whole gate but their runner is replaced (the engine is shared)."""
    from fixtures.bursts import burst
    from gotui.ui.action_gate import action_key
    from gotui.ui.app import GotuiApp
    from gotui.ui.confirm import ConfirmModal

    confirmations: list[tuple] = []
    blind: list[str] = []
    real_dismiss = ConfirmModal.dismiss

    def dismiss(self, result=None):  # noqa: ANN001, ANN202
        if result is True:
            visible = self.is_mounted and self.app.screen is self and not self.checking
            (confirmations if visible else blind).append(action_key(self.action) if visible else self.action.title)
        return real_dismiss(self, result)

    monkeypatch.setattr(ConfirmModal, "dismiss", dismiss)

    cluster = fresh_sandbox("default", seed=seed)
    app = GotuiApp(_settings(tmp_path, Path(cluster.kubeconfig)))
    no_dialog: set[tuple] = set()
    real_perform = app.gate.perform

    def perform(action, runner, **kw):  # noqa: ANN001, ANN003, ANN202
        if not action.destructive:
            no_dialog.add(action_key(action))
        if action.is_docker:
            runner = lambda: "fuzz: Docker action not run"  # noqa: E731
        return real_perform(action, runner, **kw)

    app.gate.perform = perform  # type: ignore[method-assign]
    quits: list[int] = []
    app.gate.request_quit = lambda: quits.append(1)  # type: ignore[method-assign]
    rng = random.Random(seed)
    sent: list[list[str]] = []
    deadline = time.monotonic() + BURST_S
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.5)
            steps = 0
            while time.monotonic() < deadline:
                if steps % 6 == 5:  # leave the log / YAML / help screens a burst opened, to act again
                    await _unwind(app, pilot)
                    await pilot.press(str(steps // 6 % 4 + 1))
                keys = _burst(rng)
                sent.append(keys)
                await burst(pilot, *keys)
                if os.environ.get("GOTUI_FUZZ_TRACE"):
                    print(keys, type(app.screen).__name__, app.active_pane.PANE_ID, type(app.focused).__name__,
                          [n.message[:50] for n in list(app._notifications)[-1:]])
                steps += 1
                assert app.is_running, "the app exited"
            await app.workers.wait_for_complete()
            await _unwind(app, pilot)
            assert len(app.screen_stack) == 1, f"stuck on {type(app.screen).__name__}"
    except BaseException as exc:
        crash = app.crash_log.read_text()[-3000:] if app.crash_log else None
        raise AssertionError(f"seed {seed}: {type(exc).__name__}: {exc}\nlast bursts: {sent[-20:]}\ncrash: {crash}") from exc
    assert app.crash_log is None
    assert not blind, f"confirmed without a visible dialog: {blind}"
    started: dict[tuple, int] = {}
    for e in app.audit.read(100000):
        if e["outcome"] == "started":
            verb, kind = e["action"].split(" ", 1)
            key = (verb, kind, e["context"], e["namespace"], e["target"])
            started[key] = started.get(key, 0) + 1
    for key, count in started.items():
        if key in no_dialog:
            continue
        assert count <= confirmations.count(key), f"{key} ran {count} times, confirmed {confirmations.count(key)}"
    print(f"seed {seed}: {steps} bursts, {len(confirmations)} confirmations, {sum(started.values())} runs, "
          f"{app._keys.timeouts} key fences timed out")
    assert steps >= 10 and confirmations, (steps, confirmations)  # few under load: the invariant is the point
