"""Pilot tests at 80x24 of the Releases pane's safety (issue 10): a Helm rollback that switches the
Service's colour is shown and guarded, `R` works after a switch gotui did not make, every dialog's kubectl
preview names the context and lists every command, and undo/restart/scale audit lines carry before/after."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ops import helm
from gotui.ops.bluegreen import ANN_PREVIOUS, ANN_SWITCHED_BY
from gotui.ops.cutover import Cutover, CutoverOptions, Step
from gotui.ops.kube_io import MERGE_PATCH, KubeIO
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.cutover_screen import AskNumber, CutoverScreen, PickRevision
from releases.conftest import helm_bin  # noqa: F401 - the session fixture extracting the real helm

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]
CTX = "--context gotui-sandbox"


def wait_for(check, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def selector(io: KubeIO) -> str:
    return io.get("services", "shop", "go-api")["spec"]["selector"]["version"]


def all_ready(io: KubeIO) -> bool:
    return all((d.get("status") or {}).get("readyReplicas") == 3 for d in io.list("deployments", "shop")
               if d["metadata"]["name"].startswith("go-api-"))


def cut_over_to_green(io: KubeIO, settings) -> None:  # sync client calls: run off the test's event loop
    wait_for(lambda: all_ready(io), what="blue and green ready")
    result = Cutover(io, "shop", "go-api", "green", CutoverOptions(verify_timeout=20, verify_smoke_requests=0),
                     settings=settings).run()
    assert result.state is Step.DONE, result.message


def audit(tmp_path) -> list[dict]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def notes(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


@pytest.fixture
def with_helm(helm_bin, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("GOTUI_HELM", helm_bin)
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return helm_bin


async def open_pane(pilot, app, ready):
    await pilot.press("4")
    pane = app.pane("releases")
    await until(pilot, lambda: pane.apps and pane.helm and ready(pane.apps[0]), what="the pane in the expected state")
    return pane


async def test_helm_rollback_onto_a_colour_without_ready_pods_is_refused(fresh_sandbox, tmp_path, with_helm):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    settings = make_settings(sb, tmp_path)

    def setup() -> None:
        cut_over_to_green(io, settings)
        io.patch("deployments", "shop", "go-api-blue", {"spec": {"replicas": 0}}, MERGE_PATCH, sub="scale")
        wait_for(lambda: not io.list("pods", "shop", "app=go-api,version=blue"), what="blue at 0 pods")

    await asyncio.to_thread(setup)
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, app, lambda a: a.live_color == "green" and a.colors["blue"].replicas == 0
                               and not a.colors["blue"].ready)
        assert pane.select("helm", "go-api")
        pane.table.focus()
        await pilot.press("b", "enter")  # the picker opens on the newest earlier revision (2); Enter takes it
        await until(pilot, lambda: "nothing would serve go-api" in notes(app), what="the refusal")
        assert "version green → blue (blue go-api-blue 0/0 ready" in notes(app)
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmModal | PickRevision)
    assert selector(io) == "green"
    assert [r.revision for r in helm.releases(io.list("secrets", "shop", "owner=helm"))[("shop", "go-api")]] == [1, 2, 3]


async def test_helm_rollback_dialog_shows_the_switch_and_rollback_works_after(fresh_sandbox, tmp_path, with_helm):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    settings = make_settings(sb, tmp_path)
    await asyncio.to_thread(cut_over_to_green, io, settings)
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, app, lambda a: a.live_color == "green" and a.colors["blue"].ready == 3)
        assert pane.select("helm", "go-api")
        pane.table.focus()
        await pilot.press("b", "enter")
        modal = await until(pilot, lambda: modal_ready(app), what="the helm rollback dialog")
        facts = str(modal.query_one("#confirm-facts").render())
        assert "SWITCHES Service go-api: selector version green → blue (blue go-api-blue 3/3 ready" in facts, facts
        assert "PREFLIGHT" in facts and "VERIFY" in facts
        assert modal.action.preview == "helm rollback go-api 2 -n shop --kube-context gotui-sandbox"
        await pilot.press("y")
        def outcome_line():  # the gate writes "started" first, then the outcome line
            return next((a for a in audit(tmp_path)
                         if a["action"] == "rollback helm-release" and a["outcome"] != "started"), None)

        line = await until(pilot, outcome_line, timeout=90, what="the helm rollback's audit line")
        assert line["outcome"] == "ok", line
        assert line["before"]["revision"] == 3 and line["after"]["revision"] == 4
        assert line["before"]["selectors"]["go-api"]["version"] == "green"
        assert line["after"]["selectors"]["go-api"]["version"] == "blue" and line["after"]["verify"]
        ann = io.get("services", "shop", "go-api")["metadata"]["annotations"]
        assert selector(io) == "blue" and ann[ANN_PREVIOUS] == "green" and ann[ANN_SWITCHED_BY]
        # the annotations are true, so R goes back to green with the cutover's checks
        await until(pilot, lambda: pane.apps[0].live_color == "blue" and pane.apps[0].previous_color == "green"
                    and pane.apps[0].colors["green"].ready == 3, what="the pane showing blue LIVE, previous green")
        assert pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("R")
        modal = await until(pilot, lambda: modal_ready(app), what="the rollback dialog")
        assert "ROLLBACK  blue → green" in str(modal.query_one("#confirm-facts").render())
        await pilot.press("y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="cutover screen")
        await until(pilot, lambda: screen.final is not None, timeout=60, what="rollback finished")
        assert screen.final.step is Step.DONE, screen.final.message
    assert selector(io) == "green"


async def test_rollback_key_without_a_recorded_colour_offers_the_other_ready_colour(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)

    def switch_by_hand() -> None:  # kubectl patch: no gotui annotations
        wait_for(lambda: all_ready(io), what="blue and green ready")
        io.patch("services", "shop", "go-api", {"spec": {"selector": {"version": "green"}}}, MERGE_PATCH)

    await asyncio.to_thread(switch_by_hand)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, app, lambda a: a.live_color == "green" and a.colors["blue"].ready == 3)
        assert pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("R")
        modal = await until(pilot, lambda: modal_ready(app), what="the rollback dialog")
        facts = str(modal.query_one("#confirm-facts").render())
        assert "ROLLBACK  green → blue" in facts
        assert "no recorded previous colour" in facts and "rolling back to blue" in facts, facts
        await pilot.press("y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="cutover screen")
        await until(pilot, lambda: screen.final is not None, timeout=60, what="rollback finished")
        assert screen.final.step is Step.DONE, screen.final.message
    assert selector(io) == "blue"
    assert io.get("services", "shop", "go-api")["metadata"]["annotations"][ANN_PREVIOUS] == "green"


async def test_rollback_preview_lists_the_scale_and_hpa_commands_with_the_context(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    settings = make_settings(sb, tmp_path)

    def setup() -> None:
        cut_over_to_green(io, settings)
        sb.set_cpu("shop", "go-api-blue", 10)
        wait_for(lambda: io.get("deployments", "shop", "go-api-blue")["spec"]["replicas"] == 2
                 and len(io.list("pods", "shop", "app=go-api,version=blue")) == 2, what="blue's HPA shrinking it to 2")

    await asyncio.to_thread(setup)
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, app, lambda a: a.live_color == "green" and a.colors["blue"].replicas == 2
                               and a.colors["blue"].ready == 2)
        assert pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("R")
        modal = await until(pilot, lambda: modal_ready(app), what="the rollback dialog")
        commands = modal.action.preview.split("\n$ ")
        assert commands[0] == (f"kubectl {CTX} -n shop patch hpa go-api-blue --type merge "
                               "-p '{\"spec\":{\"minReplicas\":3}}'")
        assert commands[1] == f"kubectl {CTX} -n shop scale deployment/go-api-blue --replicas=3"
        assert commands[2].startswith(f"kubectl {CTX} -n shop patch service go-api --type json -p ")
        assert '"value":"blue"' in commands[2] and len(commands) == 3
        preview = str(modal.query_one("#confirm-preview").render())
        assert "patch hpa go-api-blue" in preview and "scale deployment/go-api-blue" in preview
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="the dialog closed")
    assert selector(io) == "green" and io.get("deployments", "shop", "go-api-blue")["spec"]["replicas"] == 2


async def scale_restart_undo_green(pilot, app, pane, tmp_path, check_dialog) -> None:
    """Scale green to 4, restart it, undo it to revision 1 through the pane's keys; `check_dialog(verb, modal)`
    looks at each confirmation dialog before `y`."""
    assert pane.select("color", "go-api", "green")
    pane.table.focus()
    await pilot.press("s")
    ask = await until(pilot, lambda: isinstance(app.screen, AskNumber) and app.screen, what="ask number")
    ask.query_one("Input").value = "4"
    await pilot.press("enter")
    check_dialog("scale", await until(pilot, lambda: modal_ready(app), what="the scale dialog"))
    await pilot.press("y")
    await until(pilot, lambda: any(a["action"] == "scale deployment" and a["outcome"] != "started" for a in audit(tmp_path)), what="scale audit")
    await until(pilot, lambda: app.screen is app.screen_stack[0], what="back on the pane")
    await pilot.press("X")
    check_dialog("restart", await until(pilot, lambda: modal_ready(app), what="the restart dialog"))
    await pilot.press("y")
    await until(pilot, lambda: any(a["action"] == "restart deployment" and a["outcome"] != "started" for a in audit(tmp_path)), what="restart audit")
    # the restart made revision 2; undo goes back to revision 1
    # (the rollout's end, whatever the size: green's HPA may take the manual 4 back to 3 when its scale-down
    # window passes during a slow rollout, as a real HPA does)
    def rolled_out() -> bool:
        st = pane.apps[0].colors["green"]
        return st.revision == "2" and st.replicas == st.updated == st.ready == st.total_pods >= 3

    await until(pilot, rolled_out, timeout=150, what=lambda: f"green restarted at revision 2: {pane.apps[0].colors['green']!r}, "
                f"audit {[(a['action'], a['outcome']) for a in audit(tmp_path)]}")  # a rolling restart of 4 pods, loaded CI
    await pilot.press("u")
    await until(pilot, lambda: isinstance(app.screen, PickRevision), what="revision picker")
    await pilot.press("down", "enter")  # the newest first: skip the current revision 2
    check_dialog("undo", await until(pilot, lambda: modal_ready(app), what="the undo dialog"))
    await pilot.press("y")
    await until(pilot, lambda: any(a["action"] == "undo deployment" and a["outcome"] != "started" for a in audit(tmp_path)), what="undo audit")


async def test_restart_scale_undo_dialogs_name_the_context(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    await asyncio.to_thread(wait_for, lambda: all_ready(io), 60.0, "blue and green ready")
    app = GotuiApp(make_settings(sb, tmp_path))
    previews = {}
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, app, lambda a: all(st.ready == 3 for st in a.colors.values()))
        assert pane.select("app", "go-api")
        pane.table.focus()
        await pilot.press("c")
        modal = await until(pilot, lambda: modal_ready(app), what="the cutover dialog")
        previews["cutover"] = modal.action.preview
        await pilot.press("n")
        await until(pilot, lambda: app.screen is app.screen_stack[0], what="back on the pane")
        await scale_restart_undo_green(pilot, app, pane, tmp_path,
                                       lambda verb, modal: previews.__setitem__(verb, modal.action.preview))
    assert previews["scale"] == f"kubectl {CTX} -n shop scale deployment/go-api-green --replicas=4"
    assert previews["restart"] == f"kubectl {CTX} -n shop rollout restart deployment/go-api-green"
    assert previews["undo"] == f"kubectl {CTX} -n shop rollout undo deployment/go-api-green --to-revision=1"
    assert previews["cutover"].startswith(f"kubectl {CTX} -n shop patch service go-api --type json -p ")


async def test_restart_scale_undo_audit_lines_carry_before_and_after(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    await asyncio.to_thread(wait_for, lambda: all_ready(io), 60.0, "blue and green ready")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, app, lambda a: all(st.ready == 3 for st in a.colors.values()))
        await scale_restart_undo_green(pilot, app, pane, tmp_path, lambda verb, modal: None)
    lines = {a["action"]: a for a in audit(tmp_path)}
    assert all(lines[k]["outcome"] == "ok" for k in ("scale deployment", "restart deployment", "undo deployment"))
    assert (lines["scale deployment"]["before"], lines["scale deployment"]["after"]) == ({"replicas": 3}, {"replicas": 4})
    restart = lines["restart deployment"]
    assert restart["before"] == {"restartedAt": None} and restart["after"]["restartedAt"].endswith("Z")
    assert lines["undo deployment"]["before"] == {"revision": 2, "images": ["go-api:1.5.0"]}
    assert lines["undo deployment"]["after"] == {"revision": 3, "images": ["go-api:1.5.0"], "to_revision": 1}


async def test_cutover_over_a_held_lock_offers_the_takeover_in_the_dialog(fresh_sandbox, tmp_path):
    """A lock held by a cutover whose process is gone used to block `c` and `R` for 10 minutes with no way
    out in the TUI. Now the dialog names the holder and the expiry, and `y` takes the lock over (audited),
    as `--break-lock` does headless; `n` leaves the lock and the Service as they were."""
    from gotui.ops.bluegreen import ANN_LOCK, Lock
    from gotui.ops.cutover import now_rfc3339

    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)

    def lock_it() -> None:
        wait_for(lambda: all_ready(io), what="blue and green ready")
        lock = Lock("other", "bob@ci-7 (pid 4242)", now_rfc3339(), "green").dump()
        io.patch("services", "shop", "go-api", {"metadata": {"annotations": {ANN_LOCK: lock}}}, MERGE_PATCH)

    await asyncio.to_thread(lock_it)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, app, lambda a: a.lock is not None and a.colors["green"].ready == 3)
        assert pane.select("color", "go-api", "green")
        pane.table.focus()
        await pilot.press("c")
        modal = await until(pilot, lambda: modal_ready(app), what="the cutover dialog")
        facts = str(modal.query_one("#confirm-facts").render())
        assert "TAKES OVER the lock" in facts and "bob@ci-7 (pid 4242)" in facts and "expires" in facts, facts
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="the dialog closed")
        assert selector(io) == "blue" and ANN_LOCK in io.get("services", "shop", "go-api")["metadata"]["annotations"]
        await pilot.press("c")
        await until(pilot, lambda: modal_ready(app), what="the cutover dialog again")
        await pilot.press("y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="cutover screen")
        await until(pilot, lambda: screen.final is not None, timeout=60, what="cutover finished")
        assert screen.final.step is Step.DONE, screen.final.message
    assert selector(io) == "green"
    assert ANN_LOCK not in io.get("services", "shop", "go-api")["metadata"]["annotations"]
    done = [e for e in audit(tmp_path) if e["action"] == "cutover service" and e["outcome"] not in ("started", "cancelled")]
    assert done and "bob@ci-7" in json.dumps(done[-1]), done


async def test_sigterm_during_a_tui_cutover_reverts_releases_the_lock_and_audits(fresh_sandbox, tmp_path):
    """SIGTERM to the TUI while a cutover is in VERIFY: before, the app exited at once (no outcome line, the
    lock left on the Service, the Service on the new colour). Now the cutover is interrupted (the old colour
    is put back, the lock released), its outcome line is written, then the app exits with 128+15."""
    import os
    import signal

    from gotui.ops.bluegreen import ANN_LOCK
    from gotui.tui import exit_on_signals
    from releases.test_cutover_sandbox import stray_green_pod

    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)

    def prepare() -> None:  # VERIFY can never converge: a Ready pod matching green that no Deployment owns
        wait_for(lambda: all_ready(io), what="blue and green ready")
        stray_green_pod(io)

    await asyncio.to_thread(prepare)
    app = GotuiApp(make_settings(sb, tmp_path))
    with exit_on_signals(app):
        async with app.run_test(size=(80, 24)) as pilot:
            pane = await open_pane(pilot, app, lambda a: a.colors["green"].ready >= 3)
            assert pane.select("color", "go-api", "green")
            pane.table.focus()
            await pilot.press("c")
            await until(pilot, lambda: modal_ready(app), what="the cutover dialog")
            await pilot.press("y")
            screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="screen")
            await until(pilot, lambda: any(getattr(ev, "step", None) == Step.VERIFY for ev in screen.steps.values()),
                        timeout=60, what="VERIFY running")
            os.kill(os.getpid(), signal.SIGTERM)
            await until(pilot, lambda: not app.is_running, timeout=90, what="the app exited")
    assert app.return_code == 128 + signal.SIGTERM
    assert selector(io) == "blue"
    assert ANN_LOCK not in io.get("services", "shop", "go-api")["metadata"]["annotations"]
    lines = [e for e in audit(tmp_path) if e["action"] == "cutover service"]
    assert [e["outcome"].split(":")[0] for e in lines] == ["started", "failed-reverted"], lines
    assert lines[-1]["extra"].get("interrupted") == "SIGTERM", lines[-1]
