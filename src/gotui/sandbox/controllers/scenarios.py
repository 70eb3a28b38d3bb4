"""Scenario objects: `default`, `quiet` and `big --pods N` (seeded, deterministic)."""

from __future__ import annotations

import random
from typing import Any

from .helm import go_api_releases, release_secret

SCENARIOS = ("default", "quiet", "big", "empty")
BIG_NAMESPACES = ("team-alpha", "team-bravo", "team-charlie", "team-delta", "team-echo")
# above 10,000 pods: 20 namespaces (150,000 pods: 3,000 Deployments, 7,500 pods a namespace)
BIG_NAMESPACES_MORE = BIG_NAMESPACES + tuple(f"team-{n}" for n in (
    "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
    "quebec", "romeo", "sierra", "tango"))
BIG_APPS = ["checkout", "payments", "catalog", "search", "inventory", "shipping", "auth", "profile", "cart",
            "reviews", "pricing", "notify", "ledger", "gateway", "recommend", "media"]


def namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "kubernetes.io/metadata.name": name}}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def container(name: str, image: str, *, http: bool = True, cpu: str = "100m", memory: str = "64Mi") -> dict:
    c: dict[str, Any] = {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": "256Mi"}},
    }
    if http:
        c["ports"] = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
        c["env"] = [{"name": "PORT", "value": "8080"}]
    return c


def deployment(name: str, ns: str, labels: dict, containers: list[dict], replicas: int, *,
               annotations: dict | None = None) -> dict:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
    }


def service(name: str, ns: str, selector: dict, *, port: int = 80, target: Any = "http", labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {"app": name})},
        "spec": {"type": "ClusterIP", "selector": dict(selector),
                 "ports": [{"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}]},
    }


def hpa(name: str, ns: str, target: str, *, min_replicas: int = 2, max_replicas: int = 10, cpu: int = 70) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": cpu}}}],
        },
    }


def configmap(name: str, ns: str, data: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def shop_objects(*, quiet: bool, now: float) -> list[tuple[str, dict]]:
    """The `default` / `quiet` scenario objects as (resource, object) pairs, in creation order."""
    worker_image = "go-worker:0.9.1" if quiet else "go-worker:0.9.1-crash"
    objs: list[tuple[str, dict]] = [
        ("namespaces", namespace("shop")),
        ("namespaces", namespace("default")),
        ("configmaps", configmap("go-api-config", "shop", {"LOG_LEVEL": "info", "DB_HOST": "postgres.shop.svc"})),
        ("services", service("go-api", "shop", {"app": "go-api", "version": "blue"},
                             labels={"app": "go-api", "app.kubernetes.io/managed-by": "Helm"})),
        ("deployments", deployment("go-api-blue", "shop", {"app": "go-api", "version": "blue"},
                                   [container("go-api", "go-api:1.4.2")], 3,
                                   annotations={"kubernetes.io/change-cause": "helm upgrade go-api: image go-api:1.4.2",
                                                "meta.helm.sh/release-name": "go-api",
                                                "meta.helm.sh/release-namespace": "shop"})),
        ("deployments", deployment("go-api-green", "shop", {"app": "go-api", "version": "green"},
                                   [container("go-api", "go-api:1.5.0")], 3,
                                   annotations={"kubernetes.io/change-cause": "deploy green: image go-api:1.5.0"})),
        ("horizontalpodautoscalers", hpa("go-api-blue", "shop", "go-api-blue")),
        ("horizontalpodautoscalers", hpa("go-api-green", "shop", "go-api-green")),
        ("deployments", deployment("worker", "shop", {"app": "worker"},
                                   [container("worker", worker_image, http=False),
                                    container("log-shipper", "fluent-bit:3.1.9", http=False, cpu="20m",
                                              memory="32Mi")], 1)),
        ("deployments", deployment("hello", "default", {"app": "hello"},
                                   [container("hello", "hello-go:1.0.0", http=False, cpu="10m", memory="16Mi")], 2)),
    ]
    for release in go_api_releases("shop", now):
        objs.append(("secrets", release_secret(release, "shop")))
    if not quiet:
        objs += infra_objects()
    return objs


def statefulset(name: str, ns: str, labels: dict, containers: list[dict], replicas: int, service: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": ns,
                                                                          "labels": dict(labels)},
            "spec": {"replicas": replicas, "serviceName": service, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}}}}


def daemonset(name: str, ns: str, labels: dict, containers: list[dict]) -> dict:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": ns,
                                                                        "labels": dict(labels)},
            "spec": {"selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}}}}


def infra_objects() -> list[tuple[str, dict]]:
    """The `default` scenario's namespace `infra`: a StatefulSet (redis, 2 replicas, headless Service) and a
    DaemonSet (node-exporter on every node). Not in `quiet`, so the tests' pod and node counts stay put."""
    redis = container("redis", "redis:7.2.5", http=False, cpu="50m", memory="64Mi")
    redis["ports"] = [{"name": "redis", "containerPort": 6379, "protocol": "TCP"}]
    headless = service("redis", "infra", {"app": "redis"}, port=6379, target="redis")
    headless["spec"]["clusterIP"] = "None"
    exporter = container("node-exporter", "prom/node-exporter:v1.8.1", http=False, cpu="10m", memory="32Mi")
    return [("namespaces", namespace("infra")), ("services", headless),
            ("statefulsets", statefulset("redis", "infra", {"app": "redis"}, [redis], 2, "redis")),
            ("daemonsets", daemonset("node-exporter", "infra", {"app": "node-exporter"}, [exporter]))]


def big_objects(pods: int, seed: int) -> list[tuple[str, dict]]:
    """`big --pods N`: N pods over about N/50 Deployments in 5 namespaces (20 above 10,000 pods); one
    HTTP Service in each of the first 5 namespaces."""
    rng = random.Random(f"big:{seed}")
    n_deploy = max(1, round(pods / 50))
    names = BIG_NAMESPACES if pods <= 10_000 else BIG_NAMESPACES_MORE
    objs: list[tuple[str, dict]] = [("namespaces", namespace(ns)) for ns in names]
    objs.append(("namespaces", namespace("shop")))
    base, extra = divmod(pods, n_deploy)
    for i in range(n_deploy):
        ns = names[i % len(names)]
        app = f"{BIG_APPS[(i // len(names)) % len(BIG_APPS)]}-{i // (len(names) * len(BIG_APPS)) + 1}"
        replicas = base + (1 if i < extra else 0)
        first_in_ns = i < len(BIG_NAMESPACES)
        tag = f"{rng.randrange(1, 3)}.{rng.randrange(0, 20)}.{rng.randrange(0, 10)}"
        labels = {"app": app, "tier": "backend"}
        objs.append(("deployments", deployment(app, ns, labels, [container(app, f"{app}:{tag}", http=first_in_ns)],
                                               replicas)))
        if first_in_ns:
            objs.append(("services", service(app, ns, {"app": app})))
    return objs
