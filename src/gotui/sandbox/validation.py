"""Validation (422 Invalid with causes) and defaulting of objects, applied by the store on every write.

Defaults only fill missing fields, so controllers that write complete objects are not affected. Pod
templates inside Deployments/ReplicaSets are NOT defaulted, only canonicalized (`canonicalize`), so a
Deployment's template and its ReplicaSet's copy stay equal (kubectl and the deployment controller find
the "new" ReplicaSet by template equality).
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

from gotui.sandbox.errors import invalid
from gotui.sandbox.resources import RESOURCES
from gotui.sandbox.selectors import label_selector_string, parse_label_selector


def _default_probe(probe: dict) -> None:
    """The API server's probe defaults (SetDefaults_Probe, SetDefaults_HTTPGetAction)."""
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("path", "/")
        probe["httpGet"].setdefault("scheme", "HTTP")

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def _go_map(labels: dict) -> str:
    inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
    return "map[string]string{" + inner + "}"


_WORKLOADS = ("deployments", "replicasets", "statefulsets", "daemonsets")


def validate(resource: str, obj: dict[str, Any]) -> None:
    """Raise ApiError 422 Invalid when the object breaks the rules clients rely on."""
    info = RESOURCES[resource]
    meta = obj.get("metadata")
    causes: list[tuple[str, str, str]] = []
    if not isinstance(meta, dict):
        raise invalid(resource, info.kind, "", [("FieldValueRequired", "Required value", "metadata")])
    name = meta.get("name")
    if not name:
        causes.append(("FieldValueRequired", "Required value: name or generateName is required", "metadata.name"))
        raise invalid(resource, info.kind, "", causes)
    if not isinstance(name, str) or len(name) > 253 or not _SUBDOMAIN.match(name):
        causes.append(("FieldValueInvalid", f'Invalid value: "{name}": {_SUBDOMAIN_MSG}', "metadata.name"))
        raise invalid(resource, info.kind, str(name), causes)
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is not None and (not isinstance(value, dict)
                                  or not all(isinstance(v, str) for v in value.values())):
            causes.append(("FieldValueInvalid", "Invalid value: must be a map of strings", f"metadata.{field}"))
    spec = obj.get("spec")
    if resource == "pods":
        containers = (spec or {}).get("containers") if isinstance(spec, dict) else None
        if not isinstance(containers, list) or not containers:
            causes.append(("FieldValueRequired", "Required value", "spec.containers"))
        else:
            for n, c in enumerate(containers):
                if not isinstance(c, dict) or not c.get("name"):
                    causes.append(("FieldValueRequired", "Required value", f"spec.containers[{n}].name"))
                elif not c.get("image"):
                    causes.append(("FieldValueRequired", "Required value", f"spec.containers[{n}].image"))
    elif resource in _WORKLOADS:
        causes.extend(_validate_workload(spec))
        if resource == "daemonsets" and isinstance(spec, dict) and "replicas" in spec:
            causes = [c for c in causes if c[2] != "spec.replicas"]
    elif resource == "customresourcedefinitions":
        from gotui.sandbox.crds import validate as validate_crd

        causes.extend(validate_crd(obj))
    elif resource == "services":
        if isinstance(spec, dict):
            for n, port in enumerate(spec.get("ports") or []):
                p = port.get("port") if isinstance(port, dict) else None
                if not isinstance(p, int) or isinstance(p, bool) or not 1 <= p <= 65535:
                    causes.append(("FieldValueInvalid", f"Invalid value: {p}: must be between 1 and 65535, inclusive",
                                   f"spec.ports[{n}].port"))
    elif resource == "horizontalpodautoscalers":
        if not isinstance(spec, dict):
            causes.append(("FieldValueRequired", "Required value", "spec"))
        else:
            ref = spec.get("scaleTargetRef")
            if not isinstance(ref, dict) or not ref.get("name") or not ref.get("kind"):
                causes.append(("FieldValueRequired", "Required value", "spec.scaleTargetRef"))
            mx, mn = spec.get("maxReplicas"), spec.get("minReplicas", 1)
            if not isinstance(mx, int) or mx < 1:
                causes.append(("FieldValueInvalid", f"Invalid value: {mx}: must be greater than or equal to 1",
                               "spec.maxReplicas"))
            elif isinstance(mn, int) and mn > mx:
                causes.append(("FieldValueInvalid",
                               f"Invalid value: {mx}: must be greater than or equal to `minReplicas`",
                               "spec.maxReplicas"))
    elif resource == "endpointslices":
        if not obj.get("addressType"):
            causes.append(("FieldValueRequired", "Required value", "addressType"))
    elif resource == "events":
        if not isinstance(obj.get("involvedObject"), dict):
            causes.append(("FieldValueRequired", "Required value", "involvedObject"))
    if causes:
        raise invalid(resource, info.kind, name, causes)


def _validate_workload(spec: Any) -> list[tuple[str, str, str]]:
    if not isinstance(spec, dict):
        return [("FieldValueRequired", "Required value", "spec.selector"),
                ("FieldValueRequired", "Required value", "spec.template")]
    causes: list[tuple[str, str, str]] = []
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        causes.append(("FieldValueInvalid", f"Invalid value: {replicas}: must be greater than or equal to 0",
                       "spec.replicas"))
    selector = spec.get("selector")
    template = spec.get("template")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(("FieldValueRequired", "Required value", "spec.selector"))
        causes.append(("FieldValueInvalid", "Invalid value: \"null\": empty selector is invalid for deployment",
                       "spec.selector"))
        return causes
    if not isinstance(template, dict):
        causes.append(("FieldValueRequired", "Required value", "spec.template"))
        return causes
    labels = ((template.get("metadata") or {}).get("labels")) or {}
    matcher = parse_label_selector(label_selector_string(selector))
    if matcher is None or not isinstance(labels, dict) or not matcher(labels):
        causes.append(("FieldValueInvalid",
                       f"Invalid value: {_go_map(labels if isinstance(labels, dict) else {})}: "
                       "`selector` does not match template `labels`",
                       "spec.template.metadata.labels"))
    tspec = template.get("spec")
    containers = tspec.get("containers") if isinstance(tspec, dict) else None
    if not isinstance(containers, list) or not containers:
        causes.append(("FieldValueRequired", "Required value", "spec.template.spec.containers"))
    else:
        for n, c in enumerate(containers):
            if not isinstance(c, dict) or not c.get("name"):
                causes.append(("FieldValueRequired", "Required value", f"spec.template.spec.containers[{n}].name"))
            elif not c.get("image"):
                causes.append(("FieldValueRequired", "Required value", f"spec.template.spec.containers[{n}].image"))
    return causes


def _canonical_pod_spec(spec: Any) -> None:
    """What a Go round trip does to every pod spec: `resources: {}` on each container."""
    if not isinstance(spec, dict):
        return
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict) and not isinstance(c.get("resources"), dict):
                c["resources"] = {}


def canonicalize(resource: str, obj: dict[str, Any]) -> None:
    """Normalize like the apiserver's typed decode/encode, so equal templates compare equal as dicts:
    containers always carry `resources` ({} when empty) and a template's `creationTimestamp: null` is
    dropped. Applied to pods and to Deployment/ReplicaSet templates on every write."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if resource == "pods":
        _canonical_pod_spec(spec)
    elif resource in _WORKLOADS:
        template = spec.get("template")
        if isinstance(template, dict):
            tmeta = template.get("metadata")
            if isinstance(tmeta, dict) and "creationTimestamp" in tmeta and tmeta["creationTimestamp"] is None:
                del tmeta["creationTimestamp"]
            _canonical_pod_spec(template.get("spec"))


def apply_defaults(resource: str, obj: dict[str, Any], existing: dict[str, Any] | None, next_ip) -> None:
    """Fill missing fields in place like the apiserver's defaulting (see module doc)."""
    canonicalize(resource, obj)
    spec = obj.get("spec")
    if resource == "pods" and isinstance(spec, dict):
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("serviceAccountName", "default")
        for c in spec.get("containers") or []:
            if not isinstance(c, dict):
                continue
            image = str(c.get("image", ""))
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
            c.setdefault("imagePullPolicy", "Always" if tag == "latest" else "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            for p in c.get("ports") or []:
                if isinstance(p, dict):
                    p.setdefault("protocol", "TCP")
            for probe in (c.get(k) for k in ("livenessProbe", "readinessProbe", "startupProbe")):
                if isinstance(probe, dict):
                    _default_probe(probe)
        if not isinstance(obj.get("status"), dict):
            from gotui.sandbox.controllers.replicaset import _qos_class

            containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                          if isinstance(c, dict)]
            obj["status"] = {"phase": "Pending", "qosClass": _qos_class(containers)}
    elif resource == "services":
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        spec.setdefault("type", "ClusterIP")
        old_spec = (existing or {}).get("spec") or {}
        if "clusterIP" not in spec:
            spec["clusterIP"] = old_spec.get("clusterIP") or (next_ip() if spec["type"] != "ExternalName" else None)
            if spec["clusterIP"] is None:
                del spec["clusterIP"]
        if spec.get("clusterIP"):
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        for p in spec.get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                if "port" in p:
                    p.setdefault("targetPort", p["port"])
        obj.setdefault("status", {"loadBalancer": {}})
    elif resource == "deployments" and isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            strategy.setdefault("type", "RollingUpdate")
            ru = strategy.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", "25%")
            ru.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        if not isinstance(obj.get("status"), dict):
            obj["status"] = {}
    elif resource == "statefulsets" and isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            strategy.setdefault("type", "RollingUpdate")
            strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
        if not isinstance(obj.get("status"), dict):
            obj["status"] = {"replicas": 0, "availableReplicas": 0}
    elif resource == "daemonsets" and isinstance(spec, dict):
        strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            strategy.setdefault("type", "RollingUpdate")
            ru = strategy.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", 1)
            ru.setdefault("maxSurge", 0)
        spec.setdefault("revisionHistoryLimit", 10)
        if not isinstance(obj.get("status"), dict):
            obj["status"] = {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                             "numberReady": 0}
    elif resource == "customresourcedefinitions":
        from gotui.sandbox.crds import defaults as crd_defaults
        from gotui.sandbox.store import format_time

        crd_defaults(obj, format_time(time.time()))
    elif resource == "replicasets" and isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        status = obj.get("status")
        if not isinstance(status, dict):
            obj["status"] = {"replicas": 0}
        else:
            status.setdefault("replicas", 0)
    elif resource == "horizontalpodautoscalers" and isinstance(spec, dict):
        spec.setdefault("minReplicas", 1)
        status = obj.get("status")
        if not isinstance(status, dict):
            obj["status"] = {"currentReplicas": 0, "desiredReplicas": 0}
        else:
            status.setdefault("desiredReplicas", 0)
    elif resource == "namespaces":
        meta = obj["metadata"]
        labels = meta.setdefault("labels", {})
        labels.setdefault("kubernetes.io/metadata.name", meta["name"])
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        status = obj.get("status")
        if not isinstance(status, dict):
            obj["status"] = {"phase": "Active"}
    elif resource == "secrets":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.get("data")
            if not isinstance(data, dict):
                data = obj["data"] = {}
            for k, v in string_data.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
    elif resource == "endpointslices":
        if not isinstance(obj.get("endpoints"), list):
            obj["endpoints"] = []
    elif resource == "events":
        obj.setdefault("count", 1)
        obj.setdefault("type", "Normal")
