"""The registry of resource kinds, filled from the API server's discovery (legacy: /api, /api/v1,
/apis, /apis/G/V — the lists kubectl reads).

`discover(api_client)` returns a `KindRegistry`; `registry.lookup(name)` finds a kind by any alias:
plural, singular, short name, lower-case kind, `resource.group` (also `resource.version.group`) and
k9s's own aliases (`dp`, `sec`, `job`...). CRDs need no code: whatever discovery lists is there.
Plain Python, no Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

# k9s aliases that discovery does not give (discovery's shortNames cover po, svc, deploy, rs, ...).
K9S_ALIASES: dict[str, str] = {
    "po": "pods", "dp": "deployments.apps", "deploy": "deployments.apps", "rs": "replicasets.apps",
    "svc": "services", "ep": "endpoints", "ev": "events", "no": "nodes", "ns": "namespaces",
    "cm": "configmaps", "sec": "secrets", "job": "jobs.batch", "cj": "cronjobs.batch",
    "sts": "statefulsets.apps", "ds": "daemonsets.apps", "ing": "ingresses.networking.k8s.io",
    "pvc": "persistentvolumeclaims", "pv": "persistentvolumes",
    "hpa": "horizontalpodautoscalers.autoscaling", "crd": "customresourcedefinitions.apiextensions.k8s.io",
    "crds": "customresourcedefinitions.apiextensions.k8s.io", "sa": "serviceaccounts",
    "eps": "endpointslices.discovery.k8s.io",
}
# When two groups serve the same plural (events: core and events.k8s.io), the first group listed wins.
_GROUP_RANK = {"": 0, "apps": 1, "batch": 2, "autoscaling": 3}


@dataclass(frozen=True)
class Kind:
    """One served resource (not a subresource)."""

    group: str
    version: str
    resource: str  # plural
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    singular: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`deployments.apps`, or `pods` for the core group (kubectl's name for it)."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def base_path(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection (all namespaces when `namespace` is None) or of one object."""
        ns = f"/namespaces/{namespace}" if namespace and self.namespaced else ""
        return f"{self.base_path}{ns}/{self.resource}" + (f"/{name}" if name else "")

    def can(self, verb: str) -> bool:
        return verb in self.verbs

    @property
    def aliases(self) -> list[str]:
        """Every name this kind answers to (lower case)."""
        names = [self.resource, self.singular, self.kind.lower(), *self.short_names]
        if self.group:
            names += [f"{self.resource}.{self.group}", f"{self.resource}.{self.version}.{self.group}",
                      f"{self.singular}.{self.group}" if self.singular else ""]
        return [n.lower() for n in names if n]


@dataclass
class KindRegistry:
    """Kinds by group/resource, and every alias that resolves to one."""

    kinds: dict[str, Kind] = field(default_factory=dict)  # group_resource -> Kind
    _alias: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # groups discovery could not read

    def add(self, kind: Kind) -> None:
        self.kinds[kind.group_resource] = kind
        rank = _GROUP_RANK.get(kind.group, 9)
        for alias in kind.aliases:
            old = self._alias.get(alias)
            if old is None or _GROUP_RANK.get(self.kinds[old].group, 9) > rank:
                self._alias[alias] = kind.group_resource
        for alias, target in K9S_ALIASES.items():
            if target == kind.group_resource:
                self._alias.setdefault(alias, target)

    def lookup(self, name: str) -> Kind | None:
        """The kind `name` refers to (any alias, case-insensitive), or None."""
        key = (name or "").strip().lower()
        target = self._alias.get(key) or K9S_ALIASES.get(key)
        if target is None and key in self.kinds:
            target = key
        return self.kinds.get(target) if target else None

    def names(self) -> list[str]:
        """Every alias, sorted (for completion)."""
        return sorted(self._alias)

    def complete(self, prefix: str) -> list[str]:
        """Aliases starting with `prefix`, shortest first."""
        p = prefix.strip().lower()
        return sorted((n for n in self._alias if n.startswith(p)), key=lambda n: (len(n), n)) if p else []

    def __len__(self) -> int:
        return len(self.kinds)

    def __iter__(self) -> Any:
        return iter(self.kinds.values())


# The kinds gotui's watch cache and its operations address by plural before (or without) discovery:
# the one static part of the registry. `discover()` fills a registry with every kind the server serves.
_ALL = ("get", "list", "watch", "create", "update", "patch", "delete")
WELL_KNOWN = KindRegistry()
for _k in (
    Kind("", "v1", "pods", "Pod", True, _ALL, ("po",), ("all",), "pod"),
    Kind("", "v1", "services", "Service", True, _ALL, ("svc",), ("all",), "service"),
    Kind("", "v1", "endpoints", "Endpoints", True, _ALL, ("ep",), (), "endpoints"),
    Kind("", "v1", "events", "Event", True, _ALL, ("ev",), (), "event"),
    Kind("", "v1", "secrets", "Secret", True, _ALL, (), (), "secret"),
    Kind("apps", "v1", "deployments", "Deployment", True, _ALL, ("deploy",), ("all",), "deployment"),
    Kind("apps", "v1", "replicasets", "ReplicaSet", True, _ALL, ("rs",), ("all",), "replicaset"),
    Kind("apps", "v1", "statefulsets", "StatefulSet", True, _ALL, ("sts",), ("all",), "statefulset"),
    Kind("apps", "v1", "daemonsets", "DaemonSet", True, _ALL, ("ds",), ("all",), "daemonset"),
    Kind("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, _ALL, ("hpa",), ("all",),
         "horizontalpodautoscaler"),
    Kind("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, _ALL, (), (), "endpointslice"),
):
    WELL_KNOWN.add(_k)


def well_known(resource: str) -> Kind:
    """A kind of `WELL_KNOWN` by plural (`pods`, `deployments`...); KeyError for any other."""
    kind = WELL_KNOWN.lookup(resource)
    if kind is None or kind.resource != resource:
        raise KeyError(resource)
    return kind


def kinds_from_resource_list(doc: dict[str, Any]) -> list[Kind]:
    """The Kinds of one APIResourceList (subresources such as `pods/log` left out)."""
    gv = str(doc.get("groupVersion") or "")
    group, _, version = gv.rpartition("/")
    out = []
    for r in doc.get("resources") or []:
        name = str(r.get("name") or "")
        if not name or "/" in name:
            continue
        out.append(Kind(
            group=group, version=version, resource=name, kind=str(r.get("kind") or ""),
            namespaced=bool(r.get("namespaced")), verbs=tuple(r.get("verbs") or ()),
            short_names=tuple(r.get("shortNames") or ()), categories=tuple(r.get("categories") or ()),
            singular=str(r.get("singularName") or "") or str(r.get("kind") or "").lower(),
        ))
    return out


def build_registry(docs: Iterable[dict[str, Any]]) -> KindRegistry:
    """A registry from APIResourceLists (core first, then the groups in discovery's order)."""
    reg = KindRegistry()
    for doc in docs:
        for kind in kinds_from_resource_list(doc):
            reg.add(kind)
    return reg


def _get_json(api_client: Any, path: str, timeout: float) -> Any:
    from gotui.kube.client import api_get, read_json

    return read_json(api_get(api_client, path, timeout=timeout))


def discover(api_client: Any, timeout: float = 10.0) -> KindRegistry:
    """Read discovery (core and every group's preferred version) into a KindRegistry.

    A group whose list fails (an aggregated API that is down) is skipped and named in `errors`, as
    kubectl does; a failure of /api or /apis raises.
    """
    core = _get_json(api_client, "/api", timeout)
    group_list = _get_json(api_client, "/apis", timeout)
    paths = [f"/api/{v}" for v in (core.get("versions") or ["v1"])[:1]]
    for g in group_list.get("groups") or []:
        preferred = (g.get("preferredVersion") or {}).get("groupVersion") or \
            ((g.get("versions") or [{}])[0]).get("groupVersion")
        if preferred:
            paths.append(f"/apis/{preferred}")
    errors: list[str] = []

    def fetch(path: str) -> dict[str, Any]:
        try:
            doc = _get_json(api_client, path, timeout)
            return doc if isinstance(doc, dict) else {}
        except Exception as exc:  # noqa: BLE001 - one broken group never hides the others
            errors.append(f"{path}: {exc}")
            return {}

    with ThreadPoolExecutor(max_workers=min(8, len(paths))) as pool:
        docs = list(pool.map(fetch, paths))
    reg = build_registry(docs)
    reg.errors = errors
    return reg
