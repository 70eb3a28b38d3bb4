"""Pod logs at 80x24: a crashlooping container shows one `container <name> restarted (restart #N)` mark
per restart instead of dropped/resumed pairs; the pod-specific keys (P, C, m) are visible in the screen
and listed by `?`. Unit tests of the mark filter, then Pilot tests against the sandbox."""

from __future__ import annotations

import pytest

from fixtures.pilot import make_settings, until
from gotui.ops.log_restarts import ContainerSnapshot, RestartTracker, container_snapshot
from gotui.ui.app import GotuiApp

DROP = "worker-abc: stream dropped (the connection closed); reconnecting in 0s"
RESUME = "worker-abc: stream resumed"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tracker(snap: list[ContainerSnapshot | None], clock: Clock | None = None) -> tuple[RestartTracker, list[str]]:
    out: list[str] = []
    t = RestartTracker("worker", out.append, lambda: snap[0], grace=4.0, clock=clock or Clock())
    return t, out


# -- the filter, unit --------------------------------------------------------------------------------
def test_crash_status_first_swallows_every_pair_and_marks_the_restart():
    snap = [ContainerSnapshot(True, 3)]
    t, out = tracker(snap)
    # the sandbox's order: the status says exited (count already up) when the stream drops
    snap[0] = ContainerSnapshot(False, 4, "Error, exit 2")
    for _ in range(5):  # reconnects while in CrashLoopBackOff
        t.on_mark(DROP)
        t.on_mark(RESUME)
    assert out == []
    assert "exited (Error, exit 2)" in t.check() and out == []
    snap[0] = ContainerSnapshot(True, 4)
    t.before_lines()  # the new container's first lines
    assert out == ["container worker restarted (restart #4)"]
    t.before_lines()
    assert out == ["container worker restarted (restart #4)"]  # once per restart


def test_status_lagging_behind_the_stream():
    clock = Clock()
    snap = [ContainerSnapshot(True, 0)]
    t, out = tracker(snap, clock)
    t.on_mark(DROP)  # the watch has not seen the exit yet: held, not shown
    clock.now += 1
    assert t.check() == "" and out == []
    snap[0] = ContainerSnapshot(False, 0, "Error, exit 2")  # real Kubernetes: count goes up on restart
    assert "waiting for its restart" in t.check()
    t.on_mark(RESUME)
    t.on_mark(DROP)
    clock.now += 30
    assert "waiting for its restart" in t.check() and out == []
    snap[0] = ContainerSnapshot(True, 1)
    assert t.check() == ""
    assert out == ["container worker restarted (restart #1)"]
    t.on_mark(RESUME)  # the stream catches up after the status: still one mark
    t.before_lines()
    assert out == ["container worker restarted (restart #1)"]


def test_new_lines_before_the_status_still_number_the_restart():
    snap = [ContainerSnapshot(True, 2)]
    t, out = tracker(snap)
    snap[0] = ContainerSnapshot(False, 2)
    t.on_mark(DROP)
    t.before_lines()  # lines arrive while the status still says waiting: the next restart
    assert out == ["container worker restarted (restart #3)"]


def test_network_drop_is_shown_as_it_was():
    clock = Clock()
    snap = [ContainerSnapshot(True, 0)]
    t, out = tracker(snap, clock)
    t.on_mark(DROP)
    t.on_mark(RESUME)
    assert out == []
    t.before_lines()  # lines from the same container: it was the connection
    assert out == [DROP, RESUME]
    # a drop that stays down: shown after the grace period
    t.on_mark(DROP)
    clock.now += 1
    t.check()
    assert out == [DROP, RESUME]
    clock.now += 4
    t.check()
    assert out == [DROP, RESUME, DROP]
    t.on_mark("worker-abc: pod deleted, stream ended")
    assert out[-1] == "worker-abc: pod deleted, stream ended"


def test_container_snapshot():
    pod = {"status": {"containerStatuses": [
        {"name": "log-shipper", "restartCount": 0, "state": {"running": {}}},
        {"name": "worker", "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
         "lastState": {"terminated": {"reason": "Error", "exitCode": 2}}}]}}
    assert container_snapshot(pod, "worker") == ContainerSnapshot(False, 7, "Error, exit 2")
    assert container_snapshot(pod, "log-shipper") == ContainerSnapshot(True, 0, "")
    assert container_snapshot(pod, "nope") is None and container_snapshot(None, "worker") is None


# -- Pilot, against the sandbox ----------------------------------------------------------------------


async def open_logs(pilot, app, name_filter: str):
    from gotui.ui.pod_logs import PodLogsScreen

    await pilot.press("2")
    pane = app.pane("pods")
    await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
    pane.set_filter(name_filter)
    pane.table.focus()
    await pilot.press("l")
    return await until(pilot, lambda: isinstance(app.screen, PodLogsScreen) and app.screen, what="logs screen")


@pytest.mark.sandbox
@pytest.mark.timeout(150)
@pytest.mark.usefixtures("isolated_state")
async def test_crashloop_shows_restart_marks_not_drop_pairs(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("default")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_logs(pilot, app, "worker")
        assert screen.container == "worker"
        view = screen.view

        def restart_marks():
            return [ln for ln in view.lines() if "restarted (restart #" in ln]

        await until(pilot, lambda: len(restart_marks()) >= 2, timeout=90, what="two restart marks")
        lines = view.lines()
        assert not [ln for ln in lines if "stream dropped" in ln or "stream resumed" in ln], lines
        marks = restart_marks()
        numbers = [int(m.rsplit("#", 1)[1].rstrip(")")) for m in marks]
        assert all(m.startswith("container worker restarted (restart #") for m in marks), marks
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), numbers
        key = next(k for k in app.pane("pods").rows if k[1] == screen.pod_name)
        store = app.services["kube"].store
        # a mark may be numbered from the log stream before the watch brings the pod's new restartCount
        await until(pilot, lambda: numbers[-1] <= container_snapshot(store.get("pods", *key), "worker").restarts,
                    what="the cluster's restart count to reach the marks' numbers")
        # each mark comes before the new run's lines: the line after it is not another mark or the panic
        i = lines.index(marks[0])
        assert "panic" not in " ".join(lines[i + 1:i + 3])
        # the streams did drop (that is what was hidden)
        assert sum(d for _, d in screen.streams_info().values()) >= 2
        await pilot.press("escape")


@pytest.mark.sandbox
@pytest.mark.timeout(120)
@pytest.mark.usefixtures("isolated_state")
async def test_pod_keys_visible_at_80_columns_and_in_help(fresh_sandbox, tmp_path):
    from gotui.ui.help import HelpScreen

    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_logs(pilot, app, "worker")
        await until(pilot, lambda: screen.view.line_count > 0, what="log lines")
        hint = screen.query_one("#podlogs-keys")
        text = str(hint.render())
        for words in ("P previous", "C container", "m all pods", "? keys"):
            assert words in text, text
        r = hint.region
        assert hint.display and r.height == 1 and r.y >= 0 and r.bottom <= 24
        assert len(text.rstrip()) <= 80  # whole, not cut, at 80 columns
        # `?` lists them (and the log view's keys)
        await pilot.press("question_mark")
        help_screen = await until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen, what="help")
        rows = dict(help_screen.groups)
        pod_keys = dict(rows["Pod logs"])
        assert pod_keys["P"] == "Previous" and pod_keys["C"] == "Container" and pod_keys["m"] == "All pods"
        assert "Search" in dict(rows["Log view"]).values() and "Next" in dict(rows["Log view"]).values()
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="help closed")
        # the keys work: P shows the previous container
        await pilot.press("P")
        await until(pilot, lambda: screen.previous and "PREVIOUS" in str(screen.query_one("#podlogs-title").render()),
                    what="previous")
