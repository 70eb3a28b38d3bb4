"""The resource kinds the sandbox serves: plural name, group/version, kind, scope, verbs, subresources.

Plural names are unique across groups, so the store keys everything by plural.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceInfo:
    """One served resource."""

    plural: str
    singular: str
    kind: str
    group: str
    version: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = tuple(ALL_VERBS)
    subresources: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        """`v1` or `apps/v1`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`pods` or `deployments.apps` as used in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCES: dict[str, ResourceInfo] = {
    r.plural: r
    for r in [
        ResourceInfo("namespaces", "namespace", "Namespace", "", "v1", namespaced=False, short_names=("ns",),
                     verbs=("create", "delete", "get", "list", "patch", "update", "watch"), subresources=("status",)),
        ResourceInfo("nodes", "node", "Node", "", "v1", namespaced=False, short_names=("no",),
                     verbs=("create", "delete", "get", "list", "patch", "update", "watch"), subresources=("status",)),
        ResourceInfo("pods", "pod", "Pod", "", "v1", short_names=("po",), categories=("all",),
                     subresources=("eviction", "log", "status")),
        ResourceInfo("services", "service", "Service", "", "v1", short_names=("svc",), categories=("all",),
                     verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
                     subresources=("status",)),
        ResourceInfo("endpoints", "endpoints", "Endpoints", "", "v1", short_names=("ep",)),
        ResourceInfo("events", "event", "Event", "", "v1", short_names=("ev",)),
        ResourceInfo("secrets", "secret", "Secret", "", "v1"),
        ResourceInfo("configmaps", "configmap", "ConfigMap", "", "v1", short_names=("cm",)),
        ResourceInfo("deployments", "deployment", "Deployment", "apps", "v1", short_names=("deploy",),
                     categories=("all",), subresources=("scale", "status")),
        ResourceInfo("replicasets", "replicaset", "ReplicaSet", "apps", "v1", short_names=("rs",),
                     categories=("all",), subresources=("scale", "status")),
        ResourceInfo("statefulsets", "statefulset", "StatefulSet", "apps", "v1", short_names=("sts",),
                     categories=("all",), subresources=("scale", "status")),
        ResourceInfo("daemonsets", "daemonset", "DaemonSet", "apps", "v1", short_names=("ds",),
                     categories=("all",), subresources=("status",)),
        ResourceInfo("controllerrevisions", "controllerrevision", "ControllerRevision", "apps", "v1"),
        ResourceInfo("horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler",
                     "autoscaling", "v2", short_names=("hpa",), categories=("all",), subresources=("status",)),
        ResourceInfo("endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", "v1"),
        ResourceInfo("customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition",
                     "apiextensions.k8s.io", "v1", namespaced=False, short_names=("crd", "crds"),
                     categories=("api-extensions",), subresources=("status",)),
        ResourceInfo("selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview",
                     "authorization.k8s.io", "v1", namespaced=False, verbs=("create",)),
        ResourceInfo("selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview",
                     "authentication.k8s.io", "v1", namespaced=False, verbs=("create",)),
    ]
}

# Resources whose main endpoint ignores status changes (status is written through /status).
STATUS_SUBRESOURCE = {p for p, r in RESOURCES.items() if "status" in r.subresources}
# Reviews are answered, never stored (kubectl auth can-i / auth whoami).
REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectreviews"})
STORED = [p for p in RESOURCES if p not in REVIEWS]  # the built-in stored kinds (CRDs add to RESOURCES)
BUILTIN = frozenset(RESOURCES)


def register(info: ResourceInfo) -> None:
    """Serve a custom resource (an established CRD): discovery, the REST paths and the store know it.

    The registry is process-wide (one sandbox per process); built-in plurals cannot be replaced."""
    if info.plural in BUILTIN:
        raise ValueError(f"{info.plural} is a built-in resource")
    RESOURCES[info.plural] = info
    if "status" in info.subresources:
        STATUS_SUBRESOURCE.add(info.plural)
    else:
        STATUS_SUBRESOURCE.discard(info.plural)


def unregister(plural: str) -> None:
    """Stop serving a custom resource (its CRD was deleted)."""
    if plural not in BUILTIN:
        RESOURCES.pop(plural, None)
        STATUS_SUBRESOURCE.discard(plural)


def group_resource(plural: str) -> str:
    """`deployments.apps` for deployments, the plural itself for core or unknown resources."""
    info = RESOURCES.get(plural)
    return info.group_resource if info else plural


def groups() -> dict[str, str]:
    """Group name -> its single served version, in a stable order (core group excluded)."""
    out: dict[str, str] = {}
    for r in RESOURCES.values():
        if r.group and r.group not in out:
            out[r.group] = r.version
    return out


def by_group_version(group: str, version: str) -> list[ResourceInfo]:
    """Resources of one group/version."""
    return [r for r in RESOURCES.values() if r.group == group and r.version == version]
