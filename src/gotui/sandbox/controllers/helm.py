"""Helm releases stored as Secrets exactly as Helm v3's secrets driver writes them.

Secret `sh.helm.release.v1.<name>.v<revision>`, type `helm.sh/release.v1`, labels name/owner=helm/
status/version, `data.release` = base64(the API's encoding of bytes) of base64(gzip(release JSON))
(helm pkg/storage/driver/secrets.go newSecretsObject, util.go encodeRelease). Readers decode twice,
gunzip and parse JSON.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import yaml

from .util import iso_nano


def encode_release(release: dict) -> str:
    """Helm's encodeRelease: base64(gzip(json)) as text."""
    raw = json.dumps(release, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9)).decode()


def decode_release(data_b64: str) -> dict:
    """Inverse of what a Secret's wire `data.release` holds: base64 -> base64 -> gunzip -> JSON."""
    inner = base64.b64decode(base64.b64decode(data_b64))
    if inner[:3] == b"\x1f\x8b\x08":
        inner = gzip.decompress(inner)
    return json.loads(inner)


def helm_time(t: float | None) -> str:
    """helm pkg/time JSON: RFC3339Nano, the zero time as an empty string."""
    if t is None:
        return ""
    return iso_nano(t)


def release_secret(release: dict, namespace: str) -> dict:
    """The Secret object Helm stores for one release revision."""
    name, version, status = release["name"], release["version"], release["info"]["status"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{version}",
            "namespace": namespace,
            "labels": {"name": name, "owner": "helm", "status": status, "version": str(version)},
        },
        "type": "helm.sh/release.v1",
        "data": {"release": base64.b64encode(encode_release(release).encode()).decode()},
    }


def _chart_templates() -> list[dict]:
    files = {
        "templates/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-{{ .Values.color }}\n"
            "spec:\n  replicas: {{ .Values.replicaCount }}\n  selector:\n    matchLabels:\n"
            "      app: {{ .Release.Name }}\n      version: {{ .Values.color }}\n  template:\n    metadata:\n"
            "      labels:\n        app: {{ .Release.Name }}\n        version: {{ .Values.color }}\n    spec:\n"
            "      containers:\n        - name: go-api\n          image: \"{{ .Values.image.repository }}:"
            "{{ .Values.image.tag }}\"\n          ports:\n            - name: http\n              containerPort: 8080\n"),
        "templates/service.yaml": (
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n"
            "    app: {{ .Release.Name }}\n    version: {{ .Values.color }}\n  ports:\n    - name: http\n"
            "      port: 80\n      targetPort: http\n"),
        "templates/hpa.yaml": (
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {{ .Release.Name }}-"
            "{{ .Values.color }}\nspec:\n  minReplicas: 2\n  maxReplicas: 10\n"),
        "templates/NOTES.txt": "go-api is served at http://{{ .Release.Name }}.{{ .Release.Namespace }}.svc\n",
    }
    return [{"name": k, "data": base64.b64encode(v.encode()).decode()} for k, v in files.items()]


def _manifest(name: str, namespace: str, tag: str, color: str, replicas: int) -> str:
    docs = [
        ("templates/service.yaml", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "Helm"}},
            "spec": {"selector": {"app": name, "version": color},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        }),
        ("templates/deployment.yaml", {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"{name}-{color}", "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "Helm"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name, "version": color}},
                     "template": {"metadata": {"labels": {"app": name, "version": color}},
                                  "spec": {"containers": [{"name": "go-api", "image": f"go-api:{tag}",
                                                           "ports": [{"name": "http", "containerPort": 8080}]}]}}},
        }),
    ]
    return "".join(f"---\n# Source: {name}/{src}\n{yaml.safe_dump(doc, sort_keys=False)}" for src, doc in docs)


def go_api_releases(namespace: str, now: float, name: str = "go-api") -> list[dict]:
    """Revisions 1 and 2 superseded, 3 deployed, as `helm install` + two `helm upgrade`s leave them."""
    history = [
        # (chart version, app version, description, age in seconds)
        ("0.3.0", "1.3.0", "Install complete", 6 * 86400),
        ("0.3.1", "1.4.0", "Upgrade complete", 2 * 86400),
        ("0.4.0", "1.4.2", "Upgrade complete", 3 * 3600),
    ]
    first = now - history[0][3]
    out = []
    for i, (chart_version, app_version, description, age) in enumerate(history, start=1):
        deployed = i == len(history)
        values = {"replicaCount": 3, "color": "blue", "image": {"repository": "go-api", "tag": app_version}}
        release: dict[str, Any] = {
            "name": name,
            "info": {
                "first_deployed": helm_time(first),
                "last_deployed": helm_time(now - age),
                "deleted": "",
                "description": description,
                "status": "deployed" if deployed else "superseded",
                "notes": f"go-api {app_version} is served at http://{name}.{namespace}.svc\n",
            },
            "chart": {
                "metadata": {
                    "name": name,
                    "home": "https://example.com/shop/go-api",
                    "version": chart_version,
                    "description": "The shop's Go API (blue/green)",
                    "apiVersion": "v2",
                    "appVersion": app_version,
                    "type": "application",
                },
                "lock": None,
                "templates": _chart_templates(),
                "values": {"replicaCount": 3, "color": "blue", "image": {"repository": "go-api", "tag": "latest"}},
                "schema": None,
                "files": [],
            },
            "config": values,
            "manifest": _manifest(name, namespace, app_version, "blue", 3),
            "version": i,
            "namespace": namespace,
        }
        out.append(release)
    return out
