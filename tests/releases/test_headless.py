"""`gotui cutover|rollback|status` as a subprocess against the sandbox: exit codes 0/1/2, audit lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gotui.ops.bluegreen import ANN_LOCK
from releases.conftest import endpoint_names, ready_pods, service_selector
from releases.test_cutover_sandbox import stray_green_pod

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]
SRC = Path(__file__).resolve().parents[2] / "src"


def gotui(sb, audit: Path, *args: str, stdin: str | None = None, env_extra: dict | None = None):
    env = dict(os.environ)
    env.update({"KUBECONFIG": str(sb.kubeconfig), "GOTUI_AUDIT_LOG": str(audit),
                "PYTHONPATH": str(SRC) + os.pathsep + env.get("PYTHONPATH", "")})
    env.pop("GOTUI_READONLY", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "gotui", *args], capture_output=True, text=True, timeout=90,
                          env=env, input=stdin if stdin is not None else "", stdin=None if stdin is not None else None)


def audit_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_cutover_exit_0_and_audit(cluster, tmp_path):
    sb, io = cluster
    audit = tmp_path / "audit.jsonl"
    proc = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes", "--smoke-path", "/healthz")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DONE" in proc.stdout and "VERIFY" in proc.stdout
    assert service_selector(io)["version"] == "green" and endpoint_names(io) == ready_pods(io, "green")
    started, line = audit_lines(audit)  # audit first: "started" is on disk before anything changes
    assert started["outcome"] == "started" and started["action"] == "cutover service"
    assert line["source"] == "cli" and line["action"] == "cutover service" and line["target"] == "go-api"
    assert line["outcome"] == "ok" and line["context"] == "gotui-sandbox" and line["namespace"] == "shop"
    assert line["before"] == {"color": "blue"} and line["after"] == {"color": "green"}
    assert [s["step"] for s in line["extra"]["steps"]] == ["PREFLIGHT", "SMOKE", "SWITCH", "VERIFY"]
    assert line["user"] and line["duration_ms"] >= 0 and line["time"].endswith("Z")

    back = gotui(sb, audit, "rollback", "go-api", "-n", "shop", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert service_selector(io)["version"] == "blue"
    assert audit_lines(audit)[-1]["action"] == "rollback service" and audit_lines(audit)[-1]["outcome"] == "ok"


def test_exit_2_refusals(cluster, tmp_path):
    sb, io = cluster
    audit = tmp_path / "audit.jsonl"
    # no terminal and no --yes: refused before anything happens
    proc = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop")
    assert proc.returncode == 2 and "--yes" in proc.stderr
    # preflight refusals
    assert gotui(sb, audit, "cutover", "go-api", "--to", "purple", "-n", "shop", "--yes").returncode == 2
    same = gotui(sb, audit, "cutover", "go-api", "--to", "blue", "-n", "shop", "--yes")
    assert same.returncode == 2 and "already selects blue" in same.stderr
    # (rollback without a recorded previous colour: tests/releases/test_rollback_nohistory_sandbox.py)
    # read-only refuses in the ops layer
    ro = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes", "--readonly")
    assert ro.returncode == 2 and "read-only" in ro.stderr
    # a bad kubeconfig is a refusal with a readable message
    bad = gotui(sb, audit, "status", env_extra={"KUBECONFIG": str(tmp_path / "missing")})
    assert bad.returncode == 2 and "kubeconfig" in bad.stderr.lower() and "Traceback" not in bad.stderr
    assert service_selector(io)["version"] == "blue"
    outcomes = [a["outcome"] for a in audit_lines(audit) if a["outcome"] != "started"]
    assert outcomes[0].startswith("refused: no terminal")
    assert all(o.startswith("refused") for o in outcomes), outcomes
    assert len(outcomes) == 4


def test_exit_1_failed_and_reverted(cluster, tmp_path):
    sb, io = cluster
    stray_green_pod(io)
    audit = tmp_path / "audit.jsonl"
    proc = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes", "--timeout", "1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED_REVERTED" in proc.stderr and "stray-green" in proc.stderr
    svc = io.get("services", "shop", "go-api")
    assert svc["spec"]["selector"]["version"] == "blue" and ANN_LOCK not in svc["metadata"]["annotations"]
    started, line = audit_lines(audit)
    assert started["outcome"] == "started"
    assert line["outcome"].startswith("failed-reverted:") and line["after"] == {"color": "blue"}


def test_dry_run_changes_nothing_and_status_json(cluster, tmp_path):
    sb, io = cluster
    audit = tmp_path / "audit.jsonl"
    dry = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert '"replace"' in dry.stdout and "/spec/selector/version" in dry.stdout
    assert service_selector(io)["version"] == "blue" and audit_lines(audit) == []
    st = gotui(sb, audit, "status", "-n", "shop", "--json")
    assert st.returncode == 0, st.stderr
    data = json.loads(st.stdout)
    (app,) = data["apps"]
    assert app["service"] == "go-api" and app["live"] == "blue"
    assert app["colors"]["green"]["images"] == ["go-api:1.5.0"] and app["colors"]["green"]["ready"] == 3
    assert app["colors"]["blue"]["hpa"]["min"] == 2
    text = gotui(sb, audit, "status", "-n", "shop")
    assert text.returncode == 0 and "blue    LIVE" in text.stdout


def test_scale_up_flag_from_the_command_line(cluster, tmp_path):
    """A target below the live colour's replicas: refused without --scale-up (exit 2), done with it."""
    from gotui.ops.kube_io import MERGE_PATCH
    from releases.conftest import wait_for

    sb, io = cluster
    audit = tmp_path / "audit.jsonl"
    io.patch("deployments", "shop", "go-api-green", {"spec": {"replicas": 2}}, content_type=MERGE_PATCH, sub="scale")
    wait_for(lambda: (io.get("deployments", "shop", "go-api-green")["status"] or {}).get("readyReplicas") == 2
             and (io.get("deployments", "shop", "go-api-green")["status"] or {}).get("replicas") == 2,
             what="green at 2 replicas")
    refused = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes")
    assert refused.returncode == 2 and "--scale-up" in refused.stdout + refused.stderr
    assert service_selector(io)["version"] == "blue"
    done = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes", "--scale-up")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SCALE" in done.stdout and service_selector(io)["version"] == "green"
    assert io.get("deployments", "shop", "go-api-green")["spec"]["replicas"] == 3
    assert audit_lines(audit)[-1]["after"]["scaled"]["replicas"] == 3
