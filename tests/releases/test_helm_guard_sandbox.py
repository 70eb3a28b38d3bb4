"""A Helm rollback that switches the go-api Service's colour, against the sandbox and the real helm v4.

The sandbox's Helm release renders `version: blue` in every revision; after a gotui cutover to green, a
`helm rollback` switches the Service back to blue with no check (seen by hand: onto a blue scaled to 0,
the Service had no endpoints). The guard refuses that, checks the lock, and otherwise records the switch
and verifies the endpoints, so `R` goes back."""

from __future__ import annotations

import pytest

from gotui.ops import helm
from gotui.ops.bluegreen import ANN_LOCK, ANN_PREVIOUS, ANN_SWITCHED_AT, ANN_SWITCHED_BY, Lock, pod_ready
from gotui.ops.cutover import Cutover, CutoverOptions, Step, now_rfc3339, read_app, rollback_problems
from gotui.ops.helm_guard import HelmGuardError, audit_fields, guarded_rollback
from gotui.ops.kube_io import MERGE_PATCH
from releases.conftest import endpoint_names, ready_pods, service_selector, wait_for
from releases.test_helm_sandbox import helm_env

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]


def cut_over(io, settings, to: str, *, rollback: bool = False) -> None:
    result = Cutover(io, "shop", "go-api", None if rollback else to,
                     CutoverOptions(verify_timeout=20, rollback=rollback, verify_smoke_requests=0),
                     settings=settings).run()
    assert result.state is Step.DONE, result.message
    assert service_selector(io)["version"] == to


def revisions(io) -> list[helm.HelmRevision]:
    return helm.releases(io.list("secrets", "shop", "owner=helm"))[("shop", "go-api")]


@pytest.fixture
def helm_home(tmp_path, monkeypatch):
    for k, v in helm_env(tmp_path).items():
        monkeypatch.setenv(k, v)


def test_switch_onto_a_colour_without_ready_pods_or_under_a_lock_is_refused(cluster, settings, helm_bin, helm_home):
    sb, io = cluster
    cut_over(io, settings, "green")
    target = revisions(io)[1]
    # another cutover holds the lock: refused, nothing changed
    lock = Lock("other1", "bob", now_rfc3339(), "green").dump()
    io.patch("services", "shop", "go-api", {"metadata": {"annotations": {ANN_LOCK: lock}}}, MERGE_PATCH)
    with pytest.raises(HelmGuardError, match="another cutover holds the lock on go-api: bob"):
        guarded_rollback(io, settings, "go-api", target, "shop", kubeconfig=str(sb.kubeconfig), helm=helm_bin)
    io.patch("services", "shop", "go-api", {"metadata": {"annotations": {ANN_LOCK: None}}}, MERGE_PATCH)
    # blue scaled to 0: helm would switch the Service onto zero ready pods
    io.patch("deployments", "shop", "go-api-blue", {"spec": {"replicas": 0}}, MERGE_PATCH, sub="scale")
    wait_for(lambda: not io.list("pods", "shop", "app=go-api,version=blue"), what="blue at 0 pods")
    with pytest.raises(HelmGuardError, match="nothing would serve go-api") as refused:
        guarded_rollback(io, settings, "go-api", target, "shop", kubeconfig=str(sb.kubeconfig), helm=helm_bin)
    assert "version green → blue (blue go-api-blue 0/0 ready" in str(refused.value)
    assert service_selector(io)["version"] == "green" and endpoint_names(io) == ready_pods(io, "green")
    assert [r.revision for r in revisions(io)] == [1, 2, 3]  # helm never ran
    assert io.get("deployments", "shop", "go-api-blue")["spec"]["replicas"] == 0
    fields = audit_fields(None, refused.value)
    assert fields["before"] == fields["after"] and fields["before"]["selectors"]["go-api"]["version"] == "green"


def test_switch_is_checked_recorded_and_verified_so_rollback_goes_back(cluster, settings, helm_bin, helm_home):
    sb, io = cluster
    cut_over(io, settings, "green")
    out = guarded_rollback(io, settings, "go-api", revisions(io)[1], "shop", kubeconfig=str(sb.kubeconfig),
                           helm=helm_bin, operator="alice")
    svc = io.get("services", "shop", "go-api")
    ann = svc["metadata"]["annotations"]
    assert svc["spec"]["selector"]["version"] == "blue"
    assert (ann[ANN_PREVIOUS], ann[ANN_SWITCHED_BY]) == ("green", "alice") and ann[ANN_SWITCHED_AT].endswith("Z")
    blue_ready = sorted(p["metadata"]["name"] for p in io.list("pods", "shop", "app=go-api,version=blue") if pod_ready(p))
    assert blue_ready and endpoint_names(io) == blue_ready  # VERIFY waited for this
    assert "Rollback was a success" in out and "green → blue recorded" in out and "VERIFY ok" in out
    assert out.before["revision"] == 3 and out.after["revision"] == 4
    assert out.before["selectors"]["go-api"]["version"] == "green"
    assert out.after["selectors"]["go-api"]["version"] == "blue"
    assert out.after["verify"] and "endpoints =" in out.after["verify"][0]
    assert [(r.revision, r.status) for r in revisions(io)][-1] == (4, "deployed")
    # the annotations tell the truth: R goes back to green with the cutover's checks
    app = read_app(io, "shop", "go-api")
    assert rollback_problems(app) == ("green", [])
    cut_over(io, settings, "green", rollback=True)
    assert endpoint_names(io) == ready_pods(io, "green")


def test_a_rollback_that_keeps_the_selector_runs_helm_alone(cluster, settings, helm_bin, helm_home):
    sb, io = cluster
    out = guarded_rollback(io, settings, "go-api", revisions(io)[1], "shop", kubeconfig=str(sb.kubeconfig), helm=helm_bin)
    assert out.startswith("Rollback was a success") and "recorded" not in out and "VERIFY" not in out
    assert (out.before["revision"], out.after["revision"]) == (3, 4) and "verify" not in out.after
    svc = io.get("services", "shop", "go-api")
    assert svc["spec"]["selector"]["version"] == "blue" and ANN_PREVIOUS not in svc["metadata"]["annotations"]
