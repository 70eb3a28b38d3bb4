"""Headless `gotui build` goes through the action gate: a "started" line before the engine builds, the
outcome line after, and no build at all (exit 2) when the audit log cannot be written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.docker_engine import BASE_DOCKERFILE, make_context

pytestmark = pytest.mark.docker


def _build(ctx: Path, tag: str, audit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gotui", "build", str(ctx), "-t", tag], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "GOTUI_AUDIT_LOG": str(audit)})


def _exists(client, ref: str) -> bool:  # noqa: ANN001
    return any(ref in (i.get("RepoTags") or []) for i in client.api.images())


def test_headless_build_is_audited(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE)
    audit = tmp_path / "audit.jsonl"
    res = _build(ctx, "gotui-test/audited:1", audit)
    assert res.returncode == 0, res.stderr
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(e["action"], e["target"], e["outcome"], e["source"]) for e in entries] == [
        ("build build", "gotui-test/audited:1", "started", "cli"),
        ("build build", "gotui-test/audited:1", "ok", "cli"),
    ]
    assert "Built" in str(entries[-1]["after"]) or entries[-1]["after"]


def test_headless_build_refused_when_the_audit_log_cannot_be_written(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE)
    audit = tmp_path / "audit-dir"
    audit.mkdir()
    res = _build(ctx, "gotui-test/unaudited:1", audit)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert str(audit) in res.stderr and "Traceback" not in res.stderr
    assert "Step 1/" not in res.stdout and not _exists(docker_client, "gotui-test/unaudited:1")
