"""`kubectl describe pod` formatters over raw pod JSON: probes, env (masked), ports, resources, mounts,
volumes, last termination, QoS class, node-selectors and tolerations, each as kubectl prints it.

Pure functions returning plain strings (sanitizing and styling are the UI's job). Env values pass
through `gotui.ops.masking.mask_value`; a `valueFrom` is shown as kubectl shows it, never resolved
from a Secret.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gotui.ops.kube_text import parse_time
from gotui.ops.masking import mask_value

Line = tuple[int, str, str]  # (indent level, label, value); an empty label is a continuation line


def kube_time(timestamp: str | None) -> str:
    """An RFC 3339 time as kubectl describe prints it (`Tue, 01 Dec 2026 11:21:42 +0000`)."""
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return datetime.fromtimestamp(t, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def probe_text(probe: dict) -> str:
    """kubectl's one-line probe: `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`."""
    if "httpGet" in probe:
        h = probe.get("httpGet") or {}
        scheme = str(h.get("scheme") or "HTTP").lower()
        what = f"http-get {scheme}://{h.get('host') or ''}:{h.get('port', '')}{h.get('path') or ''}"
    elif "tcpSocket" in probe:
        s = probe.get("tcpSocket") or {}
        what = f"tcp-socket {s.get('host') or ''}:{s.get('port', '')}"
    elif "exec" in probe:
        what = "exec [" + " ".join(str(a) for a in (probe.get("exec") or {}).get("command") or []) + "]"
    elif "grpc" in probe:
        g = probe.get("grpc") or {}
        what = f"grpc <pod>:{g.get('port', '')} {g.get('service') or ''}".rstrip()
    else:
        what = "unknown"
    return (f"{what} delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s"
            f" period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)}"
            f" #failure={probe.get('failureThreshold', 3)}")


_POD_FIELDS = {
    "metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace"),
    "metadata.uid": ("metadata", "uid"), "spec.nodeName": ("spec", "nodeName"),
    "spec.serviceAccountName": ("spec", "serviceAccountName"), "status.podIP": ("status", "podIP"),
    "status.hostIP": ("status", "hostIP"),
}


def env_value(env: dict, pod: dict, container: str) -> str:
    """One env var's value as kubectl describe shows it (a literal value masked when secret-looking)."""
    name = str(env.get("name") or "")
    if "valueFrom" not in env:
        return mask_value(name, str(env.get("value") or ""))[0]
    src = env.get("valueFrom") or {}
    if "secretKeyRef" in src:
        r = src["secretKeyRef"] or {}
        return f"<set to the key '{r.get('key')}' in secret '{r.get('name')}'>  Optional: {str(bool(r.get('optional'))).lower()}"
    if "configMapKeyRef" in src:
        r = src["configMapKeyRef"] or {}
        return f"<set to the key '{r.get('key')}' of config map '{r.get('name')}'>  Optional: {str(bool(r.get('optional'))).lower()}"
    if "fieldRef" in src:
        r = src["fieldRef"] or {}
        path = str(r.get("fieldPath") or "")
        where = _POD_FIELDS.get(path)
        value = str(((pod.get(where[0]) or {}).get(where[1])) or "") if where else ""
        return f"{mask_value(name, value)[0]} ({r.get('apiVersion') or ''}:{path})"
    if "resourceFieldRef" in src:
        r = src["resourceFieldRef"] or {}
        return f"<set to the resource '{r.get('resource')}' of container '{r.get('containerName') or container}'>"
    return "<set from an unknown source>"


def env_from_lines(container: dict) -> list[str]:
    """`Environment Variables from:` rows: `name  ConfigMap  Optional: false`."""
    out = []
    for e in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if key in e:
                r = e[key] or {}
                prefix = f" with prefix '{e['prefix']}'" if e.get("prefix") else ""
                out.append(f"{r.get('name')}  {kind}{prefix}  Optional: {str(bool(r.get('optional'))).lower()}")
    return out


def mount_text(m: dict) -> str:
    """`/etc/app from cfg (ro)` or `/x from v (rw,path="sub")`."""
    flags = ["ro" if m.get("readOnly") else "rw"]
    if m.get("subPath"):
        flags.append(f'path="{m["subPath"]}"')
    return f"{m.get('mountPath')} from {m.get('name')} ({','.join(flags)})"


def port_text(container: dict) -> str:
    """`8080/TCP, 9090/TCP` or `<none>`."""
    ports = [f"{p.get('containerPort')}/{p.get('protocol') or 'TCP'}" for p in container.get("ports") or []]
    return ", ".join(ports) or "<none>"


def volume_lines(vol: dict) -> list[tuple[str, str]]:
    """A volume's (label, value) rows as kubectl prints them, Type first."""
    opt = lambda r: str(bool(r.get("optional"))).lower()  # noqa: E731
    if "emptyDir" in vol:
        e = vol.get("emptyDir") or {}
        return [("Type", "EmptyDir (a temporary directory that shares a pod's lifetime)"),
                ("Medium", e.get("medium") or ""), ("SizeLimit", e.get("sizeLimit") or "<unset>")]
    if "configMap" in vol:
        c = vol.get("configMap") or {}
        return [("Type", "ConfigMap (a volume populated by a ConfigMap)"), ("Name", c.get("name") or ""),
                ("Optional", opt(c))]
    if "secret" in vol:
        s = vol.get("secret") or {}
        return [("Type", "Secret (a volume populated by a Secret)"), ("SecretName", s.get("secretName") or ""),
                ("Optional", opt(s))]
    if "persistentVolumeClaim" in vol:
        p = vol.get("persistentVolumeClaim") or {}
        return [("Type", "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)"),
                ("ClaimName", p.get("claimName") or ""), ("ReadOnly", str(bool(p.get("readOnly"))).lower())]
    if "hostPath" in vol:
        h = vol.get("hostPath") or {}
        return [("Type", "HostPath (bare host directory volume)"), ("Path", h.get("path") or ""),
                ("HostPathType", h.get("type") or "")]
    if "projected" in vol:
        srcs = (vol.get("projected") or {}).get("sources") or []
        return [("Type", "Projected (a volume that contains injected data from multiple sources)"),
                ("Sources", ", ".join(sorted({k for s in srcs for k in s})) or "<none>")]
    if "downwardAPI" in vol:
        return [("Type", "DownwardAPI (a volume populated by information about the pod)")]
    kinds = [k for k in vol if k != "name"]
    return [("Type", kinds[0] if kinds else "<unknown>")]


def _effective_requests(c: dict) -> tuple[dict, dict]:
    res = c.get("resources") or {}
    lim = {k: v for k, v in (res.get("limits") or {}).items() if k in ("cpu", "memory")}
    req = {k: v for k, v in (res.get("requests") or {}).items() if k in ("cpu", "memory")}
    for k, v in lim.items():
        req.setdefault(k, v)  # the API server defaults a missing request to the limit
    return req, lim


def qos_class(pod: dict) -> str:
    """status.qosClass, or computed as Kubernetes does (Guaranteed / Burstable / BestEffort)."""
    given = (pod.get("status") or {}).get("qosClass")
    if given:
        return str(given)
    spec = pod.get("spec") or {}
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    any_set, guaranteed = False, True
    for c in containers:
        req, lim = _effective_requests(c)
        if req or lim:
            any_set = True
        if set(lim) != {"cpu", "memory"} or any(req.get(k) != lim.get(k) for k in lim):
            guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def toleration_text(t: dict) -> str:
    """kubectl's toleration: `key=value:Effect`, `key:NoExecute op=Exists for 300s`, `op=Exists`."""
    out = str(t.get("key") or "")
    if t.get("value"):
        out += f"={t['value']}"
    if t.get("effect"):
        out += f":{t['effect']}"
    if t.get("operator") == "Exists" and not t.get("value"):
        out += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
    if t.get("tolerationSeconds") is not None:
        out += f" for {t['tolerationSeconds']}s"
    return out


def tolerations(pod: dict) -> list[str]:
    """Tolerations sorted by key, as kubectl lists them."""
    tols = (pod.get("spec") or {}).get("tolerations") or []
    return [toleration_text(t) for t in sorted(tols, key=lambda t: str(t.get("key") or ""))]


def node_selectors(pod: dict) -> str:
    sel = (pod.get("spec") or {}).get("nodeSelector") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(sel.items())) or "<none>"


def state_lines(label: str, state: dict) -> list[Line]:
    """`State:`/`Last State:` and their Reason / Exit Code / Started / Finished / Message rows."""
    if not state:
        return [(2, label, "<none>")] if label == "State" else []
    if "running" in state:
        return [(2, label, "Running"), (3, "Started", kube_time((state["running"] or {}).get("startedAt")))]
    if "waiting" in state:
        w = state["waiting"] or {}
        out: list[Line] = [(2, label, "Waiting"), (3, "Reason", str(w.get("reason") or ""))]
        if w.get("message"):
            out.append((3, "Message", str(w["message"])))
        return out
    t = state.get("terminated") or {}
    out = [(2, label, "Terminated"), (3, "Reason", str(t.get("reason") or ""))]
    if t.get("message"):
        out.append((3, "Message", str(t["message"])))
    out.append((3, "Exit Code", str(t.get("exitCode", 0))))
    if t.get("signal"):
        out.append((3, "Signal", str(t["signal"])))
    out += [(3, "Started", kube_time(t.get("startedAt"))), (3, "Finished", kube_time(t.get("finishedAt")))]
    return out


def container_lines(pod: dict, c: dict, cs: dict) -> list[Line]:
    """One container's block, in kubectl's order."""
    name = str(c.get("name") or "")
    out: list[Line] = [(1, name, "")]
    out += [(2, "Image", str(c.get("image") or "")), (2, "Port", port_text(c))]
    if c.get("command"):
        out.append((2, "Command", " ".join(str(a) for a in c["command"])))
    if c.get("args"):
        out.append((2, "Args", " ".join(str(a) for a in c["args"])))
    out += state_lines("State", cs.get("state") or {})
    out += state_lines("Last State", cs.get("lastState") or {})
    out += [(2, "Ready", str(bool(cs.get("ready")))), (2, "Restart Count", str(cs.get("restartCount", 0)))]
    res = c.get("resources") or {}
    for section in ("limits", "requests"):
        values = res.get(section) or {}
        if values:
            out.append((2, section.capitalize(), ""))
            out += [(3, k, str(v)) for k, v in sorted(values.items())]
    for label, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"), ("Startup", "startupProbe")):
        if c.get(key):
            out.append((2, label, probe_text(c[key])))
    env_from = env_from_lines(c)
    if env_from:
        out.append((2, "Environment Variables from", ""))
        out += [(3, "", row) for row in env_from]
    env = c.get("env") or []
    out.append((2, "Environment", "" if env else "<none>"))
    out += [(3, str(e.get("name") or ""), env_value(e, pod, name)) for e in env]
    mounts = c.get("volumeMounts") or []
    out.append((2, "Mounts", "" if mounts else "<none>"))
    out += [(3, "", mount_text(m)) for m in mounts]
    return out


def describe_lines(pod: dict) -> list[Line]:
    """Containers, Conditions, Volumes, QoS Class, Node-Selectors and Tolerations as kubectl prints them."""
    spec = pod.get("spec") or {}
    status: dict[str, Any] = pod.get("status") or {}
    out: list[Line] = []
    for section, specs, key in (("Init Containers", "initContainers", "initContainerStatuses"),
                                ("Containers", "containers", "containerStatuses")):
        containers = spec.get(specs) or []
        if not containers:
            continue
        statuses = {s.get("name"): s for s in status.get(key) or []}
        out.append((0, section, ""))
        for c in containers:
            out += container_lines(pod, c, statuses.get(c.get("name")) or {})
    conds = status.get("conditions") or []
    if conds:
        out.append((0, "Conditions", ""))
        width = max(len("Type"), *(len(str(c.get("type") or "")) for c in conds)) + 4
        out.append((1, "", f"{'Type':<{width}}Status"))  # a table, as kubectl prints it
        out += [(1, "", f"{c.get('type') or '':<{width}}{c.get('status') or ''}") for c in conds]
    vols = spec.get("volumes") or []
    out.append((0, "Volumes", "" if vols else "<none>"))
    for v in vols:
        out.append((1, str(v.get("name") or ""), ""))
        out += [(2, label, str(value)) for label, value in volume_lines(v)]
    out.append((0, "QoS Class", qos_class(pod)))
    out.append((0, "Node-Selectors", node_selectors(pod)))
    tols = tolerations(pod)
    out.append((0, "Tolerations", tols[0] if tols else "<none>"))
    out += [(0, "", t) for t in tols[1:]]
    return out
