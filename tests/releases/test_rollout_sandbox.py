"""Rollout undo/restart/scale against the sandbox, compared with the real kubectl."""

from __future__ import annotations

import subprocess

import pytest

from gotui.ops import rollout
from gotui.ops.bluegreen import strip_hash
from gotui.ops.kube_io import KubeIO
from releases.conftest import wait_for

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]


def kubectl(sb, *args: str) -> str:
    proc = subprocess.run(["kubectl", "--kubeconfig", str(sb.kubeconfig), "-n", "shop", *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def make_history(sb) -> None:
    """Revisions 2 and 3 of go-api-blue, each with a change-cause, made with kubectl."""
    kubectl(sb, "rollout", "status", "deployment/go-api-blue", "--timeout=30s")
    for tag in ("1.4.3", "1.4.4"):
        kubectl(sb, "annotate", "deployment/go-api-blue", f"kubernetes.io/change-cause=set image {tag}", "--overwrite")
        kubectl(sb, "set", "image", "deployment/go-api-blue", f"go-api=go-api:{tag}")
        kubectl(sb, "rollout", "status", "deployment/go-api-blue", "--timeout=30s")


def comparable(dep: dict) -> dict:
    ann = dict(dep["metadata"].get("annotations") or {})
    return {"template": strip_hash(dep["spec"]["template"]), "annotations": ann}


def test_undo_to_revision_matches_kubectl(fresh_sandbox, settings):
    ref, mine = fresh_sandbox("quiet", 1), fresh_sandbox("quiet", 1)
    for sb in (ref, mine):
        make_history(sb)
    io = KubeIO(mine.api_client)
    before = rollout.history(io.get("deployments", "shop", "go-api-blue"), io.list("replicasets", "shop"))
    assert [r.number for r in before] == [1, 2, 3]
    table = kubectl(mine, "rollout", "history", "deployment/go-api-blue")
    assert [line.split(None, 1)[1].strip() for line in table.splitlines()[2:] if line.strip()] == [
        r.change_cause or "<none>" for r in before]

    out_ref = kubectl(ref, "rollout", "undo", "deployment/go-api-blue", "--to-revision=1")
    out_mine = rollout.undo(io, settings, "shop", "go-api-blue", 1)
    assert out_ref.strip() == out_mine
    for sb in (ref, mine):
        kubectl(sb, "rollout", "status", "deployment/go-api-blue", "--timeout=30s")

    dep_ref = KubeIO(ref.api_client).get("deployments", "shop", "go-api-blue")
    dep_mine = io.get("deployments", "shop", "go-api-blue")
    assert comparable(dep_mine) == comparable(dep_ref)
    assert dep_mine["spec"]["template"]["spec"]["containers"][0]["image"] == "go-api:1.4.2"
    hist_ref = kubectl(ref, "rollout", "history", "deployment/go-api-blue")
    hist_mine = kubectl(mine, "rollout", "history", "deployment/go-api-blue")
    assert hist_mine == hist_ref
    # the reused ReplicaSet got the next revision number; the old number 1 is gone (as upstream)
    after = rollout.history(dep_mine, io.list("replicasets", "shop"))
    assert [r.number for r in after] == [2, 3, 4]
    assert after[-1].images == ["go-api:1.4.2"]


def test_history_matches_kubectl_rollout_history(fresh_sandbox):
    sb = fresh_sandbox("quiet", 1)
    make_history(sb)
    io = KubeIO(sb.api_client)
    revs = rollout.history(io.get("deployments", "shop", "go-api-blue"), io.list("replicasets", "shop"))
    table = kubectl(sb, "rollout", "history", "deployment/go-api-blue")
    rows = [line.split(None, 1) for line in table.splitlines()[2:] if line.strip()]
    assert [(int(n), c.strip()) for n, c in rows] == [(r.number, r.change_cause or "<none>") for r in revs]
    detail = kubectl(sb, "rollout", "history", "deployment/go-api-blue", "--revision=2")
    assert "go-api:1.4.3" in detail and revs[1].images == ["go-api:1.4.3"]


def test_restart_and_scale(fresh_sandbox, settings):
    sb = fresh_sandbox("quiet", 1)
    io = KubeIO(sb.api_client)
    kubectl(sb, "rollout", "status", "deployment/go-api-green", "--timeout=30s")
    assert rollout.restart(io, settings, "shop", "go-api-green") == "deployment.apps/go-api-green restarted"
    dep = io.get("deployments", "shop", "go-api-green")
    assert rollout.RESTARTED_AT in dep["spec"]["template"]["metadata"]["annotations"]
    kubectl(sb, "rollout", "status", "deployment/go-api-green", "--timeout=60s")
    assert rollout.scale(io, settings, "shop", "go-api-green", 1) == "deployment.apps/go-api-green scaled to 1"
    wait_for(lambda: (io.get("deployments", "shop", "go-api-green")["status"].get("readyReplicas") or 0) == 1
             and io.get("deployments", "shop", "go-api-green")["spec"]["replicas"] == 1, what="scaled to 1")
    with pytest.raises(rollout.RolloutError, match="unable to find specified revision 9"):
        rollout.undo(io, settings, "shop", "go-api-green", 9)
