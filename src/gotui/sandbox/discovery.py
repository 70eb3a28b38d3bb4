"""Legacy discovery documents: /version, /api, /api/v1, /apis, /apis/G, /apis/G/V.

Served as plain `application/json`, so kubectl and the Python clients use legacy discovery
(see reference/kubernetes-api.md §1). Subresources are listed, deployments/scale included.
"""

from __future__ import annotations

from typing import Any

from gotui.sandbox.resources import RESOURCES, ResourceInfo, by_group_version, groups

VERSION_INFO = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions() -> dict[str, Any]:
    """GET /api."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def _group_doc(name: str, version: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/{version}", "version": version}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def api_group_list() -> dict[str, Any]:
    """GET /apis."""
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_doc(g, v) for g, v in groups().items()]}


def api_group(group: str) -> dict[str, Any] | None:
    """GET /apis/GROUP, or None if the group is not served."""
    version = groups().get(group)
    if version is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, version)}


def _entries(r: ResourceInfo) -> list[dict[str, Any]]:
    main: dict[str, Any] = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                            "kind": r.kind, "verbs": list(r.verbs)}
    if r.short_names:
        main["shortNames"] = list(r.short_names)
    if r.categories:
        main["categories"] = list(r.categories)
    out = [main]
    for sub in r.subresources:
        if sub == "scale":
            out.append({"name": f"{r.plural}/scale", "singularName": "", "namespaced": r.namespaced,
                        "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]})
        elif sub == "status":
            out.append({"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                        "kind": r.kind, "verbs": ["get", "patch", "update"]})
        elif sub == "eviction":
            out.append({"name": f"{r.plural}/eviction", "singularName": "", "namespaced": r.namespaced,
                        "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]})
        elif sub == "log":
            out.append({"name": f"{r.plural}/log", "singularName": "", "namespaced": r.namespaced,
                        "kind": "Pod", "verbs": ["get"]})
    return out


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    """GET /api/v1 or /apis/G/V, or None if not served."""
    infos = by_group_version(group, version)
    if not infos:
        return None
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [e for r in infos for e in _entries(r)]}


def find_resource(group: str, version: str, plural: str) -> ResourceInfo | None:
    """The served resource for a URL's group/version/plural."""
    info = RESOURCES.get(plural)
    if info is None or info.group != group or info.version != version:
        return None
    return info
