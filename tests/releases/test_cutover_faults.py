"""The cutover's fault model against the sandbox over real HTTP, with injected faults (/sandbox/v1/faults):
lost answers to writes are re-read, VERIFY and REVERT retry until their deadlines, and the result, exit code
and audit line say what the cluster really holds."""

from __future__ import annotations

import time

import pytest

from gotui.ops.bluegreen import ANN_LOCK, Lock, endpoint_pods
from gotui.ops.cutover import (
    Cutover,
    CutoverOptions,
    Step,
    audit_fields,
    now_rfc3339,
)
from gotui.ops.kube_io import MERGE_PATCH
from releases.conftest import ready_pods, service_selector, wait_for
from releases.test_cutover_sandbox import stray_green_pod

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]

SVC_PATH = "^/api/v1/namespaces/shop/services/go-api$"


def run(io, settings, to="green", **opts):
    options = CutoverOptions(**{"verify_timeout": 10.0, **opts})
    return Cutover(io, "shop", "go-api", to, options, settings=settings).run()


def steps(result) -> list[tuple[Step, str]]:
    return [(r.step, r.status) for r in result.steps]


def annotations(io) -> dict:
    return io.get("services", "shop", "go-api")["metadata"].get("annotations") or {}


def test_lost_answer_to_the_switch_is_re_read_then_verified(cluster, settings):
    """PATCH 1 takes the lock, PATCH 2 switches: its answer is lost after it applied. Before: REFUSED
    "nothing changed" (exit 2) with the Service switched and VERIFY never run."""
    sb, io = cluster
    sb.set_faults([{"method": "PATCH", "path": SVC_PATH, "nth": 2, "effect": "drop"}])
    result = run(io, settings)
    assert result.state is Step.DONE and result.exit_code == 0, result.message
    assert steps(result) == [(Step.PREFLIGHT, "ok"), (Step.SMOKE, "skip"), (Step.SWITCH, "ok"), (Step.VERIFY, "ok")]
    assert "answer lost" in result.steps[2].message
    assert service_selector(io)["version"] == "green" and ANN_LOCK not in annotations(io)
    fields = audit_fields(result)
    assert fields["outcome"] == "ok" and fields["after"] == {"color": "green"}
    assert any("switch" in x and "applied" in x for x in fields["lost_answers"])
    assert sb.faults()[0]["fired"] == 1


def test_switch_answered_5xx_without_applying_is_sent_again(cluster, settings):
    sb, io = cluster
    sb.set_faults([{"method": "PATCH", "path": SVC_PATH, "nth": 2, "effect": "error", "status": 503}])
    result = run(io, settings)
    assert result.state is Step.DONE, result.message
    assert service_selector(io)["version"] == "green"
    assert any("not applied" in x for x in result.lost_answers)


@pytest.mark.parametrize("effect", ["drop", "reset"])
def test_lost_answer_to_the_lock_patch_leaves_no_lock(cluster, settings, effect):
    """Before: the lock stayed on the Service and every cutover or rollback was refused for 10 minutes."""
    sb, io = cluster
    sb.set_faults([{"method": "PATCH", "path": SVC_PATH, "nth": 1, "effect": effect}])
    result = run(io, settings)
    assert result.state is Step.DONE, result.message
    assert ANN_LOCK not in annotations(io)
    back = run(io, settings, None, rollback=True)
    assert back.state is Step.DONE and service_selector(io)["version"] == "blue", back.message


def test_verify_retries_dropped_connections_until_its_deadline(cluster, settings):
    """GETs 3..8 of the Service (VERIFY's polls) are reset: urllib3 retries 3 times, then the read fails.
    Before: VERIFY gave up on the first failed read (in ~10 ms) and the cutover reverted."""
    sb, io = cluster
    sb.set_faults([{"method": "GET", "path": SVC_PATH, "nth": 3, "count": 6, "effect": "reset"}])
    result = run(io, settings)
    assert result.state is Step.DONE and result.exit_code == 0, result.message
    assert sb.faults()[0]["fired"] == 6
    assert "retried" in result.steps[-1].message
    assert audit_fields(result)["after"] == {"color": "green"}


@pytest.mark.parametrize("effect", ["drop", "error"])
def test_revert_blip_ends_failed_reverted_not_revert_failed(cluster, settings, effect):
    """VERIFY fails (a stray green pod), then the revert PATCH (the 3rd) loses its answer (drop: applied;
    error: a 503 without applying). Before: REVERT_FAILED (exit 3, "fix it by hand") although the Service
    was back on blue (drop) or a second try would have put it back (503)."""
    sb, io = cluster
    stray_green_pod(io)
    sb.set_faults([{"method": "PATCH", "path": SVC_PATH, "nth": 3, "effect": effect}])
    result = run(io, settings, verify_timeout=1.5)
    assert result.state is Step.FAILED_REVERTED and result.exit_code == 1, result.message
    assert service_selector(io)["version"] == "blue"
    assert result.live_color == "blue" and audit_fields(result)["after"] == {"color": "blue"}
    assert ANN_LOCK not in annotations(io)


def test_revert_failed_only_when_the_service_really_stays_on_the_target(cluster, settings):
    sb, io = cluster
    stray_green_pod(io)
    sb.set_faults([{"method": "PATCH", "path": SVC_PATH, "nth": 3, "count": 0, "effect": "error"}])
    result = run(io, settings, verify_timeout=1.0, write_timeout=1.0)
    assert result.state is Step.REVERT_FAILED and result.exit_code == 3, result.message
    assert "selects green" in result.message
    sb.set_faults([])
    assert service_selector(io)["version"] == "green"
    assert result.live_color == "green" and audit_fields(result)["after"] == {"color": "green"}


def test_lock_names_owner_and_expiry_and_break_lock_takes_it_over(cluster, settings):
    sb, io = cluster
    lock = Lock("other", "bob@ci-7 (pid 4242)", now_rfc3339(), "green").dump()
    io.patch("services", "shop", "go-api", {"metadata": {"annotations": {ANN_LOCK: lock}}}, MERGE_PATCH)
    refused = run(io, settings)
    assert refused.state is Step.REFUSED and refused.exit_code == 2
    assert "bob@ci-7 (pid 4242)" in refused.message and "expires 20" in refused.message
    assert "--break-lock" in refused.message
    taken = run(io, settings, break_lock=True)
    assert taken.state is Step.DONE, taken.message
    assert taken.broken_lock is not None and taken.broken_lock["by"] == "bob@ci-7 (pid 4242)"
    assert audit_fields(taken)["broken_lock"]["id"] == "other"
    assert "took over the lock of bob@ci-7" in taken.steps[0].message
    assert ANN_LOCK not in annotations(io) and service_selector(io)["version"] == "green"


def test_our_lock_names_user_host_and_pid(cluster, settings):
    import os
    import socket

    sb, io = cluster
    seen = []

    def on_event(ev):
        if ev.step is Step.PREFLIGHT and ev.status == "ok":
            seen.append(Lock.parse(annotations(io).get(ANN_LOCK)))

    Cutover(io, "shop", "go-api", "green", CutoverOptions(verify_timeout=10), settings=settings,
            on_event=on_event).run()
    assert seen and seen[0] is not None
    assert seen[0].by.endswith(f"@{socket.gethostname()} (pid {os.getpid()})")


def test_verify_reads_endpointslices_not_the_deprecated_endpoints(cluster, settings):
    """core/v1 Endpoints answer 503 throughout (as if that API were gone): the cutover does not need them.
    Before: PREFLIGHT failed reading them (REFUSED)."""
    sb, io = cluster
    sb.set_faults([{"method": "GET", "path": "^/api/v1/namespaces/shop/endpoints", "count": 0, "effect": "error"}])
    result = run(io, settings)
    assert result.state is Step.DONE, result.message
    assert sb.faults()[0]["matched"] == 0


def test_sandbox_keeps_endpointslices_in_step_with_endpoints(cluster, settings):
    from gotui.ops.cutover import endpoints_from_slices

    sb, io = cluster

    def both():
        eps = endpoint_pods(io.get("endpoints", "shop", "go-api"))
        slices = io.list("endpointslices", "shop", "kubernetes.io/service-name=go-api")
        return eps, endpoint_pods(endpoints_from_slices(slices)), slices

    # (a blue pod may just have been replaced: the endpoints follow on the controllers' next pass)
    wait_for(lambda: both()[0] == both()[1] == ready_pods(io, "blue"), what="both views on blue")
    eps, from_slices, slices = both()
    assert all(s["addressType"] == "IPv4" and s["metadata"]["labels"]["kubernetes.io/service-name"] == "go-api"
               for s in slices)
    assert run(io, settings).state is Step.DONE
    wait_for(lambda: both()[0] == both()[1] == ready_pods(io, "green"), what="both views on green")


def test_measure_preflight_to_done_with_and_without_faults(cluster, settings, capsys):
    """Figures for the report: PREFLIGHT -> DONE, clean and with a lost switch answer + VERIFY resets."""
    sb, io = cluster
    t0 = time.monotonic()
    clean = run(io, settings)
    clean_s = time.monotonic() - t0
    assert clean.state is Step.DONE
    sb.set_faults([{"method": "PATCH", "path": SVC_PATH, "nth": 2, "effect": "drop"},
                   {"method": "GET", "path": SVC_PATH, "nth": 3, "count": 6, "effect": "reset"}])
    t0 = time.monotonic()
    faulty = run(io, settings, to="blue")
    faulty_s = time.monotonic() - t0
    assert faulty.state is Step.DONE, faulty.message
    with capsys.disabled():
        print(f"\n[measure] clean PREFLIGHT->DONE {clean_s * 1000:.0f} ms "
              f"({', '.join(f'{r.step.value} {r.duration_s * 1000:.0f}' for r in clean.steps)}); "
              f"lost switch answer + 6 resets in VERIFY {faulty_s * 1000:.0f} ms "
              f"({', '.join(f'{r.step.value} {r.duration_s * 1000:.0f}' for r in faulty.steps)})")


# -- smoke targets: never a URL from an annotation ----------------------------------------------------


class Canary:
    """A local HTTP server that counts the requests it gets (stands for anything on the operator's network)."""

    def __init__(self) -> None:
        import http.server
        import threading

        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_smoke_never_fetches_a_url_named_by_a_pod_or_service_annotation(cluster, settings):
    """Anyone allowed to annotate pods (or the Service) set gotui.dev/url to a canary: SMOKE and VERIFY go
    through the API server's proxy to the pods' own ports instead. Before: SMOKE GETs went to the canary."""
    sb, io = cluster
    canary = Canary()
    try:
        targets = [("pods", p["metadata"]["name"]) for p in io.list("pods", "shop", "app=go-api")]
        for kind, name in targets + [("services", "go-api")]:
            io.patch(kind, "shop", name, {"metadata": {"annotations": {"gotui.dev/url": canary.url + "/steal"}}},
                     MERGE_PATCH)
        result = run(io, settings, smoke_path="/healthz")
        assert result.state is Step.DONE, result.message
        assert canary.hits == []
        assert "pod proxy" in result.steps[1].message and "through the Service ok" in result.steps[-1].message
    finally:
        canary.close()


def test_smoke_port_from_the_deployment_annotation_must_be_declared_by_the_pods(cluster, settings):
    sb, io = cluster
    io.patch("deployments", "shop", "go-api-green",
             {"metadata": {"annotations": {"gotui.dev/smoke-port": "9999"}}}, MERGE_PATCH)
    refused = run(io, settings, smoke_path="/healthz")
    assert refused.state is Step.REFUSED and "gotui.dev/smoke-port='9999' is not a port" in refused.message
    assert service_selector(io)["version"] == "blue"
    io.patch("deployments", "shop", "go-api-green",
             {"metadata": {"annotations": {"gotui.dev/smoke-port": "http"}}}, MERGE_PATCH)
    assert run(io, settings, smoke_path="/healthz").state is Step.DONE


def test_a_failing_smoke_check_refuses_before_the_switch(cluster, settings):
    sb, io = cluster
    result = run(io, settings, smoke_path="/no-such-page")
    assert result.state is Step.REFUSED and "HTTP 404" in result.message
    assert service_selector(io)["version"] == "blue" and ANN_LOCK not in annotations(io)


# -- more than 1,000 endpoints ------------------------------------------------------------------------


def test_cutover_of_a_colour_with_more_than_1000_pods(cluster, settings):
    """Like a real cluster, the sandbox truncates core/v1 Endpoints at 1,000 addresses (annotation
    over-capacity: truncated) and spreads EndpointSlices at 100 endpoints each. VERIFY reads the slices, so
    1,001 ready pods converge. Before: VERIFY compared 1,000 truncated addresses with 1,001 ready pods,
    never converged and reverted."""
    sb, io = cluster
    n = 1001
    for color in ("blue", "green"):
        io._call("POST", "/apis/apps/v1/namespaces/shop/deployments", content_type="application/json", body={
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"wide-{color}"},
            "spec": {"replicas": n, "selector": {"matchLabels": {"app": "wide", "version": color}},
                     "template": {"metadata": {"labels": {"app": "wide", "version": color}},
                                  "spec": {"containers": [{"name": "c", "image": "wide:1",
                                                           "ports": [{"containerPort": 9000}]}]}}}})
    io._call("POST", "/api/v1/namespaces/shop/services", content_type="application/json", body={
        "metadata": {"name": "wide"},
        "spec": {"selector": {"app": "wide", "version": "blue"}, "ports": [{"port": 9000}]}})
    wait_for(lambda: all((d.get("status") or {}).get("readyReplicas") == n for d in io.list("deployments", "shop")
                         if d["metadata"]["name"].startswith("wide-")), timeout=120, what="2 x 1001 ready pods")

    def slice_count() -> tuple[int, int]:
        slices = io.list("endpointslices", "shop", "kubernetes.io/service-name=wide")
        return len(slices), sum(len(s.get("endpoints") or []) for s in slices)

    wait_for(lambda: slice_count() == (11, n), what="11 slices holding 1001 endpoints")
    ep = io.get("endpoints", "shop", "wide")
    assert sum(len(s.get("addresses") or []) for s in ep["subsets"]) == 1000
    assert ep["metadata"]["annotations"]["endpoints.kubernetes.io/over-capacity"] == "truncated"
    result = Cutover(io, "shop", "wide", "green", CutoverOptions(verify_timeout=10.0), settings=settings).run()
    assert result.state is Step.DONE, result.message
    assert "1001 ready green pod(s)" in result.steps[-1].message
    # `gotui status` reads the slices too
    import argparse
    import io as stringio
    import json

    from gotui.commands.status import run as status
    from gotui.config import Settings

    out = stringio.StringIO()
    code = status(argparse.Namespace(json=True), Settings(kubeconfig=str(sb.kubeconfig), namespace="shop",
                                                          audit_log=settings.audit_log, config_path=settings.config_path),
                  out=out, err=stringio.StringIO())
    assert code == 0
    wide = next(a for a in json.loads(out.getvalue())["apps"] if a["service"] == "wide")
    assert len(wide["endpoints"]) == n and wide["live"] == "green"


def test_scale_step_re_reads_lost_answers(cluster, settings):
    """SCALE's HPA raise and /scale patch both lose their answers after applying: re-read, the scale-up goes
    on. Before: the first lost answer ended the run REFUSED with the HPA minimum raised behind its back."""
    from releases.test_scale_up_sandbox import hpa, replicas, shrink_by_hpa

    sb, io = cluster
    shrink_by_hpa(sb, io, "green")
    sb.set_faults([
        {"method": "PATCH", "path": "/horizontalpodautoscalers/go-api-green$", "effect": "drop"},
        {"method": "PATCH", "path": "/deployments/go-api-green/scale$", "effect": "drop"},
    ])
    result = run(io, settings, scale_up=True, verify_timeout=15.0)
    assert result.state is Step.DONE, result.message
    assert [r["fired"] for r in sb.faults()] == [1, 1]
    assert replicas(io, "green") == 3 and hpa(io, "green")["spec"]["minReplicas"] == 3
    assert sum("applied" in x for x in result.lost_answers) == 2


def test_tui_traffic_meter_goes_through_the_service_proxy_never_an_annotated_url(cluster):
    """The cutover screen's traffic meter used to GET the Service's `gotui.dev/url` annotation: anyone allowed
    to annotate the Service made the operator's machine call any URL. It now GETs through the API server's
    service proxy, with the operator's credentials, and still counts the answers by version."""
    from gotui.ui.cutover_screen import start_meter

    sb, io = cluster
    canary = Canary()
    try:
        io.patch("services", "shop", "go-api", {"metadata": {"annotations": {"gotui.dev/url": canary.url}}},
                 MERGE_PATCH)
        meter = start_meter(io, "shop", "go-api", rate=20)
        assert meter is not None
        try:
            wait_for(lambda: meter.snapshot().ok >= 10, what="answers through the service proxy")
        finally:
            snap = meter.stop()
        assert canary.hits == []
        assert set(snap.by_version) == {"1.4.2"}, snap  # blue is live in the quiet scenario
    finally:
        canary.close()
