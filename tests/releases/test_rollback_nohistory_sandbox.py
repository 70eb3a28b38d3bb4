"""Headless `gotui rollback` after a switch gotui did not make (kubectl patched the selector): it offers the
other ready colour through the cutover's checks, and the prompt says there is no recorded previous colour."""

from __future__ import annotations

import argparse
import io as textio

import pytest

from gotui.commands import rollback as rollback_cmd
from gotui.config import Settings
from gotui.ops.bluegreen import ANN_PREVIOUS
from gotui.ops.kube_io import MERGE_PATCH
from releases.conftest import endpoint_names, ready_pods, service_selector, wait_for
from releases.test_headless import audit_lines, gotui
from releases.test_headless_prompt import Terminal

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def switch_by_hand(io, color: str) -> None:
    """What `kubectl patch service go-api -p '{"spec":{"selector":{"version":COLOR}}}'` does: no annotations."""
    io.patch("services", "shop", "go-api", {"spec": {"selector": {"version": color}}}, MERGE_PATCH)
    wait_for(lambda: endpoint_names(io) == ready_pods(io, color), what=f"endpoints on {color}")


def test_headless_rollback_goes_to_the_only_other_ready_colour(cluster, tmp_path):
    sb, io = cluster
    switch_by_hand(io, "green")
    audit = tmp_path / "audit.jsonl"
    proc = gotui(sb, audit, "rollback", "go-api", "-n", "shop", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DONE" in proc.stdout and "VERIFY" in proc.stdout
    assert service_selector(io)["version"] == "blue" and endpoint_names(io) == ready_pods(io, "blue")
    assert io.get("services", "shop", "go-api")["metadata"]["annotations"][ANN_PREVIOUS] == "green"
    line = audit_lines(audit)[-1]
    assert line["action"] == "rollback service" and line["outcome"] == "ok"
    assert line["before"] == {"color": "green"} and line["after"] == {"color": "blue"}


def test_headless_prompt_says_there_is_no_record_and_names_the_choice(cluster, tmp_path):
    sb, io = cluster
    switch_by_hand(io, "green")
    settings = Settings(audit_log=tmp_path / "audit.jsonl", kubeconfig=str(sb.kubeconfig), namespace="shop",
                        config_path=tmp_path / "none.yaml")
    args = argparse.Namespace(service="go-api", yes=False, dry_run=False, smoke_path=None, timeout=20.0, scale_up=False)
    out, err = textio.StringIO(), textio.StringIO()
    code = rollback_cmd.run(args, settings, out=out, err=err, stdin=Terminal("n\n"))
    assert code == 2 and "cancelled" in err.getvalue()
    prompt = out.getvalue()
    assert "ROLLBACK  green → blue" in prompt
    assert "no recorded previous colour" in prompt and "rolling back to blue" in prompt
    assert "--context gotui-sandbox" in prompt  # the kubectl preview names the context
    assert service_selector(io)["version"] == "green"


def test_headless_rollback_refuses_without_another_ready_colour(cluster, tmp_path):
    sb, io = cluster
    switch_by_hand(io, "green")
    io.patch("deployments", "shop", "go-api-blue", {"spec": {"replicas": 0}}, MERGE_PATCH, sub="scale")
    wait_for(lambda: not io.list("pods", "shop", "app=go-api,version=blue"), what="blue at 0 pods")
    proc = gotui(sb, tmp_path / "audit.jsonl", "rollback", "go-api", "-n", "shop", "--yes")
    assert proc.returncode == 2
    assert "no recorded previous colour" in proc.stderr and "no other colour has ready pods" in proc.stderr
    assert service_selector(io)["version"] == "green"
