"""Blue-green app discovery: a Service plus the Deployments that differ only by a colour label.

Pure functions over wire-form dicts (camelCase, as the API and the ClusterStore hold them). An *app* is
a Service whose selector has a colour key (`version`, `color`, `colour`, `slot`, `track`) and at least
one Deployment whose pod template matches the rest of the selector and carries that key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gotui import clock
from gotui.clock import parse_time

COLOR_KEYS = ("version", "color", "colour", "slot", "track")
ANN_PREFIX = "gotui.dev/"
ANN_PREVIOUS = ANN_PREFIX + "previous-color"
ANN_SWITCHED_AT = ANN_PREFIX + "switched-at"
ANN_SWITCHED_BY = ANN_PREFIX + "switched-by"
ANN_LOCK = ANN_PREFIX + "cutover-lock"
REVISION_ANN = "deployment.kubernetes.io/revision"
LOCK_TTL_S = 600.0  # a lock older than this is stale (a crashed cutover) and does not block


def labels_match(selector: dict[str, str], labels: dict[str, str] | None) -> bool:
    """True when every key/value of the equality `selector` is in `labels` (empty selector: False)."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def pod_ready(pod: dict[str, Any]) -> bool:
    """A pod is Ready when it is not terminating and its Ready condition is True."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def controller_uid(obj: dict[str, Any]) -> str | None:
    """The UID of `obj`'s controlling owner, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def owned_replicasets(deployment: dict[str, Any], replicasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ReplicaSets controlled by `deployment` (matched by owner UID, as kubectl does)."""
    uid = (deployment.get("metadata") or {}).get("uid")
    ns = (deployment.get("metadata") or {}).get("namespace")
    return [
        rs
        for rs in replicasets
        if controller_uid(rs) == uid and (rs.get("metadata") or {}).get("namespace") == ns
    ]


def strip_hash(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of a pod template without the `pod-template-hash` label (and null creationTimestamp)."""
    t = json.loads(json.dumps(template or {}))
    meta = t.setdefault("metadata", {})
    labels = meta.get("labels") or {}
    labels.pop("pod-template-hash", None)
    if "labels" in meta:
        meta["labels"] = labels
    if meta.get("creationTimestamp") is None:
        meta.pop("creationTimestamp", None)
    return t


def current_replicaset(deployment: dict[str, Any], replicasets: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The Deployment's current ReplicaSet: same revision annotation, else an equal template."""
    owned = owned_replicasets(deployment, replicasets)
    rev = ((deployment.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANN)
    if rev:
        for rs in owned:
            if ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANN) == rev:
                return rs
    want = strip_hash((deployment.get("spec") or {}).get("template") or {})
    for rs in owned:
        if strip_hash((rs.get("spec") or {}).get("template") or {}) == want:
            return rs
    return None


def images_of(template: dict[str, Any]) -> list[str]:
    """Container images of a pod template, in order."""
    return [c.get("image", "") for c in ((template or {}).get("spec") or {}).get("containers") or []]


@dataclass
class Lock:
    """The cutover lock annotation on a Service."""

    id: str
    by: str
    at: str
    to: str

    @classmethod
    def parse(cls, raw: str | None) -> Lock | None:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(str(data.get("id", "")), str(data.get("by", "")), str(data.get("at", "")), str(data.get("to", "")))
        except (ValueError, AttributeError):
            return cls("?", "?", "", "?")

    def dump(self) -> str:
        return json.dumps({"id": self.id, "by": self.by, "at": self.at, "to": self.to}, separators=(",", ":"))

    def age_s(self, now: datetime | None = None) -> float | None:
        at = parse_time(self.at)
        if at is None:
            return None
        return ((now or clock.now()) - at).total_seconds()

    def stale(self, now: datetime | None = None) -> bool:
        age = self.age_s(now)
        return age is not None and age > LOCK_TTL_S


@dataclass
class ColorState:
    """One colour of an app: its Deployment and how ready it is."""

    color: str
    deployment: str
    images: list[str]
    replicas: int  # spec.replicas
    ready: int  # ready pods of the current ReplicaSet
    total_pods: int  # pods of the current ReplicaSet (not terminating)
    updated: int
    available: int
    revision: str
    generation: int
    observed_generation: int
    created: datetime | None
    ready_pods: list[str] = field(default_factory=list)
    unready_pods: list[str] = field(default_factory=list)
    paused: bool = False

    @property
    def rollout_complete(self) -> bool:
        """As `kubectl rollout status` judges it (generation observed, all updated and available)."""
        return (
            self.observed_generation >= self.generation
            and self.updated >= self.replicas
            and self.available >= self.updated
        )


@dataclass
class BlueGreenApp:
    """A Service and its colours."""

    name: str  # the Service name
    namespace: str
    color_key: str
    selector: dict[str, str]
    live_color: str
    colors: dict[str, ColorState]
    resource_version: str
    previous_color: str | None = None
    switched_at: str | None = None
    switched_by: str | None = None
    lock: Lock | None = None
    endpoints: list[str] = field(default_factory=list)  # pod names behind the Service now
    url: str | None = None  # an HTTP URL for the Service (annotation gotui.dev/url or the sandbox's)

    @property
    def idle_colors(self) -> list[str]:
        return [c for c in self.colors if c != self.live_color]

    @property
    def live(self) -> ColorState | None:
        return self.colors.get(self.live_color)


def endpoint_pods(endpoints: dict[str, Any] | None) -> list[str]:
    """Names of the pods in the ready addresses of an Endpoints object."""
    names: list[str] = []
    for subset in (endpoints or {}).get("subsets") or []:
        for addr in subset.get("addresses") or []:
            ref = addr.get("targetRef") or {}
            names.append(ref.get("name") or addr.get("ip", "?"))
    return sorted(names)


def detect_color_key(selector: dict[str, str], deployments: list[dict[str, Any]]) -> str | None:
    """The selector key that tells colours apart, or None when the Service is not blue-green.

    A known colour key (`version`, `color`, ...) wins when some Deployment matches the rest of the
    selector and carries it; otherwise any key where two matching Deployments differ.
    """
    candidates = [k for k in COLOR_KEYS if k in selector] + [k for k in selector if k not in COLOR_KEYS]
    for key in candidates:
        rest = {k: v for k, v in selector.items() if k != key}
        values = set()
        for d in deployments:
            labels = (((d.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            if rest and labels_match(rest, labels) and key in labels:
                values.add(labels[key])
        if key in COLOR_KEYS and values:
            return key
        if len(values) >= 2:
            return key
    return None


def color_state(
    color: str, deployment: dict[str, Any], replicasets: list[dict[str, Any]], pods: list[dict[str, Any]]
) -> ColorState:
    """Summarise one Deployment: images, replica counts, the readiness of its current ReplicaSet's pods."""
    meta = deployment.get("metadata") or {}
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    rs = current_replicaset(deployment, replicasets)
    ready: list[str] = []
    unready: list[str] = []
    if rs is not None:
        rs_uid = (rs.get("metadata") or {}).get("uid")
        for pod in pods:
            pmeta = pod.get("metadata") or {}
            if pmeta.get("namespace") != meta.get("namespace") or controller_uid(pod) != rs_uid:
                continue
            if pmeta.get("deletionTimestamp"):
                continue
            (ready if pod_ready(pod) else unready).append(pmeta.get("name", ""))
    return ColorState(
        color=color,
        deployment=meta.get("name", ""),
        images=images_of(spec.get("template") or {}),
        replicas=int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1),
        ready=len(ready),
        total_pods=len(ready) + len(unready),
        updated=int(status.get("updatedReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        revision=(meta.get("annotations") or {}).get(REVISION_ANN, ""),
        generation=int(meta.get("generation") or 0),
        observed_generation=int(status.get("observedGeneration") or 0),
        created=parse_time(meta.get("creationTimestamp")),
        ready_pods=sorted(ready),
        unready_pods=sorted(unready),
        paused=bool(spec.get("paused")),
    )


def build_app(
    service: dict[str, Any],
    deployments: list[dict[str, Any]],
    replicasets: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    endpoints: dict[str, Any] | None = None,
) -> BlueGreenApp | None:
    """The blue-green view of one Service, or None when it has no colour key / colour Deployments."""
    meta = service.get("metadata") or {}
    ns = meta.get("namespace", "")
    selector = dict((service.get("spec") or {}).get("selector") or {})
    same_ns = [d for d in deployments if (d.get("metadata") or {}).get("namespace") == ns]
    key = detect_color_key(selector, same_ns)
    if key is None:
        return None
    rest = {k: v for k, v in selector.items() if k != key}
    colors: dict[str, ColorState] = {}
    for d in same_ns:
        labels = (((d.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
        if labels_match(rest, labels) and key in labels:
            colors[labels[key]] = color_state(labels[key], d, replicasets, pods)
    if not colors:
        return None
    ann = meta.get("annotations") or {}
    return BlueGreenApp(
        name=meta.get("name", ""),
        namespace=ns,
        color_key=key,
        selector=selector,
        live_color=selector.get(key, ""),
        colors=dict(sorted(colors.items())),
        resource_version=str(meta.get("resourceVersion", "")),
        previous_color=ann.get(ANN_PREVIOUS),
        switched_at=ann.get(ANN_SWITCHED_AT),
        switched_by=ann.get(ANN_SWITCHED_BY),
        lock=Lock.parse(ann.get(ANN_LOCK)),
        endpoints=endpoint_pods(endpoints),
        url=ann.get("gotui.dev/url") or ann.get("sandbox.gotui.dev/url"),
    )


def discover_apps(
    services: list[dict[str, Any]],
    deployments: list[dict[str, Any]],
    replicasets: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    endpoints: list[dict[str, Any]] | None = None,
) -> list[BlueGreenApp]:
    """Every blue-green app among `services`, sorted by namespace and name."""
    eps = {((e.get("metadata") or {}).get("namespace"), (e.get("metadata") or {}).get("name")): e for e in endpoints or []}
    apps = []
    for svc in services:
        m = svc.get("metadata") or {}
        app = build_app(svc, deployments, replicasets, pods, eps.get((m.get("namespace"), m.get("name"))))
        if app is not None:
            apps.append(app)
    return sorted(apps, key=lambda a: (a.namespace, a.name))


def age(created: datetime | None, now: datetime | None = None) -> str:
    """kubectl-style age (45s, 3m20s, 5h12m, 3d4h); `-` when unknown."""
    return clock.age(created, reference=now)
