"""Helm releases decoded from the sandbox's storage Secrets, compared with the real helm CLI."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from gotui.ops import helm
from gotui.ops.kube_io import KubeIO

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def helm_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[var] = str(tmp_path / var.lower())
    return env


def test_sandbox_release_history_decodes(sandbox):
    io = KubeIO(sandbox.api_client)
    rels = helm.releases(io.list("secrets", None, "owner=helm"))
    revs = rels[("shop", "go-api")]
    assert [r.revision for r in revs] == [1, 2, 3]
    assert [r.status for r in revs] == ["superseded", "superseded", "deployed"]
    assert all(not r.error and r.chart.startswith("go-api-") for r in revs)
    current = helm.latest(revs)
    assert current.revision == 3
    assert "kind: Service" in current.manifest and isinstance(current.values, dict) and current.values


def test_history_matches_the_real_helm(sandbox, helm_bin, tmp_path):
    proc = subprocess.run([helm_bin, "history", "go-api", "-n", "shop", "--kubeconfig", str(sandbox.kubeconfig),
                           "-o", "json"], capture_output=True, text=True, timeout=60, env=helm_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout)
    ours = helm.releases(KubeIO(sandbox.api_client).list("secrets", "shop", "owner=helm"))[("shop", "go-api")]
    assert [(h["revision"], h["status"], h["chart"], h["app_version"], h["description"]) for h in theirs] == [
        (r.revision, r.status, r.chart, r.app_version, r.description) for r in ours]
    values = subprocess.run([helm_bin, "get", "values", "go-api", "-n", "shop", "--revision", "2", "-o", "json",
                             "--kubeconfig", str(sandbox.kubeconfig)], capture_output=True, text=True, timeout=60,
                            env=helm_env(tmp_path))
    assert values.returncode == 0, values.stderr
    assert json.loads(values.stdout) == ours[1].values


def test_helm_rollback_through_the_cli(fresh_sandbox, helm_bin, settings, tmp_path, monkeypatch):
    """The real helm v4 rolls back (its storage Secrets go to the sandbox as protobuf); helm's own history and
    gotui's decoder then agree: revision 4 deployed, 1-3 superseded."""
    sb = fresh_sandbox("quiet", 1)
    for k, v in helm_env(tmp_path).items():
        monkeypatch.setenv(k, v)
    out = helm.rollback(settings, "go-api", 2, "shop", kubeconfig=str(sb.kubeconfig), helm=helm_bin)
    assert "Rollback was a success" in out
    revs = helm.releases(KubeIO(sb.api_client).list("secrets", "shop", "owner=helm"))[("shop", "go-api")]
    assert [(r.revision, r.status) for r in revs] == [(1, "superseded"), (2, "superseded"), (3, "superseded"),
                                                      (4, "deployed")]
    assert revs[-1].description == "Rollback to 2" and not any(r.error for r in revs)
    assert revs[-1].chart == revs[1].chart and revs[-1].values == revs[1].values
    proc = subprocess.run([helm_bin, "history", "go-api", "-n", "shop", "--kubeconfig", str(sb.kubeconfig),
                           "-o", "json"], capture_output=True, text=True, timeout=60, env=helm_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout)
    assert [(h["revision"], h["status"], h["chart"], h["description"]) for h in theirs] == [
        (r.revision, r.status, r.chart, r.description) for r in revs]
    assert theirs[-1]["status"] == "deployed" and theirs[-1]["description"] == "Rollback to 2"


def test_helm_rollback_failure_is_reported_with_helms_message(fresh_sandbox, helm_bin, settings, tmp_path, monkeypatch):
    """A rollback to a revision that does not exist: helm fails, gotui says why, nothing is written."""
    sb = fresh_sandbox("quiet", 1)
    for k, v in helm_env(tmp_path).items():
        monkeypatch.setenv(k, v)
    with pytest.raises(helm.HelmError, match=r"helm rollback failed \(exit 1\).*"):
        helm.rollback(settings, "go-api", 9, "shop", kubeconfig=str(sb.kubeconfig), helm=helm_bin)
    revs = helm.releases(KubeIO(sb.api_client).list("secrets", "shop", "owner=helm"))[("shop", "go-api")]
    assert [r.revision for r in revs] == [1, 2, 3]
