"""The sandbox's Node objects: one per node the simulated kubelet schedules onto, Ready, with the
capacity, addresses and nodeInfo a kubelet reports (so `kubectl get nodes` and cordon/drain work)."""

from __future__ import annotations

from typing import Any

from gotui.sandbox.controllers.kubelet import NODE_IPS, NODES

KUBELET_VERSION = "v1.33.1"


def node_object(name: str) -> dict[str, Any]:
    """A Ready worker Node as its kubelet registers it."""
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name,
                     "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                "kubernetes.io/arch": "amd64", "node-role.kubernetes.io/worker": ""}},
        "spec": {"podCIDR": f"10.244.{NODES.index(name)}.0/24" if name in NODES else ""},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110"},
            "addresses": [{"type": "InternalIP", "address": NODE_IPS.get(name, "")}, {"type": "Hostname", "address": name}],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status"}],
            "nodeInfo": {"kubeletVersion": KUBELET_VERSION, "kubeProxyVersion": "", "osImage": "gotui sandbox",
                         "architecture": "amd64", "operatingSystem": "linux", "kernelVersion": "6.1.0",
                         "containerRuntimeVersion": "containerd://1.7.0", "bootID": f"boot-{name}",
                         "machineID": f"machine-{name}", "systemUUID": f"uuid-{name}"},
        },
    }


def ensure_nodes(store: Any) -> None:
    """Register the kubelet's nodes once."""
    for name in NODES:
        if store.get("nodes", "", name) is None:
            store.create("nodes", node_object(name))


def node_row(obj: dict) -> tuple[str, str]:
    """(STATUS, ROLES) as `kubectl get nodes` prints them (`Ready,SchedulingDisabled` when cordoned)."""
    conds = {c.get("type"): c.get("status") for c in (obj.get("status") or {}).get("conditions") or []}
    status = "Ready" if conds.get("Ready") == "True" else "NotReady" if "Ready" in conds else "Unknown"
    if (obj.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in ((obj.get("metadata") or {}).get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/"))
    return status, ",".join(roles) or "<none>"
