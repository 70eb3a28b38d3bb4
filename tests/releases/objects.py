"""Builders of wire-form Kubernetes objects (as the API sends them) for the pure release tests."""

from __future__ import annotations

from typing import Any


def deployment(name: str, color: str, image: str, replicas: int = 3, *, uid: str | None = None,
               revision: str = "1", ns: str = "shop", generation: int = 1, observed: int = 1,
               updated: int | None = None, available: int | None = None, app: str = "go-api",
               key: str = "version", paused: bool = False, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    labels = {"app": app, key: color}
    ann = {"deployment.kubernetes.io/revision": revision}
    ann.update(annotations or {})
    return {
        "metadata": {"name": name, "namespace": ns, "uid": uid or f"uid-{name}", "generation": generation,
                     "annotations": ann, "creationTimestamp": "2026-11-20T10:00:00Z"},
        "spec": {"replicas": replicas, "paused": paused, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": dict(labels)},
                              "spec": {"containers": [{"name": app, "image": image}]}}},
        "status": {"observedGeneration": observed, "replicas": replicas,
                   "updatedReplicas": replicas if updated is None else updated,
                   "availableReplicas": replicas if available is None else available},
    }


def replicaset(dep: dict[str, Any], hash_: str, revision: str, image: str | None = None,
               replicas: int | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta = dep["metadata"]
    template = {"metadata": {"labels": dict(dep["spec"]["template"]["metadata"]["labels"], **{"pod-template-hash": hash_}),
                             "creationTimestamp": None},
                "spec": {"containers": [dict(c) for c in dep["spec"]["template"]["spec"]["containers"]]}}
    if image:
        template["spec"]["containers"][0]["image"] = image
    ann = {"deployment.kubernetes.io/revision": revision}
    ann.update(annotations or {})
    return {
        "metadata": {"name": f"{meta['name']}-{hash_}", "namespace": meta["namespace"], "uid": f"uid-rs-{meta['name']}-{hash_}",
                     "annotations": ann, "creationTimestamp": "2026-11-20T10:00:00Z",
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"],
                                          "uid": meta["uid"], "controller": True}]},
        "spec": {"replicas": dep["spec"]["replicas"] if replicas is None else replicas, "template": template},
        "status": {"replicas": dep["spec"]["replicas"], "readyReplicas": dep["spec"]["replicas"]},
    }


def pod(rs: dict[str, Any], index: int, ready: bool = True, terminating: bool = False) -> dict[str, Any]:
    meta = rs["metadata"]
    p = {
        "metadata": {"name": f"{meta['name']}-p{index}", "namespace": meta["namespace"],
                     "labels": dict(rs["spec"]["template"]["metadata"]["labels"]),
                     "ownerReferences": [{"kind": "ReplicaSet", "name": meta["name"], "uid": meta["uid"], "controller": True}]},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }
    if terminating:
        p["metadata"]["deletionTimestamp"] = "2026-11-20T10:00:00Z"
    return p


def service(name: str = "go-api", color: str = "blue", ns: str = "shop", annotations: dict[str, str] | None = None,
            key: str = "version", rv: str = "100") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns, "resourceVersion": rv, "annotations": dict(annotations or {})},
            "spec": {"selector": {"app": name, key: color}}}


def endpoints(name: str, pods: list[dict[str, Any]], ns: str = "shop") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns},
            "subsets": [{"addresses": [{"ip": "10.0.0.1", "targetRef": {"kind": "Pod", "name": p["metadata"]["name"]}} for p in pods]}]}


def cluster(blue_ready: int = 3, green_ready: int = 3, green_replicas: int = 3, blue_replicas: int = 3,
            svc_annotations: dict[str, str] | None = None, live: str = "blue", key: str = "version"):
    """(service, deployments, replicasets, pods, endpoints) of the default blue-green app."""
    blue = deployment("go-api-blue", "blue", "go-api:1.4.2", blue_replicas, key=key)
    green = deployment("go-api-green", "green", "go-api:1.5.0", green_replicas, key=key)
    rs_b, rs_g = replicaset(blue, "aaa", "1"), replicaset(green, "bbb", "1")
    pods = [pod(rs_b, i, ready=i < blue_ready) for i in range(blue_replicas)]
    pods += [pod(rs_g, i, ready=i < green_ready) for i in range(green_replicas)]
    svc = service(color=live, annotations=svc_annotations, key=key)
    live_pods = [p for p in pods if p["metadata"]["labels"][key] == live and p["status"]["conditions"][0]["status"] == "True"]
    return svc, [blue, green], [rs_b, rs_g], pods, endpoints("go-api", live_pods)
