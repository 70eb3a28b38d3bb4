"""The audit log and the safety gate, without the UI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gotui.config import Settings
from gotui.ops.actions import Action
from gotui.ops.audit import AuditLog
from gotui.ops.safety import ActionRefused, check, require_allowed

DELETE = Action("delete", "pod", "go-api-1", namespace="shop", context="eu-prod", preview="kubectl delete pod go-api-1")


def test_readonly_refuses_in_ops() -> None:
    settings = Settings(readonly=True)
    assert check(DELETE, settings).allowed is False
    with pytest.raises(ActionRefused, match="read-only"):
        require_allowed(DELETE, settings)


def test_protected_context_needs_typed_name() -> None:
    assert check(DELETE, Settings()).needs_typed_name is True
    staging = Action("delete", "pod", "x", context="staging")
    assert check(staging, Settings()).needs_typed_name is False
    # Docker actions are never "protected" by a kube-context pattern.
    docker = Action("remove", "image", "go-api:1", context="unix:///prod.sock")
    assert check(docker, Settings()).needs_typed_name is False


def test_audit_record_and_read(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "sub" / "audit.jsonl", source="cli")
    log.record(DELETE, "ok", 0.25, before={"replicas": 3}, after={"replicas": 2})
    (tmp_path / "sub" / "audit.jsonl").open("a").write("not json\n")
    with pytest.raises(RuntimeError):
        with log.timed(DELETE) as result:
            result["before"] = "blue"
            raise RuntimeError("boom")
    entries = log.read()
    assert [e["outcome"] for e in entries] == ["ok", "error: boom"]
    first = entries[0]
    assert first["action"] == "delete pod" and first["target"] == "go-api-1"
    assert first["context"] == "eu-prod" and first["namespace"] == "shop"
    assert first["duration_ms"] == 250 and first["source"] == "cli"
    assert first["before"] == {"replicas": 3} and first["after"] == {"replicas": 2}
    assert entries[1]["before"] == "blue"
    for line in (tmp_path / "sub" / "audit.jsonl").read_text().splitlines()[:1]:
        assert set(json.loads(line)) >= {"time", "user", "context", "namespace", "action", "target", "outcome", "duration_ms"}


def test_timed_success_outcome(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    with log.timed(DELETE) as result:
        result["after"] = "gone"
    assert log.read()[-1]["outcome"] == "ok"
    assert log.read()[-1]["after"] == "gone"


def test_action_title() -> None:
    assert DELETE.title == "delete pod shop/go-api-1"
    assert Action("prune", "images", "dangling").is_docker


def test_action_title_does_not_repeat_a_verb_that_is_its_kind() -> None:
    assert Action("build", "build", "go-api:dev").title == "build go-api:dev"
