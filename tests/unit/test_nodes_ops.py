"""Drain planning (which pods go, which stay and why), the node Actions' kubectl previews, and the
sandbox's `kubectl get nodes` STATUS/ROLES columns."""

from __future__ import annotations

from gotui.ops.nodes import MIRROR_ANNOTATION, cordon_action, drain_action, drain_plan
from gotui.sandbox.nodes import node_object, node_row


def pod(name: str, node: str = "n1", *, owner: str | None = None, mirror: bool = False, phase: str = "Running") -> dict:
    meta: dict = {"name": name, "namespace": "shop"}
    if owner:
        meta["ownerReferences"] = [{"kind": owner, "name": "x", "controller": True}]
    if mirror:
        meta["annotations"] = {MIRROR_ANNOTATION: "abc"}
    return {"metadata": meta, "spec": {"nodeName": node}, "status": {"phase": phase}}


def test_drain_plan_skips_daemonset_and_mirror_pods_and_other_nodes():
    plan = drain_plan("n1", [pod("web", owner="ReplicaSet"), pod("bare"), pod("ds", owner="DaemonSet"),
                             pod("static", mirror=True), pod("elsewhere", node="n2"), pod("done", phase="Succeeded")])
    assert plan.evict == (("shop", "bare"), ("shop", "done"), ("shop", "web"))
    assert [(n, why.split(" ")[0]) for _, n, why in plan.skipped] == [("ds", "DaemonSet-managed"), ("static", "mirror")]


def test_node_action_previews_are_kubectl_commands():
    assert cordon_action("n1", "prod").preview == "kubectl cordon n1 --context prod"
    assert cordon_action("n1", "prod", cordon=False).preview == "kubectl uncordon n1 --context prod"
    act = drain_action("n1", "prod", drain_plan("n1", [pod("web"), pod("ds", owner="DaemonSet")]))
    assert act.preview == "kubectl drain n1 --ignore-daemonsets --delete-emptydir-data --context prod"
    assert "1 pod(s) will be evicted" in act.detail and "shop/web" in act.detail and "ds (DaemonSet-managed)" in act.detail
    assert not act.reversible and cordon_action("n1", "prod").reversible


def test_sandbox_node_status_column():
    node = node_object("sandbox-node-1")
    assert node_row(node) == ("Ready", "worker")
    node["spec"]["unschedulable"] = True
    assert node_row(node)[0] == "Ready,SchedulingDisabled"
