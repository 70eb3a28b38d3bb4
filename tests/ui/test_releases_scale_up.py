"""Pilot test at 80x24: after a cutover, blue's HPA shrinks the idle blue to minReplicas 2; `R` offers the
rollback with the scale-up spelled out in the modal, and `y` completes it (SCALE in the timeline)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ops.cutover import Cutover, CutoverOptions, Step
from gotui.ops.kube_io import KubeIO
from gotui.ops.scale_up import ANN_MIN_BEFORE
from gotui.ui.app import GotuiApp
from gotui.ui.cutover_screen import CutoverScreen

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(150)]



def wait_for(check, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")




def blue_replicas(io: KubeIO) -> int:
    return io.get("deployments", "shop", "go-api-blue")["spec"]["replicas"]


async def test_rollback_key_scales_the_shrunk_old_colour_up_at_80x24(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    settings = make_settings(sb, tmp_path)

    def cut_over_and_shrink_blue() -> None:  # sync client calls: off the test's event loop
        wait_for(lambda: all((d.get("status") or {}).get("readyReplicas") == 3 for d in io.list("deployments", "shop")
                             if d["metadata"]["name"].startswith("go-api-")), what="blue and green ready")
        result = Cutover(io, "shop", "go-api", "green", CutoverOptions(verify_timeout=15), settings=settings).run()
        assert result.state is Step.DONE, result.message
        sb.set_cpu("shop", "go-api-blue", 10)
        wait_for(lambda: blue_replicas(io) == 2 and len(io.list("pods", "shop", "app=go-api,version=blue")) == 2,
                 what="blue's HPA scaling it down to 2")

    await asyncio.to_thread(cut_over_and_shrink_blue)

    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        pane = app.pane("releases")
        await until(pilot, lambda: pane.apps and pane.apps[0].live_color == "green"
                    and pane.apps[0].colors["blue"].replicas == 2 and pane.apps[0].colors["blue"].ready == 2,
                    what="the pane showing green LIVE and blue at 2/2")
        assert pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("R")
        modal = await until(pilot, lambda: modal_ready(app), what="confirm modal")
        facts = str(modal.query_one("#confirm-facts").render())
        assert "will first scale blue 2 → 3 (and raise its HPA minReplicas 2 → 3)" in facts, facts
        assert "PREFLIGHT → SCALE → SMOKE" in facts
        await pilot.press("y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="cutover screen")
        await until(pilot, lambda: screen.final is not None, what="rollback finished")
        assert screen.final.step is Step.DONE, screen.final.message
        timeline = str(screen.query_one("#cutover-timeline").render())
        scale_line = next(line for line in timeline.splitlines() if line.startswith("SCALE"))
        assert "ok" in scale_line and " ms" in scale_line and "2 → 3 replicas" in scale_line
        assert timeline.index("PREFLIGHT") < timeline.index("SCALE") < timeline.index("SMOKE")
        await pilot.press("q")
        await until(pilot, lambda: pane.apps and pane.apps[0].live_color == "blue", what="pane shows blue LIVE")
        await until(pilot, lambda: json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])["outcome"]
                    != "started", what="the outcome audit line")

    svc = io.get("services", "shop", "go-api")
    assert svc["spec"]["selector"]["version"] == "blue"
    assert blue_replicas(io) == 3
    hpa = io.get("horizontalpodautoscalers", "shop", "go-api-blue")
    assert hpa["spec"]["minReplicas"] == 3 and hpa["metadata"]["annotations"][ANN_MIN_BEFORE] == "2"
    entry = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()][-1]
    assert entry["action"] == "rollback service" and entry["outcome"] == "ok" and entry["source"] == "tui"
    assert entry["before"]["scaled"]["replicas"] == 2 and entry["after"]["scaled"]["replicas"] == 3
    assert entry["before"]["scaled"]["hpa_min"] == 2 and entry["after"]["scaled"]["hpa_min"] == 3
