"""Headless `gotui cutover` / `gotui rollback` as subprocesses: SIGINT/SIGTERM/SIGHUP stop cleanly (lock
released, audit line written), the audit line "started" comes first and an unwritable audit log refuses
the run, `--break-lock` takes over a dead cutover's lock."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gotui.ops.bluegreen import ANN_LOCK, Lock
from gotui.ops.cutover import now_rfc3339
from gotui.ops.kube_io import MERGE_PATCH
from releases.conftest import service_selector, wait_for
from releases.test_cutover_sandbox import stray_green_pod
from releases.test_headless import audit_lines, gotui

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]
SRC = Path(__file__).resolve().parents[2] / "src"


class Running:
    """`gotui ARGS` in the background, its stdout+stderr lines collected as they come."""

    def __init__(self, sb, audit: Path, *args: str) -> None:
        env = dict(os.environ)
        env.update({"KUBECONFIG": str(sb.kubeconfig), "GOTUI_AUDIT_LOG": str(audit),
                    "PYTHONPATH": str(SRC) + os.pathsep + env.get("PYTHONPATH", "")})
        env.pop("GOTUI_READONLY", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "gotui", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines: list[str] = []
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))

    def output(self) -> str:
        while not self._q.empty():
            self.lines.append(self._q.get())
        return "\n".join(self.lines)

    def wait_for_line(self, needle: str, timeout: float = 60.0) -> None:
        wait_for(lambda: needle in self.output(), timeout=timeout, what=f"{needle!r} in the output")

    def finish(self, timeout: float = 60.0) -> int:
        code = self.proc.wait(timeout=timeout)
        time.sleep(0.1)
        self.output()
        return code


def lock_on(io) -> str | None:
    return (io.get("services", "shop", "go-api")["metadata"].get("annotations") or {}).get(ANN_LOCK)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_during_verify_reverts_releases_the_lock_and_audits(cluster, tmp_path, sig):
    """VERIFY cannot converge (a stray green pod) and has 60 s; the signal arrives right after SWITCH.
    Before: SIGTERM/SIGHUP killed the process with no audit line and the lock left on the Service; SIGINT
    raised KeyboardInterrupt past the audit line."""
    sb, io = cluster
    stray_green_pod(io)
    audit = tmp_path / "audit.jsonl"
    run = Running(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes", "--timeout", "60")
    run.wait_for_line("SWITCH    ok")
    t0 = time.monotonic()
    run.proc.send_signal(sig)
    code = run.finish()
    took = time.monotonic() - t0
    out = run.output()
    assert code == 1, out
    assert took < 30, took
    assert f"interrupted by {sig.name} during VERIFY" in out and "Reverted to blue" in out
    assert service_selector(io)["version"] == "blue" and lock_on(io) is None
    lines = audit_lines(audit)
    assert [x["outcome"].split(":")[0] for x in lines] == ["started", "failed-reverted"]
    assert lines[-1]["extra"]["interrupted"] == sig.name and lines[-1]["after"] == {"color": "blue"}


def test_sigterm_before_switch_cancels_and_releases_the_lock(cluster, tmp_path):
    """The lock PATCH is held 4 s by an injected delay; SIGTERM lands then: the run ends CANCELLED (exit 2)
    after the lock was taken, and the lock is removed."""
    sb, io = cluster
    sb.set_faults([{"method": "PATCH", "path": "^/api/v1/namespaces/shop/services/go-api$", "effect": "delay",
                    "ms": 4000}])
    audit = tmp_path / "audit.jsonl"
    run = Running(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes")
    wait_for(lambda: sb.faults()[0]["matched"] == 1, what="the lock PATCH in flight")
    run.proc.send_signal(signal.SIGTERM)
    code = run.finish()
    out = run.output()
    assert code == 2, out
    assert "interrupted by SIGTERM before SWITCH" in out
    assert service_selector(io)["version"] == "blue" and lock_on(io) is None
    lines = audit_lines(audit)
    assert [x["outcome"] for x in lines] == ["started", "cancelled"]
    assert lines[-1]["extra"]["interrupted"] == "SIGTERM" and lines[-1]["after"] == {"color": "blue"}


@pytest.mark.parametrize("where,cause", [
    ("dir", "Is a directory"),
    ("/dev/full", "No space left on device"),
    ("/sys/gotui-audit.jsonl", "Permission denied"),
])
def test_unwritable_audit_log_refuses_before_any_change(cluster, tmp_path, where, cause):
    """Before: the cutover ran, then writing its audit line failed (a traceback, exit 1, the Service
    switched and nothing on record)."""
    sb, io = cluster
    audit = tmp_path if where == "dir" else Path(where)
    for prog in (["cutover", "go-api", "--to", "green"], ["rollback", "go-api"]):
        proc = gotui(sb, audit, *prog, "-n", "shop", "--yes")
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert str(audit) in proc.stderr and cause in proc.stderr and "Traceback" not in proc.stderr
    assert service_selector(io)["version"] == "blue" and lock_on(io) is None


def test_break_lock_flag_takes_over_and_is_audited(cluster, tmp_path):
    sb, io = cluster
    lock = Lock("dead", "bob@ci-7 (pid 4242)", now_rfc3339(), "green").dump()
    io.patch("services", "shop", "go-api", {"metadata": {"annotations": {ANN_LOCK: lock}}}, MERGE_PATCH)
    audit = tmp_path / "audit.jsonl"
    refused = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes")
    assert refused.returncode == 2 and "bob@ci-7 (pid 4242)" in refused.stderr and "--break-lock" in refused.stderr
    status = gotui(sb, audit, "status", "-n", "shop")
    assert "LOCKED by bob@ci-7 (pid 4242) since" in status.stdout and "expires 20" in status.stdout
    done = gotui(sb, audit, "cutover", "go-api", "--to", "green", "-n", "shop", "--yes", "--break-lock")
    assert done.returncode == 0, done.stdout + done.stderr
    assert service_selector(io)["version"] == "green" and lock_on(io) is None
    last = audit_lines(audit)[-1]
    assert last["outcome"] == "ok" and last["extra"]["broken_lock"]["by"] == "bob@ci-7 (pid 4242)"
