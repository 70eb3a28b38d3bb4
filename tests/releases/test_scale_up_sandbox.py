"""The SCALE step against the sandbox: an HPA shrinks the idle colour to its minReplicas (below the live
colour's count); rollback / cutover with scale-up raise it (and the HPA minimum) first, without it they
are refused with the reason; a SCALE that times out restores replicas and HPA minimum."""

from __future__ import annotations

import argparse
import io as stringio
import json
import time

import pytest

from gotui.config import Settings
from gotui.ops.bluegreen import ANN_LOCK
from gotui.ops.cutover import Cutover, CutoverOptions, Step, audit_fields
from gotui.ops.scale_up import ANN_MIN_BEFORE
from gotui.ops.traffic import TrafficMeter
from releases.conftest import endpoint_names, ready_pods, service_selector, wait_for

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(150)]


def run(io, settings, to, **opts):
    options = CutoverOptions(**{"verify_timeout": 15.0, **opts})
    return Cutover(io, "shop", "go-api", to, options, settings=settings).run()


def replicas(io, color: str) -> int:
    return io.get("deployments", "shop", f"go-api-{color}")["spec"]["replicas"]


def hpa(io, color: str) -> dict:
    return io.get("horizontalpodautoscalers", "shop", f"go-api-{color}")


def shrink_by_hpa(sb, io, color: str) -> None:
    """Low CPU on `color`: its HPA scales it down to minReplicas 2 (after the 20 s stabilization window)."""
    assert hpa(io, color)["spec"]["minReplicas"] == 2
    sb.set_cpu("shop", f"go-api-{color}", 10)
    wait_for(lambda: replicas(io, color) == 2 and len(ready_pods(io, color)) == 2
             and len(io.list("pods", "shop", f"app=go-api,version={color}")) == 2,
             timeout=60, interval=0.5, what=f"the HPA scaling {color} down to 2")


def test_rollback_after_hpa_scale_down_refused_then_scaled_up_with_no_failed_request(cluster, settings):
    sb, io = cluster
    assert run(io, settings, "green").state is Step.DONE
    shrink_by_hpa(sb, io, "blue")

    # without scale-up: the old behaviour, refused with the reason naming the option / key
    refused = run(io, settings, None, rollback=True)
    assert refused.state is Step.REFUSED and refused.exit_code == 2
    assert "scale blue to at least 3 first" in refused.message and "--scale-up" in refused.message
    assert "key C" in refused.message and [r.step for r in refused.steps] == [Step.PREFLIGHT]
    assert service_selector(io)["version"] == "green" and replicas(io, "blue") == 2
    assert hpa(io, "blue")["spec"]["minReplicas"] == 2

    # with scale-up: blue back to 3 (HPA min raised and annotated), then the usual checks and the switch
    url = io.get("services", "shop", "go-api")["metadata"]["annotations"]["sandbox.gotui.dev/url"]
    meter = TrafficMeter(url, rate=100).start()
    try:
        wait_for(lambda: meter.snapshot().ok >= 50, what="traffic before the rollback")
        back = run(io, settings, None, rollback=True, scale_up=True, smoke_path="/healthz")
        time.sleep(1.0)
    finally:
        snap = meter.stop()
    assert back.state is Step.DONE and back.to_color == "blue", back.message
    assert [(r.step, r.status) for r in back.steps] == [
        (Step.PREFLIGHT, "ok"), (Step.SCALE, "ok"), (Step.SMOKE, "ok"), (Step.SWITCH, "ok"), (Step.VERIFY, "ok")]
    scale_rec = back.steps[1]
    assert scale_rec.duration_s > 0.1 and "2 → 3 replicas" in scale_rec.message and "minReplicas 2 → 3" in scale_rec.message
    assert service_selector(io)["version"] == "blue"
    assert len(ready_pods(io, "blue")) == 3 and endpoint_names(io) == ready_pods(io, "blue")
    h = hpa(io, "blue")
    assert h["spec"]["minReplicas"] == 3 and h["metadata"]["annotations"][ANN_MIN_BEFORE] == "2"
    assert snap.failed == 0, snap.failures
    assert snap.by_version.get("1.4.2", 0) > 0  # blue served again
    fields = audit_fields(back)
    assert fields["before"]["scaled"] == {"deployment": "go-api-blue", "replicas": 2, "hpa": "go-api-blue", "hpa_min": 2}
    assert fields["after"]["scaled"] == {"deployment": "go-api-blue", "replicas": 3, "hpa": "go-api-blue", "hpa_min": 3}
    assert fields["after"]["color"] == "blue"
    # the raised minimum holds: CPU is still low, yet the HPA keeps blue at 3 over several passes
    time.sleep(5)
    assert replicas(io, "blue") == 3 and len(ready_pods(io, "blue")) == 3


def headless(sb, tmp_path, *, to="green", **kw) -> tuple[int, str, str, list[dict]]:
    from gotui.commands.cutover import execute

    audit = tmp_path / "audit.jsonl"
    settings = Settings(audit_log=audit, kubeconfig=str(sb.kubeconfig), namespace="shop",
                        config_path=tmp_path / "none.yaml")
    args = argparse.Namespace(service="go-api", to_color=to, yes=True, smoke_path=None, dry_run=False,
                              **{"timeout": 20.0, "scale_up": False, **kw})
    out, err = stringio.StringIO(), stringio.StringIO()
    code = execute(args, settings, rollback=False, out=out, err=err)
    lines = [json.loads(x) for x in audit.read_text().splitlines()] if audit.exists() else []
    return code, out.getvalue(), err.getvalue(), lines


def test_headless_scale_up_timeout_restores_then_succeeds(cluster, tmp_path):
    """Green sits at its HPA minimum (2 < blue's 3): `gotui cutover --to green` is refused without
    --scale-up; RBAC denying patch deployments/scale refuses before any change; a SCALE wait that times out
    restores replicas and HPA minimum (REFUSED, nothing switched); with time enough it completes."""
    sb, io = cluster
    shrink_by_hpa(sb, io, "green")

    code, out, err, lines = headless(sb, tmp_path)
    assert code == 2 and "scale green to at least 3 first" in err and "--scale-up" in err

    sb.set_policy([{"verb": "patch", "resource": "deployments/scale", "namespace": "shop"}])
    code, out, err, lines = headless(sb, tmp_path, scale_up=True)
    assert code == 2 and "RBAC" in err and "deployments/scale" in err, err
    assert replicas(io, "green") == 2 and hpa(io, "green")["spec"]["minReplicas"] == 2
    sb.set_policy([])

    # the wait is bounded by --timeout: 0.1 s is less than a sandbox pod needs to become Ready
    code, out, err, lines = headless(sb, tmp_path, scale_up=True, timeout=0.1)
    assert code == 2, out + err
    assert "SCALE" in out and "did not have 3 Ready pods within 0.1s" in err and "Scale-up undone" in err
    assert replicas(io, "green") == 2
    h = hpa(io, "green")
    assert h["spec"]["minReplicas"] == 2 and ANN_MIN_BEFORE not in (h["metadata"].get("annotations") or {})
    svc = io.get("services", "shop", "go-api")
    assert svc["spec"]["selector"]["version"] == "blue" and ANN_LOCK not in (svc["metadata"].get("annotations") or {})
    last = lines[-1]
    assert last["outcome"].startswith("refused:") and "SCALE" in last["outcome"]
    assert last["before"]["scaled"] == {"deployment": "go-api-green", "replicas": 2, "hpa": "go-api-green", "hpa_min": 2}
    assert last["after"]["scaled"] == last["before"]["scaled"]  # restored
    assert [s["step"] for s in last["extra"]["steps"]] == ["PREFLIGHT", "SCALE"]
    wait_for(lambda: len(io.list("pods", "shop", "app=go-api,version=green")) == 2, what="the extra green pod gone")

    code, out, err, lines = headless(sb, tmp_path, scale_up=True)
    assert code == 0, out + err
    assert "will first scale green 2 → 3 (and raise its HPA minReplicas 2 → 3)" in out  # the prompt's detail
    assert service_selector(io)["version"] == "green" and endpoint_names(io) == ready_pods(io, "green")
    assert replicas(io, "green") == 3 and len(ready_pods(io, "green")) == 3
    h = hpa(io, "green")
    assert h["spec"]["minReplicas"] == 3 and h["metadata"]["annotations"][ANN_MIN_BEFORE] == "2"
    last = lines[-1]
    assert last["outcome"] == "ok" and last["after"]["scaled"]["replicas"] == 3 and last["after"]["scaled"]["hpa_min"] == 3
    assert [s["step"] for s in last["extra"]["steps"]] == ["PREFLIGHT", "SCALE", "SMOKE", "SWITCH", "VERIFY"]


def test_read_only_refuses_scale_up_in_the_ops_layer(cluster, tmp_path):
    sb, io = cluster
    result = run(io, Settings(readonly=True, audit_log=tmp_path / "a.jsonl"), "green", scale_up=True)
    assert result.state is Step.REFUSED and "read-only" in result.message
    assert replicas(io, "green") == 3 and service_selector(io)["version"] == "blue"
