"""`gotui status [-n NS] [--json]`: apps, their colours, the live colour, readiness and HPA.

Endpoints come from EndpointSlices (core/v1 Endpoints is deprecated and truncated at 1,000 addresses);
a held lock shows its owner and expiry."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from gotui.commands.cutover import EXIT_OK, EXIT_REFUSED, connect
from gotui.config import Settings
from gotui.ops.bluegreen import BlueGreenApp, discover_apps
from gotui.ops.cutover import SERVICE_NAME_LABEL, endpoints_from_slices, lock_expiry
from gotui.ops.sanitize import safe_text


def hpa_for(hpas: list[dict[str, Any]], namespace: str, deployment: str) -> dict[str, Any] | None:
    """min/max/current/desired of the HPA scaling `deployment`, if any."""
    for h in hpas:
        meta, spec, status = h.get("metadata") or {}, h.get("spec") or {}, h.get("status") or {}
        ref = spec.get("scaleTargetRef") or {}
        if meta.get("namespace") == namespace and ref.get("kind") == "Deployment" and ref.get("name") == deployment:
            return {"name": meta.get("name"), "min": spec.get("minReplicas", 1), "max": spec.get("maxReplicas"),
                    "current": status.get("currentReplicas"), "desired": status.get("desiredReplicas")}
    return None


def app_dict(app: BlueGreenApp, hpas: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON form of one app."""
    return {
        "service": app.name, "namespace": app.namespace, "colorKey": app.color_key, "live": app.live_color,
        "previous": app.previous_color, "switchedAt": app.switched_at, "switchedBy": app.switched_by,
        "locked": app.lock.dump() if app.lock else None,
        "lockExpires": lock_expiry(app.lock) if app.lock else None, "endpoints": app.endpoints,
        "colors": {
            c: {"deployment": s.deployment, "images": s.images, "replicas": s.replicas, "ready": s.ready,
                "revision": s.revision, "rolloutComplete": s.rollout_complete,
                "hpa": hpa_for(hpas, app.namespace, s.deployment)}
            for c, s in app.colors.items()
        },
    }


def endpoints_by_service(slices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One Endpoints-shaped object per Service (metadata namespace/name) from its EndpointSlices."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for sl in slices:
        meta = sl.get("metadata") or {}
        svc = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
        if svc:
            groups.setdefault((meta.get("namespace", ""), svc), []).append(sl)
    return [{"metadata": {"namespace": ns, "name": name}, **endpoints_from_slices(group)}
            for (ns, name), group in groups.items()]


def run(args: argparse.Namespace, settings: Settings, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of `gotui status`."""
    out = out or sys.stdout
    err = err or sys.stderr
    conn = connect(settings, "status", err)
    if conn is None:
        return EXIT_REFUSED
    io, context, ns = conn
    try:
        lists = {k: io.list(k, ns) for k in ("services", "deployments", "replicasets", "pods", "endpointslices",
                                              "horizontalpodautoscalers")}
    except Exception as exc:  # noqa: BLE001 - KubeError, connection refused
        print(f"gotui status: cannot read namespace {ns}: {exc}", file=err)
        return EXIT_REFUSED
    apps = discover_apps(lists["services"], lists["deployments"], lists["replicasets"], lists["pods"],
                         endpoints_by_service(lists["endpointslices"]))
    hpas = lists["horizontalpodautoscalers"]
    if getattr(args, "json", False):
        json.dump({"context": context, "namespace": ns, "apps": [app_dict(a, hpas) for a in apps]}, out, indent=2)
        out.write("\n")
        return EXIT_OK
    print(f"context {context}  namespace {ns}  ({len(apps)} blue-green app(s))", file=out)
    for app in apps:
        extra = f"  previous {app.previous_color} (switched {app.switched_at} by {app.switched_by})" if app.previous_color else ""
        lock = (f"  LOCKED by {safe_text(app.lock.by or '?')} since {safe_text(app.lock.at or '?')}, expires "
                f"{lock_expiry(app.lock)}" if app.lock else "")
        print(f"\n{safe_text(app.name)}  {app.color_key}={app.live_color} LIVE{extra}{lock}", file=out)
        print(f"  {'COLOR':<8}{'ROLE':<6}{'DEPLOYMENT':<22}{'READY':<7}{'REV':<5}{'HPA':<14}IMAGE", file=out)
        for color, st in app.colors.items():
            role = "LIVE" if color == app.live_color else "idle"
            h = hpa_for(hpas, app.namespace, st.deployment)
            hpa = f"{h['min']}-{h['max']} now {h['current']}" if h else "-"
            print(f"  {safe_text(color):<8}{role:<6}{safe_text(st.deployment):<22}{f'{st.ready}/{st.replicas}':<7}"
                  f"{st.revision or '-':<5}{hpa:<14}{safe_text(', '.join(st.images))}", file=out)
    return EXIT_OK
