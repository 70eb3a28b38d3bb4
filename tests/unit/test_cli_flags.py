"""The shared flags (`--readonly`, `--context`, ...) count wherever they are written: before the
subcommand, after it, or both (the same value); two different values, or a flag that does not apply,
are rejected by the parser. One end-to-end run: `gotui --readonly cutover ... --yes` is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gotui.cli import COMMON_FLAGS, parse_args, settings_from_args

SRC = Path(__file__).resolve().parents[2] / "src"

# Each subcommand with the arguments it needs to parse.
COMMANDS = {
    "build": ["ctxdir", "-t", "app:1"],
    "cutover": ["go-api", "--to", "green", "--yes"],
    "rollback": ["go-api", "--yes"],
    "status": [],
}


def flag_cases(tmp: Path) -> list[tuple[list[str], str, object]]:
    """(argv fragment, Settings attribute, expected value) for every shared flag and spelling."""
    config = tmp / "flag-config.yaml"
    config.write_text("")
    return [
        (["--readonly"], "readonly", True),
        (["--context", "ctx-b"], "context", "ctx-b"),
        (["--kubeconfig", str(tmp / "kc")], "kubeconfig", str(tmp / "kc")),
        (["-n", "ns-b"], "namespace", "ns-b"),
        (["--namespace", "ns-c"], "namespace", "ns-c"),
        (["--docker-host", "unix:///x.sock"], "docker_host", "unix:///x.sock"),
        (["--audit-log", str(tmp / "a.jsonl")], "audit_log", tmp / "a.jsonl"),
        (["--config", str(config)], "config_path", config),
    ]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("GOTUI_READONLY", "GOTUI_CONTEXT", "GOTUI_NAMESPACE", "KUBECONFIG", "DOCKER_HOST", "GOTUI_AUDIT_LOG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GOTUI_CONFIG", str(tmp_path / "none.yaml"))


def test_every_shared_flag_is_covered() -> None:
    assert {dest for dest, _, _ in COMMON_FLAGS} == {
        "readonly", "context", "kubeconfig", "namespace", "docker_host", "audit_log", "config"}


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("position", ["before", "after", "both"])
def test_flag_counts_wherever_written(command: str, position: str, tmp_path: Path) -> None:
    for flag, attr, expected in flag_cases(tmp_path):
        argv = {"before": [*flag, command, *COMMANDS[command]],
                "after": [command, *COMMANDS[command], *flag],
                "both": [*flag, command, *COMMANDS[command], *flag]}[position]
        settings = settings_from_args(parse_args(argv))
        assert getattr(settings, attr) == expected, (argv, getattr(settings, attr))


@pytest.mark.usefixtures("clean_env")
def test_flags_before_the_tui_count(tmp_path: Path) -> None:
    for flag, attr, expected in flag_cases(tmp_path):
        assert getattr(settings_from_args(parse_args(flag)), attr) == expected


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("option", "first", "second"), [
    ("--context", "a", "b"), ("-n", "a", "b"), ("--namespace", "a", "b"), ("--kubeconfig", "a", "b"),
    ("--docker-host", "a", "b"), ("--audit-log", "a", "b"), ("--config", "a", "b")])
def test_different_values_before_and_after_are_rejected(
    command: str, option: str, first: str, second: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args([option, first, command, *COMMANDS[command], option, second])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "given twice with different values" in err and repr(first) in err and repr(second) in err


@pytest.mark.parametrize("flag", [["--readonly"], ["--context", "x"], ["-n", "x"], ["--kubeconfig", "x"],
                                  ["--docker-host", "x"], ["--audit-log", "x"], ["--config", "x"], ["--demo"]])
def test_flags_that_do_not_apply_to_sandbox_are_rejected(flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as before:
        parse_args([*flag, "sandbox"])
    assert before.value.code == 2 and "does not apply to `gotui sandbox`" in capsys.readouterr().err
    if flag[0] != "--kubeconfig":  # after `sandbox` argparse reads it as an abbreviation of --kubeconfig-out
        with pytest.raises(SystemExit) as after:
            parse_args(["sandbox", *flag])
        assert after.value.code == 2


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_demo_with_a_subcommand_is_rejected(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--demo", command, *COMMANDS[command]])
    assert exit_info.value.code == 2 and "--demo opens the TUI" in capsys.readouterr().err


@pytest.mark.sandbox
@pytest.mark.timeout(120)
def test_readonly_before_cutover_refuses_and_leaves_the_service(fresh_sandbox, tmp_path: Path) -> None:
    from gotui.ops.kube_io import KubeIO
    from releases.conftest import wait_for

    sb = fresh_sandbox("quiet", 1)
    io = KubeIO(sb.api_client)
    wait_for(lambda: all((d.get("status") or {}).get("readyReplicas") == 3 for d in io.list("deployments", "shop")
                         if d["metadata"]["name"].startswith("go-api-")), what="go-api blue and green ready")
    before = io.get("services", "shop", "go-api")["spec"]["selector"]
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(SRC) + os.pathsep + env.get("PYTHONPATH", ""), "GOTUI_CONFIG": str(tmp_path / "none.yaml"),
                "KUBECONFIG": str(sb.kubeconfig), "GOTUI_AUDIT_LOG": str(tmp_path / "audit.jsonl")})
    for var in ("GOTUI_READONLY", "GOTUI_CONTEXT"):
        env.pop(var, None)
    proc = subprocess.run(
        [sys.executable, "-m", "gotui", "--readonly", "cutover", "go-api", "--to", "green", "-n", "shop", "--yes"],
        capture_output=True, text=True, timeout=90, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "read-only" in proc.stderr
    assert io.get("services", "shop", "go-api")["spec"]["selector"] == before
    assert before.get("version") == "blue"
