"""Endpoints and discovery.k8s.io/v1 EndpointSlices from the pods matching each Service's selector.

Both are written in the same reconcile, so they never disagree, with the real controllers' limits: an
Endpoints object holds at most MAX_ENDPOINTS_ADDRESSES addresses (ready ones first) and is then annotated
`endpoints.kubernetes.io/over-capacity: truncated`; EndpointSlices hold MAX_ENDPOINTS_PER_SLICE endpoints
each (kube-controller-manager's default `--max-endpoints-per-slice`), as many slices as needed, all
labelled `kubernetes.io/service-name`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .util import fast_copy, iso, owner_ref, pod_is_ready, random_suffix, selector_matches

if TYPE_CHECKING:
    from .manager import ControllerManager

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
MAX_ENDPOINTS_ADDRESSES = 1000  # the Endpoints controller's cap (k8s.io/kubernetes pkg/controller/endpoint)
MAX_ENDPOINTS_PER_SLICE = 100
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"


def resolve_target_port(svc_port: dict, pod: dict) -> int | None:
    """The container port a Service port targets on `pod` (numeric or by container port name)."""
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    text = str(target)
    if text.isdigit():
        return int(text)
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == text:
                return p.get("containerPort")
    return None


def endpoint_ports(svc: dict, pod: dict | None) -> list[dict]:
    """The EndpointPort list for a Service as resolved against one pod."""
    out = []
    for sp in (svc.get("spec") or {}).get("ports") or []:
        port = resolve_target_port(sp, pod) if pod is not None else None
        if port is None:
            continue
        ep = {"port": port, "protocol": sp.get("protocol", "TCP")}
        if sp.get("name"):
            ep["name"] = sp["name"]
        if sp.get("appProtocol"):
            ep["appProtocol"] = sp["appProtocol"]
        out.append(ep)
    return out


def ready_pod_addresses(store, svc: dict) -> list[dict]:
    """The ready, non-terminating pods selected by `svc` right now (read from the store)."""
    ns = svc["metadata"].get("namespace")
    selector = (svc.get("spec") or {}).get("selector")
    if not selector:
        return []
    pods, _ = store.list("pods", ns)
    return [p for p in pods if selector_matches(selector, p["metadata"].get("labels"))
            and pod_is_ready(p) and (p.get("status") or {}).get("podIP")]


class EndpointsController:
    """Writes Endpoints and EndpointSlices for Services with selectors."""

    def __init__(self, mgr: ControllerManager) -> None:
        self.mgr = mgr
        self._slice_names: dict[str, list[str]] = {}  # service uid -> its slices' names, in order

    def reconcile(self, namespace: str, name: str) -> int:
        """Sync the Endpoints and EndpointSlice of one Service; returns writes made."""
        store = self.mgr.store
        svc = store.get("services", namespace, name)
        if svc is None:
            return 0
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            return 0
        pods = self.mgr.pods_for_selector(namespace, selector)
        selected = [p for p in pods if selector_matches(selector, p["metadata"].get("labels"))
                    and (p.get("status") or {}).get("podIP")]
        selected.sort(key=lambda p: _ip_key(p["status"]["podIP"]))
        return self._write_endpoints(svc, selected) + self._write_slice(svc, selected)

    def _write_endpoints(self, svc: dict, pods: list[dict]) -> int:
        meta = svc["metadata"]
        groups: dict[tuple, dict] = {}
        for p in pods:
            if p["metadata"].get("deletionTimestamp"):
                continue
            ports = endpoint_ports(svc, p)
            key = tuple((x.get("name"), x["port"], x["protocol"]) for x in ports)
            subset = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
            pmeta = p["metadata"]
            addr = {
                "ip": p["status"]["podIP"],
                "nodeName": (p.get("spec") or {}).get("nodeName"),
                "targetRef": {"kind": "Pod", "namespace": pmeta.get("namespace"), "name": pmeta["name"],
                              "uid": pmeta.get("uid")},
            }
            subset["addresses" if pod_is_ready(p) else "notReadyAddresses"].append(addr)
        total = sum(len(g["addresses"]) + len(g["notReadyAddresses"]) for g in groups.values())
        if total > MAX_ENDPOINTS_ADDRESSES:  # keep ready addresses first, as the real controller does
            room = MAX_ENDPOINTS_ADDRESSES
            for field in ("addresses", "notReadyAddresses"):
                for g in groups.values():
                    g[field] = g[field][:room]
                    room -= len(g[field])
        subsets = []
        for subset in groups.values():
            s = {k: v for k, v in subset.items() if v}
            if s.get("addresses") or s.get("notReadyAddresses"):
                if not s.get("ports"):
                    s.pop("ports", None)
                subsets.append(s)
        existing = self.mgr.store.get("endpoints", meta.get("namespace"), meta["name"])
        labels = dict(meta.get("labels") or {})
        truncated = total > MAX_ENDPOINTS_ADDRESSES
        if existing is not None:
            was = (existing["metadata"].get("annotations") or {}).get(OVER_CAPACITY) == "truncated"
            if (existing.get("subsets") or []) == subsets and (existing["metadata"].get("labels") or {}) == labels \
                    and was == truncated:
                return 0
            obj = fast_copy(existing)
            obj["subsets"] = subsets
            obj["metadata"]["labels"] = labels
            ann = obj["metadata"].setdefault("annotations", {})
            ann["endpoints.kubernetes.io/last-change-trigger-time"] = iso(self.mgr.clock())
            if truncated:
                ann[OVER_CAPACITY] = "truncated"
            else:
                ann.pop(OVER_CAPACITY, None)
            self.mgr.store.update("endpoints", obj, check_rv=False)
            return 1
        obj = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": meta["name"],
                "namespace": meta.get("namespace"),
                "labels": labels,
                "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": iso(self.mgr.clock()),
                                **({OVER_CAPACITY: "truncated"} if truncated else {})},
            },
            "subsets": subsets,
        }
        try:
            self.mgr.store.create("endpoints", obj)
        except Exception:  # noqa: BLE001 - created by someone else meanwhile: next pass updates it
            return 0
        return 1

    def _write_slice(self, svc: dict, pods: list[dict]) -> int:
        meta = svc["metadata"]
        ns = meta.get("namespace")
        endpoints = []
        ports: list[dict] = []
        for p in pods:
            pmeta = p["metadata"]
            terminating = bool(pmeta.get("deletionTimestamp"))
            ready_cond = any(c.get("type") == "Ready" and c.get("status") == "True"
                             for c in (p.get("status") or {}).get("conditions") or [])
            if not ports:
                ports = endpoint_ports(svc, p)
            endpoints.append({
                "addresses": [p["status"]["podIP"]],
                "conditions": {"ready": ready_cond and not terminating, "serving": ready_cond,
                               "terminating": terminating},
                "nodeName": (p.get("spec") or {}).get("nodeName"),
                "targetRef": {"kind": "Pod", "namespace": pmeta.get("namespace"), "name": pmeta["name"],
                              "uid": pmeta.get("uid")},
            })
        uid = meta.get("uid", "")
        labels = {**(meta.get("labels") or {}), SERVICE_NAME_LABEL: meta["name"], MANAGED_BY_LABEL: MANAGED_BY}
        chunks = [endpoints[i:i + MAX_ENDPOINTS_PER_SLICE] for i in range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE)]
        chunks = chunks or [[]]  # a Service without endpoints keeps one empty slice
        names = self._slice_names.get(uid)
        if names is None:
            found, _ = self.mgr.store.list("endpointslices", ns, label_selector=f"{SERVICE_NAME_LABEL}={meta['name']}")
            names = sorted(o["metadata"]["name"] for o in found)
            self._slice_names[uid] = names
        writes = 0
        for i, chunk in enumerate(chunks):
            if i < len(names) and self.mgr.store.get("endpointslices", ns, names[i]) is not None:
                writes += self._update_slice(ns, names[i], chunk, ports, labels)
            elif i < len(names):  # deleted by someone: make a new one in its place
                name = self._create_slice(svc, chunk, ports, labels)
                if name is not None:
                    names[i] = name
                    writes += 1
            else:
                name = self._create_slice(svc, chunk, ports, labels)
                if name is not None:
                    names.append(name)
                    writes += 1
        for name in names[len(chunks):]:
            try:
                self.mgr.store.delete("endpointslices", ns, name)
                writes += 1
            except Exception:  # noqa: BLE001 - already gone
                pass
        del names[len(chunks):]
        return writes

    def _update_slice(self, ns: str, name: str, endpoints: list[dict], ports: list[dict], labels: dict) -> int:
        existing = self.mgr.store.get("endpointslices", ns, name)
        if existing is None:
            return 0
        if (existing.get("endpoints") or []) == endpoints and (existing.get("ports") or []) == ports \
                and (existing["metadata"].get("labels") or {}) == labels:
            return 0
        obj = fast_copy(existing)
        obj["endpoints"] = endpoints
        obj["ports"] = ports
        obj["metadata"]["labels"] = labels
        self.mgr.store.update("endpointslices", obj, check_rv=False)
        return 1

    def _create_slice(self, svc: dict, endpoints: list[dict], ports: list[dict], labels: dict) -> str | None:
        meta = svc["metadata"]
        name = f"{meta['name']}-{random_suffix(self.mgr.rng)}"
        obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": name,
                "namespace": meta.get("namespace"),
                "generateName": f"{meta['name']}-",
                "labels": labels,
                "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": iso(self.mgr.clock())},
                "ownerReferences": [owner_ref(svc, "Service", "v1")],
            },
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports,
        }
        try:
            self.mgr.store.create("endpointslices", obj)
        except Exception:  # noqa: BLE001
            return None
        return name

    def forget(self, svc: dict) -> None:
        """Drop cached state of a deleted Service (its Endpoints/EndpointSlice go by garbage collection)."""
        self._slice_names.pop(svc["metadata"].get("uid", ""), None)
        meta = svc["metadata"]
        try:
            self.mgr.store.delete("endpoints", meta.get("namespace"), meta["name"])
        except Exception:  # noqa: BLE001 - already gone
            pass


def _ip_key(ip: str) -> tuple:
    try:
        return tuple(int(x) for x in ip.split("."))
    except ValueError:
        return (ip,)
