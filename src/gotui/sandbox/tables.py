"""meta.k8s.io/v1 Tables for `kubectl get`, with the upstream printer columns.

Columns and cell rules follow k/k pkg/printers/internalversion/printers.go (wide columns have
priority 1). Ages use apimachinery's duration.HumanDuration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gotui.clock import human_duration
from gotui.clock import parse_epoch as parse_time
from gotui.sandbox.selectors import label_selector_string

Col = tuple[str, str, int]  # name, type, priority




class _Ctx:
    def __init__(self, now: float):
        self.now = now

    def since(self, value: Any) -> str:
        ts = parse_time(value)
        return "<unknown>" if ts is None else human_duration(self.now - ts)


def _age(obj: dict, ctx: _Ctx) -> str:
    return ctx.since(obj.get("metadata", {}).get("creationTimestamp"))


def _name(obj: dict) -> str:
    return obj.get("metadata", {}).get("name", "")


def _containers_images(spec: dict) -> tuple[str, str]:
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return (",".join(str(c.get("name", "")) for c in containers),
            ",".join(str(c.get("image", "")) for c in containers))


def _selector(spec: dict) -> str:
    return label_selector_string(spec.get("selector")) or "<none>"


def _pod(obj: dict, ctx: _Ctx) -> list:
    """kubectl's pod row; STATUS, READY and RESTARTS from gotui's one pod-status printer (ops.pods)."""
    from gotui.ops.pods import pod_status

    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ps = pod_status(obj)
    reason, restarts_str = ps.reason, ps.restarts_text(ctx.now)
    ready, total = ps.ready, ps.total
    gates = spec.get("readinessGates") or []
    gates_str = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        gates_str = f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"
    return [_name(obj), f"{ready}/{total}", reason, restarts_str, _age(obj, ctx),
            status.get("podIP") or "<none>", spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_str]


def _deployment(obj: dict, ctx: _Ctx) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec)
    return [_name(obj), f"{status.get('readyReplicas') or 0}/{spec.get('replicas', 0)}",
            int(status.get("updatedReplicas") or 0), int(status.get("availableReplicas") or 0), _age(obj, ctx),
            names, images, _selector(spec)]


def _replicaset(obj: dict, ctx: _Ctx) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec)
    return [_name(obj), int(spec.get("replicas") or 0), int(status.get("replicas") or 0),
            int(status.get("readyReplicas") or 0), _age(obj, ctx), names, images, _selector(spec)]


def _statefulset(obj: dict, ctx: _Ctx) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec)
    return [_name(obj), f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas') or 0)}", _age(obj, ctx),
            names, images]


def _daemonset(obj: dict, ctx: _Ctx) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec)
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) or "<none>"
    return [_name(obj), int(status.get("desiredNumberScheduled") or 0), int(status.get("currentNumberScheduled") or 0),
            int(status.get("numberReady") or 0), int(status.get("updatedNumberScheduled") or 0),
            int(status.get("numberAvailable") or 0), selector, _age(obj, ctx), names, images, _selector(spec)]


def _controllerrevision(obj: dict, ctx: _Ctx) -> list:
    controller = "<none>"
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            group = str(ref.get("apiVersion") or "").rpartition("/")[0]
            controller = f"{str(ref.get('kind', '')).lower()}{'.' + group if group else ''}/{ref.get('name', '')}"
    return [_name(obj), controller, int(obj.get("revision") or 0), _age(obj, ctx)]


def _service(obj: dict, ctx: _Ctx) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    stype = spec.get("type") or "ClusterIP"
    external = "<none>"
    if stype == "LoadBalancer":
        ingress = ((status.get("loadBalancer") or {}).get("ingress")) or []
        ips = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
        ips += spec.get("externalIPs") or []
        external = ",".join(ips) if ips else "<pending>"
    elif stype == "ExternalName":
        external = spec.get("externalName") or "<none>"
    elif spec.get("externalIPs"):
        external = ",".join(spec["externalIPs"])
    ports = []
    for p in spec.get("ports") or []:
        s = str(p.get("port"))
        if p.get("nodePort"):
            s += f":{p['nodePort']}"
        ports.append(f"{s}/{p.get('protocol') or 'TCP'}")
    selector = spec.get("selector") or {}
    sel = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) if selector else "<none>"
    return [_name(obj), stype, spec.get("clusterIP") or "<none>", external, ",".join(ports) or "<none>",
            _age(obj, ctx), sel]


def _hpa(obj: dict, ctx: _Ctx) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    current = {}
    for m in status.get("currentMetrics") or []:
        if m.get("type") == "Resource":
            res = m.get("resource") or {}
            current[res.get("name")] = (res.get("current") or {})
    targets = []
    for m in spec.get("metrics") or []:
        if m.get("type") == "Resource":
            res = m.get("resource") or {}
            name, target = res.get("name"), res.get("target") or {}
            cur = current.get(name) or {}
            if target.get("type") == "Utilization" or "averageUtilization" in target:
                cur_s = f"{cur['averageUtilization']}%" if cur.get("averageUtilization") is not None else "<unknown>"
                targets.append(f"{name}: {cur_s}/{target.get('averageUtilization')}%")
            else:
                cur_s = cur.get("averageValue") or "<unknown>"
                targets.append(f"{name}: {cur_s}/{target.get('averageValue') or target.get('value')}")
        else:
            targets.append("<unknown>")
    targets_s = ", ".join(targets) if targets else "<none>"
    min_pods = str(spec["minReplicas"]) if spec.get("minReplicas") is not None else "<unset>"
    return [_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", targets_s, min_pods,
            int(spec.get("maxReplicas") or 0), int(status.get("currentReplicas") or 0), _age(obj, ctx)]


def _event(obj: dict, ctx: _Ctx) -> list:
    first = obj.get("firstTimestamp") or obj.get("eventTime") or obj.get("metadata", {}).get("creationTimestamp")
    last = obj.get("lastTimestamp") or ((obj.get("series") or {}).get("lastObservedTime")) or obj.get("eventTime") or first
    count = int(obj.get("count") or ((obj.get("series") or {}).get("count")) or 1)
    last_s = ctx.since(last)
    if count > 1:
        last_s = f"{last_s} (x{count} over {ctx.since(first)})"
    inv = obj.get("involvedObject") or {}
    src = obj.get("source") or {}
    source = src.get("component") or obj.get("reportingComponent") or ""
    if src.get("host"):
        source = f"{source}, {src['host']}"
    return [last_s, obj.get("type") or "", obj.get("reason") or "",
            f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}", inv.get("fieldPath") or "",
            source, str(obj.get("message") or "").strip(), ctx.since(first), count, _name(obj)]


def _secret(obj: dict, ctx: _Ctx) -> list:
    return [_name(obj), obj.get("type") or "Opaque", len(obj.get("data") or {}) + len(obj.get("stringData") or {}),
            _age(obj, ctx)]


def _configmap(obj: dict, ctx: _Ctx) -> list:
    return [_name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(obj, ctx)]


def _more(items: list[str]) -> str:
    if not items:
        return "<none>"
    if len(items) > 3:
        return ",".join(items[:3]) + f" + {len(items) - 3} more..."
    return ",".join(items)


def _endpoints(obj: dict, ctx: _Ctx) -> list:
    items: list[str] = []
    for subset in obj.get("subsets") or []:
        ports = subset.get("ports") or []
        for addr in subset.get("addresses") or []:
            if ports:
                items.extend(f"{addr.get('ip')}:{p.get('port')}" for p in ports)
            else:
                items.append(str(addr.get("ip")))
    return [_name(obj), _more(items), _age(obj, ctx)]


def _endpointslice(obj: dict, ctx: _Ctx) -> list:
    ports = [str(p.get("port")) for p in obj.get("ports") or [] if p.get("port") is not None]
    addrs = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [_name(obj), obj.get("addressType") or "", ",".join(ports) if ports else "<unset>", _more(addrs),
            _age(obj, ctx)]


def _node(obj: dict, ctx: _Ctx) -> list:
    from gotui.sandbox.nodes import node_row

    status, roles = node_row(obj)
    version = ((obj.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion") or ""
    return [_name(obj), status, roles, _age(obj, ctx), version]


def _namespace(obj: dict, ctx: _Ctx) -> list:
    return [_name(obj), (obj.get("status") or {}).get("phase") or "Active", _age(obj, ctx)]


_WORKLOAD_WIDE: list[Col] = [("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)]

COLUMNS: dict[str, tuple[list[Col], Callable[[dict, _Ctx], list]]] = {
    "pods": ([("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "string", 0),
              ("Age", "string", 0), ("IP", "string", 1), ("Node", "string", 1), ("Nominated Node", "string", 1),
              ("Readiness Gates", "string", 1)], _pod),
    "deployments": ([("Name", "string", 0), ("Ready", "string", 0), ("Up-to-date", "integer", 0),
                     ("Available", "integer", 0), ("Age", "string", 0)] + _WORKLOAD_WIDE, _deployment),
    "replicasets": ([("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0),
                     ("Ready", "integer", 0), ("Age", "string", 0)] + _WORKLOAD_WIDE, _replicaset),
    "statefulsets": ([("Name", "string", 0), ("Ready", "string", 0), ("Age", "string", 0),
                      ("Containers", "string", 1), ("Images", "string", 1)], _statefulset),
    "daemonsets": ([("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0),
                    ("Ready", "integer", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0),
                    ("Node Selector", "string", 0), ("Age", "string", 0)] + _WORKLOAD_WIDE, _daemonset),
    "controllerrevisions": ([("Name", "string", 0), ("Controller", "string", 0), ("Revision", "integer", 0),
                             ("Age", "string", 0)], _controllerrevision),
    "services": ([("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0),
                  ("External-IP", "string", 0), ("Port(s)", "string", 0), ("Age", "string", 0),
                  ("Selector", "string", 1)], _service),
    "horizontalpodautoscalers": ([("Name", "string", 0), ("Reference", "string", 0), ("Targets", "string", 0),
                                  ("MinPods", "string", 0), ("MaxPods", "integer", 0), ("Replicas", "integer", 0),
                                  ("Age", "string", 0)], _hpa),
    "events": ([("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0), ("Object", "string", 0),
                ("Subobject", "string", 1), ("Source", "string", 1), ("Message", "string", 0),
                ("First Seen", "string", 1), ("Count", "string", 1), ("Name", "string", 1)], _event),
    "secrets": ([("Name", "string", 0), ("Type", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)], _secret),
    "configmaps": ([("Name", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)], _configmap),
    "endpoints": ([("Name", "string", 0), ("Endpoints", "string", 0), ("Age", "string", 0)], _endpoints),
    "endpointslices": ([("Name", "string", 0), ("AddressType", "string", 0), ("Ports", "string", 0),
                        ("Endpoints", "string", 0), ("Age", "string", 0)], _endpointslice),
    "namespaces": ([("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)], _namespace),
    "nodes": ([("Name", "string", 0), ("Status", "string", 0), ("Roles", "string", 0), ("Age", "string", 0),
               ("Version", "string", 0)], _node),
}

_DEFAULT: tuple[list[Col], Callable[[dict, _Ctx], list]] = (
    [("Name", "string", 0), ("Created At", "date", 0)],
    lambda obj, ctx: [_name(obj), obj.get("metadata", {}).get("creationTimestamp") or ""],
)


def column_definitions(resource: str) -> list[dict]:
    """The Table columnDefinitions of a resource."""
    cols, _ = COLUMNS.get(resource, _DEFAULT)
    return [{"name": n, "type": t, "format": "name" if n == "Name" and p == 0 else "", "description": "",
             "priority": p} for n, t, p in cols]


def row_object(obj: dict, include: str) -> dict | None:
    """A row's `object`: PartialObjectMetadata (default), the full object, or None."""
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def build_table(resource: str, objs: list[dict], resource_version: str, include: str = "Metadata",
                now: float | None = None) -> dict:
    """A Table of `objs` with the resource's columns."""
    _, cell_fn = COLUMNS.get(resource, _DEFAULT)
    ctx = _Ctx(time.time() if now is None else now)
    rows = []
    for obj in objs:
        try:
            cells = cell_fn(obj, ctx)
        except Exception:  # a malformed object must not break the listing
            cells = [_name(obj)] + [""] * (len(column_definitions(resource)) - 1)
        row: dict[str, Any] = {"cells": cells}
        ro = row_object(obj, include)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": column_definitions(resource), "rows": rows}


def build_table_bytes(resource: str, objs: list[dict], resource_version: str, include: str = "Metadata",
                      now: float | None = None, list_meta: dict | None = None) -> bytes:
    """`build_table` serialized row by row (less peak memory for big lists); `list_meta` adds to the
    Table's metadata (continue, remainingItemCount of a chunk)."""
    import json

    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    _, cell_fn = COLUMNS.get(resource, _DEFAULT)
    ctx = _Ctx(time.time() if now is None else now)
    ncols = len(column_definitions(resource))
    parts = [b'{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":',
             dumps({"resourceVersion": resource_version, **(list_meta or {})}), b',"columnDefinitions":', dumps(column_definitions(resource)), b',"rows":[']
    for n, obj in enumerate(objs):
        try:
            cells = cell_fn(obj, ctx)
        except Exception:  # a malformed object must not break the listing
            cells = [_name(obj)] + [""] * (ncols - 1)
        ro = row_object(obj, include)
        if n:
            parts.append(b",")
        parts.append(b'{"cells":' + dumps(cells) + (b',"object":' + dumps(ro) if ro is not None else b"") + b"}")
    parts.append(b"]}")
    return b"".join(parts)
