"""The audit log's failure modes and the plain-Python action gate (no UI)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gotui.config import Settings
from gotui.ops import gate
from gotui.ops.actions import Action
from gotui.ops.audit import AuditError, AuditLog

DELETE = Action("delete", "pod", "go-api-1", namespace="shop", context="staging")
REMOVE = Action("remove", "image", "go-api:old", context="unix:///var/run/docker.sock")


def unwritable_paths(tmp_path: Path) -> list[tuple[Path, str]]:
    """A directory at the path, a full disk (/dev/full), a path below a regular file."""
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    paths = [(tmp_path / "adir", "directory"), (tmp_path / "afile" / "audit.jsonl", "exists: ")]
    if Path("/dev/full").exists():
        paths.append((Path("/dev/full"), "space"))
    return paths


def test_audit_log_is_created_0600(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "new" / "audit.jsonl")
    old = os.umask(0o022)
    try:
        log.record(DELETE, "ok")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "audit.jsonl").stat().st_mode) == 0o600


def test_unwritable_audit_log_raises_a_clear_error(tmp_path: Path) -> None:
    for path, cause in unwritable_paths(tmp_path):
        with pytest.raises(AuditError) as info:
            AuditLog(path).record(DELETE, "ok")
        assert str(path) in str(info.value) and cause in str(info.value).lower(), str(info.value)


def test_gate_refuses_before_running_when_started_cannot_be_written(tmp_path: Path) -> None:
    for path, _cause in unwritable_paths(tmp_path):
        ran = []
        with pytest.raises(gate.GateRefused) as info:
            gate.run(DELETE, AuditLog(path), Settings(), lambda r=ran: r.append(1))
        assert ran == [] and str(path) in info.value.reason and info.value.exit_code == 2


def test_gate_writes_started_then_the_outcome_with_before_after(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl", source="cli")
    handle = gate.begin(DELETE, log, Settings())
    assert [e["outcome"] for e in log.read()] == ["started"]  # on disk before any change
    handle.finish("ok", before={"replicas": 3}, after={"replicas": 2})
    handle.finish("ok")  # once only
    started, done = log.read()
    assert done["outcome"] == "ok" and done["before"] == {"replicas": 3} and done["after"] == {"replicas": 2}
    assert started["target"] == done["target"] == "go-api-1" and done["source"] == "cli"


def test_gate_run_records_errors_and_fields(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")

    def boom() -> None:
        raise RuntimeError("engine said no")

    with pytest.raises(RuntimeError):
        gate.run(DELETE, log, Settings(), boom)
    assert gate.run(DELETE, log, Settings(), lambda: 7, fields=lambda r, e: {"after": r, "message": "m"}) == 7
    outcomes = [(e["outcome"], e["after"]) for e in log.read()]
    assert outcomes[:2] == [("started", None), ("error: engine said no", None)]
    assert outcomes[2:] == [("started", None), ("ok", 7)]


def test_gate_enforces_read_only_for_docker_actions_too(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    ran = []
    with pytest.raises(gate.GateRefused, match="read-only"):
        gate.run(REMOVE, log, Settings(readonly=True), lambda: ran.append(1))
    assert ran == [] and [e["outcome"] for e in log.read()] == ["refused"]


def test_existing_record_and_timed_api_still_work(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    with log.timed(DELETE) as result:
        result["after"] = "gone"
    log.record(DELETE, "cancelled")
    assert [e["outcome"] for e in log.read()] == ["ok", "cancelled"]
