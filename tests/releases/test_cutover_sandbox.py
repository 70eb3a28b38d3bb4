"""Blue-green cutovers against the sandbox cluster over real HTTP (official client, real traffic)."""

from __future__ import annotations

import threading
import time

import pytest

from gotui.config import Settings
from gotui.ops.bluegreen import ANN_LOCK, ANN_PREVIOUS, ANN_SWITCHED_BY
from gotui.ops.cutover import Cutover, CutoverOptions, Step, read_app
from gotui.ops.kube_io import MERGE_PATCH
from gotui.ops.rollout import scale
from gotui.ops.traffic import TrafficMeter
from releases.conftest import endpoint_names, ready_pods, service_selector, set_image, wait_for

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def run(io, settings, to, **opts) -> tuple:
    events = []
    options = CutoverOptions(**{"verify_timeout": 10.0, **opts})
    result = Cutover(io, "shop", "go-api", to, options, settings=settings, on_event=events.append).run()
    return result, events


def test_blue_to_green_end_to_end_with_traffic(cluster, settings):
    sb, io = cluster
    url = io.get("services", "shop", "go-api")["metadata"]["annotations"]["sandbox.gotui.dev/url"]
    meter = TrafficMeter(url, rate=100).start()
    wait_for(lambda: meter.snapshot().ok >= 50, what="traffic before the switch")
    result, events = run(io, settings, "green", smoke_path="/healthz")
    first_full_second = int(meter.snapshot().elapsed_s) + 1  # the meter's first second wholly after DONE
    time.sleep(2.3)
    snap = meter.stop()

    assert result.state is Step.DONE, result.message
    assert result.exit_code == 0
    assert [r.step for r in result.steps] == [Step.PREFLIGHT, Step.SMOKE, Step.SWITCH, Step.VERIFY]
    assert all(r.status == "ok" for r in result.steps)
    assert service_selector(io) == {"app": "go-api", "version": "green"}
    assert endpoint_names(io) == ready_pods(io, "green") and len(ready_pods(io, "green")) == 3
    ann = io.get("services", "shop", "go-api")["metadata"]["annotations"]
    assert ann[ANN_PREVIOUS] == "blue" and ann[ANN_SWITCHED_BY] == settings_user()
    assert ANN_LOCK not in ann  # released
    # traffic: both versions before, only green (1.5.0) in the seconds after the switch, no failure
    assert snap.failed == 0, snap.failures
    assert snap.by_version.get("1.4.2", 0) > 0 and snap.by_version.get("1.5.0", 0) > 0
    later = snap.seconds[first_full_second:-1]
    assert later and all(set(b) == {"1.5.0"} for b in later), later
    # the timeline was reported live: a start and an end for each step, then the terminal state
    statuses = [(e.step, e.status) for e in events]
    assert (Step.SWITCH, "start") in statuses and (Step.VERIFY, "ok") in statuses
    assert statuses[-1] == (Step.DONE, "end")


def settings_user() -> str:
    from gotui.ops.cutover import operator_name

    return operator_name()


def test_refused_when_green_is_not_ready(cluster, settings):
    sb, io = cluster
    set_image(io, "go-api-green", "go-api:crash")
    wait_for(lambda: any(p for p in io.list("pods", "shop", "app=go-api,version=green")
                         if p["spec"]["containers"][0]["image"] == "go-api:crash"), what="crashing green pods")
    result, _ = run(io, settings, "green")
    assert result.state is Step.REFUSED and result.exit_code == 2
    assert "rollout is not complete" in result.message or "not every pod" in result.message or "no ready pod" in result.message
    assert [r.step for r in result.steps] == [Step.PREFLIGHT]
    assert service_selector(io)["version"] == "blue"
    assert ANN_LOCK not in (io.get("services", "shop", "go-api")["metadata"].get("annotations") or {})


def stray_green_pod(io) -> str:
    """A bare pod that matches the green selector but belongs to no Deployment (a real hazard)."""
    body = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "stray-green", "namespace": "shop", "labels": {"app": "go-api", "version": "green"}},
            "spec": {"containers": [{"name": "go-api", "image": "go-api:1.5.0"}]}}
    io._call("POST", "/api/v1/namespaces/shop/pods", body=body, content_type="application/json")
    wait_for(lambda: "stray-green" in ready_pods(io, "green"), what="the stray pod Ready")
    return "stray-green"


def test_revert_when_verify_never_converges(cluster, settings):
    """A stray Ready pod matching `version=green` but owned by no Deployment: after SWITCH the
    endpoints hold 4 pods, never exactly green's 3, so VERIFY times out and the cutover reverts."""
    sb, io = cluster
    stray_green_pod(io)
    result, events = run(io, settings, "green", verify_timeout=1.5)
    assert result.state is Step.FAILED_REVERTED, result.message
    assert result.exit_code == 1
    assert "stray-green" in result.message and "Reverted to blue" in result.message
    assert [(r.step, r.status) for r in result.steps] == [
        (Step.PREFLIGHT, "ok"), (Step.SMOKE, "skip"), (Step.SWITCH, "ok"), (Step.VERIFY, "fail"), (Step.REVERT, "ok")]
    assert service_selector(io)["version"] == "blue"
    wait_for(lambda: endpoint_names(io) == ready_pods(io, "blue"), what="endpoints back on blue")
    ann = io.get("services", "shop", "go-api")["metadata"].get("annotations") or {}
    assert ANN_PREVIOUS not in ann and ANN_LOCK not in ann  # annotations restored as before the switch


def test_concurrent_cutovers_one_wins_nothing_half_switched(cluster, settings):
    sb, io = cluster
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        results.append(run(io, settings, "green")[0])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    states = sorted(r.state.value for r in results)
    assert states == ["DONE", "REFUSED"], [r.message for r in results]
    loser = next(r for r in results if r.state is Step.REFUSED)
    assert any(w in loser.message for w in ("lock", "changed while PREFLIGHT", "already selects green",
                                              "changed by someone else")), loser.message
    assert loser.exit_code == 2
    svc = io.get("services", "shop", "go-api")
    assert svc["spec"]["selector"] == {"app": "go-api", "version": "green"}
    assert ANN_LOCK not in svc["metadata"]["annotations"]
    assert svc["metadata"]["annotations"][ANN_PREVIOUS] == "blue"


def test_a_held_lock_stops_a_second_cutover(cluster, settings):
    sb, io = cluster
    from gotui.ops.bluegreen import Lock
    from gotui.ops.cutover import now_rfc3339

    lock = Lock("other", "bob", now_rfc3339(), "green").dump()
    io.patch("services", "shop", "go-api", {"metadata": {"annotations": {ANN_LOCK: lock}}}, MERGE_PATCH)
    result, _ = run(io, settings, "green")
    assert result.state is Step.REFUSED and "another cutover holds the lock" in result.message and "bob" in result.message
    assert service_selector(io)["version"] == "blue"
    assert io.get("services", "shop", "go-api")["metadata"]["annotations"][ANN_LOCK] == lock  # not ours to remove


def test_cancel_before_switch_changes_nothing(cluster, settings):
    sb, io = cluster
    cancel = threading.Event()

    def on_event(ev):
        if ev.step is Step.PREFLIGHT and ev.status == "ok":
            cancel.set()

    result = Cutover(io, "shop", "go-api", "green", CutoverOptions(smoke_path="/healthz"), settings=settings,
                     on_event=on_event, cancel=cancel).run()
    assert result.state is Step.CANCELLED and result.exit_code == 2
    svc = io.get("services", "shop", "go-api")
    assert svc["spec"]["selector"]["version"] == "blue" and ANN_LOCK not in svc["metadata"]["annotations"]


def test_rollback_and_refusal_after_scale_down(cluster, settings):
    sb, io = cluster
    assert run(io, settings, "green")[0].state is Step.DONE
    back, _ = run(io, settings, None, rollback=True)
    assert back.state is Step.DONE and back.to_color == "blue", back.message
    assert service_selector(io)["version"] == "blue"
    assert io.get("services", "shop", "go-api")["metadata"]["annotations"][ANN_PREVIOUS] == "green"
    # forward again, scale the old colour (blue) down: rollback is refused with the reason
    assert run(io, settings, "green")[0].state is Step.DONE
    scale(io, settings, "shop", "go-api-blue", 0)
    wait_for(lambda: not ready_pods(io, "blue"), what="blue scaled down")
    refused, _ = run(io, settings, None, rollback=True)
    assert refused.state is Step.REFUSED and "scaled down" in refused.message
    assert service_selector(io)["version"] == "green"


def test_read_only_refuses_in_the_ops_layer(cluster, tmp_path):
    sb, io = cluster
    result, _ = run(io, Settings(readonly=True, audit_log=tmp_path / "a.jsonl"), "green")
    assert result.state is Step.REFUSED and "read-only" in result.message and not result.steps
    assert service_selector(io)["version"] == "blue"


def test_read_app_sees_the_live_colour(cluster):
    sb, io = cluster
    app = read_app(io, "shop", "go-api")
    assert app is not None and app.live_color == "blue" and set(app.colors) == {"blue", "green"}
    assert app.colors["blue"].ready == 3
    # the endpoints controller follows the pods a moment later (a pod replaced by an earlier test)
    wait_for(lambda: read_app(io, "shop", "go-api").endpoints == ready_pods(io, "blue"), what="endpoints = ready pods")


def test_revert_refused_onto_a_colour_with_no_ready_pod_exit_3(cluster, settings):
    """VERIFY fails (stray pod) while the old colour has meanwhile been scaled to 0: reverting would select
    zero ready pods, so the machine stops in REVERT_FAILED (exit 3) and leaves the Service on green."""
    sb, io = cluster
    stray_green_pod(io)

    def on_event(ev):
        if ev.step is Step.SWITCH and ev.status == "ok":
            scale(io, settings, "shop", "go-api-blue", 0)
            wait_for(lambda: not ready_pods(io, "blue"), what="blue gone")

    result = Cutover(io, "shop", "go-api", "green", CutoverOptions(verify_timeout=1.0), settings=settings,
                     on_event=on_event).run()
    assert result.state is Step.REVERT_FAILED and result.exit_code == 3, result.message
    assert "zero ready pods" in result.message
    svc = io.get("services", "shop", "go-api")
    assert svc["spec"]["selector"]["version"] == "green" and ANN_LOCK not in svc["metadata"]["annotations"]
