"""Pilot tests of the Releases pane, the cutover modal/screen and the History screen at 80x24,
against the sandbox cluster (real watch cache, real patches, real traffic)."""

from __future__ import annotations

import json

import pytest

from fixtures.pilot import make_settings, modal_ready, screen_text, until
from gotui.config import Settings
from gotui.ops.kube_io import KubeIO
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.cutover_screen import AskNumber, CutoverScreen, HelmRevisionScreen, PickRevision
from gotui.ui.history import HistoryScreen

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]






async def open_releases(pilot, app):
    await pilot.press("4")
    pane = app.pane("releases")
    await until(pilot, lambda: any(r.kind == "color" for r in pane.rows.values())
                and any(r.kind == "helm" for r in pane.rows.values())
                and all(st.ready == 3 and st.rollout_complete and not st.unready_pods
                        for a in pane.apps for st in a.colors.values()), what="apps and helm listed")
    return pane


async def test_pane_lists_apps_colours_and_helm_at_80x24(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        rows = pane.build_rows()
        names = [str(cells[0]).strip() for _, cells in rows]
        assert names[:3] == ["go-api", "● blue", "○ green"]
        roles = [str(cells[1]) for _, cells in rows]
        assert roles[:3] == ["LIVE blue", "LIVE", "idle"]  # words, not colour alone
        helm_row = next(cells for ref, cells in rows if ref.kind == "helm")
        assert str(helm_row[1]) == "deployed" and str(helm_row[4]) == "3"
        # details of a colour: its revision history
        assert pane.select("color", "go-api", "green")
        assert "go-api-green" in str(pane.query_one("#details-body").render())
        assert "Helm release(s)" in str(pane.query_one("#pane-status").render())


async def test_cutover_through_modal_and_live_screen(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        pane.select("color", "go-api", "green")
        pane.table.focus()
        await pilot.press("c")
        modal = await until(pilot, lambda: modal_ready(app), what="confirm modal")
        facts = screen_text(app)
        assert "blue → green" in facts and "go-api:1.4.2" in facts and "go-api:1.5.0" in facts
        assert "/spec/selector/version" in modal.action.preview and "3/3 ready" in facts
        await pilot.press("y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="cutover screen")
        await until(pilot, lambda: screen.final is not None, what="cutover finished")
        assert screen.final.step.value == "DONE", screen.final.message
        await until(pilot, lambda: screen.meter is not None and screen.meter.snapshot().by_version.get("1.5.0", 0) > 0,
                    what="green traffic in the meter")
        timeline = str(screen.query_one("#cutover-timeline").render())
        for step in ("PREFLIGHT", "SMOKE", "SWITCH", "VERIFY", "DONE"):
            assert step in timeline
        assert " ms" in timeline
        await until(pilot, lambda: "green" in str(screen.query_one("#cutover-traffic").render()),
                    what="the meter's panel shows green")  # it repaints on its own timer
        assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "green"
        await pilot.press("q")
        await until(pilot, lambda: pane.apps and pane.apps[0].live_color == "green", what="pane shows green LIVE")
        entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
        assert entries[-1]["action"] == "cutover service" and entries[-1]["outcome"] == "ok"
        assert entries[-1]["source"] == "tui"
        assert entries[-1]["before"] == {"color": "blue"} and entries[-1]["after"] == {"color": "green"}
        assert [s["step"] for s in entries[-1]["extra"]["steps"]][:1] == ["PREFLIGHT"]
        # the History screen shows it
        await pilot.press("H")
        hist = await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen, what="history")
        await pilot.pause(0.1)
        hist.show_detail(0)
        assert "cutover service" in str(hist.query_one("#history-detail").render())
        await pilot.press("q")


async def test_cancel_in_modal_keeps_blue_and_readonly_refuses(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("c")
        await until(pilot, lambda: modal_ready(app), what="modal")
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="modal closed")
        await pilot.pause(0.2)
        assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "blue"
        # rollback without a recorded previous colour offers the other ready colour and says why; n keeps blue
        await pilot.press("R")
        modal = await until(pilot, lambda: modal_ready(app), what="the rollback dialog")
        assert "no recorded previous colour" in modal.action.detail and "rolling back to green" in modal.action.detail
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="modal closed")
    ro = GotuiApp(make_settings(sb, tmp_path / "ro", readonly=True))
    async with ro.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, ro)
        pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("c")
        await until(pilot, lambda: any("read-only" in str(n.message) for n in ro._notifications), what="refusal")
        assert not isinstance(ro.screen, ConfirmModal)
    assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "blue"


async def test_scale_idle_down_then_rollback_refused(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("c")
        await until(pilot, lambda: modal_ready(app), what="modal")
        await pilot.press("y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="screen")
        await until(pilot, lambda: screen.final is not None, what="done")
        await pilot.press("q")
        await until(pilot, lambda: pane.apps[0].live_color == "green" and pane.apps[0].previous_color == "blue",
                    what="green live")
        pane.select("app", "go-api")
        await pilot.press("D")
        modal = await until(pilot, lambda: modal_ready(app), what="scale-down modal")
        assert modal.action.verb == "scale" and modal.action.target == "go-api-blue"
        assert "rollback (R) is refused" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: pane.apps[0].colors["blue"].replicas == 0, what="blue scaled to 0")
        pane.select("app", "go-api")
        await pilot.press("R")
        await until(pilot, lambda: any("scaled down" in str(n.message) for n in app._notifications), what="refusal")
        assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "green"


async def test_undo_scale_pickers_and_helm_screen(fresh_sandbox, tmp_path, monkeypatch):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        # one colour has a single revision: undo says so
        pane.select("color", "go-api", "green")
        pane.table.focus()
        await pilot.press("u")
        await until(pilot, lambda: any("no earlier revision" in str(n.message) for n in app._notifications), what="no history")
        # scale through the number modal, then the confirmation modal
        await pilot.press("s")
        ask = await until(pilot, lambda: isinstance(app.screen, AskNumber) and app.screen, what="ask number")
        ask.query_one("Input").value = "4"
        await pilot.press("enter")
        confirm = await until(pilot, lambda: modal_ready(app), what="confirm scale")
        assert "HPA go-api-green manages it" in confirm.action.detail  # k9s #3680: say the HPA will step in
        await pilot.press("y")
        await until(pilot, lambda: io.get("deployments", "shop", "go-api-green")["spec"]["replicas"] == 4, what="scaled")
        # helm: manifest and values screen
        pane.select("helm", "go-api")
        await pilot.press("m")
        helm_screen = await until(pilot, lambda: isinstance(app.screen, HelmRevisionScreen) and app.screen, what="helm")
        await until(pilot, lambda: "kind: Service" in str(helm_screen.query_one("#helm-body").render()),
                    what="the release manifest")
        await pilot.press("v")
        assert "replicaCount" in str(helm_screen.query_one("#helm-body").render())
        await pilot.press("q")
        # helm rollback without helm installed: a clear message, nothing else
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.delenv("GOTUI_HELM", raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        await until(pilot, lambda: app.screen is app.screen_stack[0], what="back on the pane")
        pane.select("helm", "go-api")
        await pilot.press("b")
        await until(pilot, lambda: any("helm is not installed" in str(n.message) for n in app._notifications), what="helm msg")
        assert not isinstance(app.screen, PickRevision)


async def test_not_connected_message(tmp_path):
    settings = Settings(audit_log=tmp_path / "a.jsonl", kubeconfig=str(tmp_path / "none"), config_path=tmp_path / "c.yaml",
                        docker_host=f"unix://{tmp_path}/no.sock")
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        pane = app.pane("releases")
        await until(pilot, lambda: "not connected" in str(pane.query_one("#pane-status").render()), what="not connected")
        await pilot.press("c")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmModal)


async def test_rbac_denied_cutover_is_refused_with_reason(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    sb.set_policy([{"verb": "patch", "resource": "services", "namespace": "shop"}])
    io = KubeIO(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        await until(pilot, lambda: app.rbac_checker is not None, what="rbac checker")
        pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("c")
        # the dialog opens at once and turns into the refusal (Confirm disabled); `y` does nothing
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.denied_reason, what="rbac refusal")
        assert app.screen.query_one("#confirm-ok").disabled
        await pilot.press("y", "n")
        await until(pilot, lambda: any("Not allowed" in str(n.title) for n in app._notifications), what="refusal notice")
        assert not isinstance(app.screen, ConfirmModal)
    assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "blue"
    line = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
    assert line["outcome"] == "refused" and line["action"] == "cutover service"
