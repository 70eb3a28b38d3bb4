"""Keys typed ahead, for real: the installed `gotui --demo` in tmux at 80x24, an action key and the keys
after it sent in ONE `tmux send-keys` call (one read for gotui, as over SSH). Plus SIGTERM / SIGHUP."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from tmux import TmuxSession

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

HEADER = "ctx gotui-sandbox"


def start_demo(session: TmuxSession) -> str:
    session.run("gotui --demo")
    return session.wait_text(HEADER, timeout=60)


def audit(env: dict[str, str]) -> list[dict]:
    path = Path(env["GOTUI_AUDIT_LOG"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_audit(env: dict[str, str], pred, what: str, timeout: float = 30) -> list[dict]:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = audit(env)
        if pred(entries):
            return entries
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; audit: {audit(env)}")


def open_pods(session: TmuxSession) -> str:
    session.send_keys("2")
    screen = session.wait_text("go-api-blue-", timeout=30)
    return re.search(r"(go-api-blue-[a-z0-9]+-[a-z0-9]+)", screen).group(1)


def test_ctrl_d_n_in_one_read_cancels_the_dialog(tmux_session: TmuxSession, e2e_env: dict[str, str]) -> None:
    start_demo(tmux_session)
    pod = open_pods(tmux_session)
    tmux_session.send_keys("C-d", "n")
    wait_audit(e2e_env, lambda es: [e["outcome"] for e in es] == ["cancelled"], "the cancel line")
    screen = tmux_session.wait_gone("Confirm [y]", timeout=10)
    assert "all namespaces" not in screen.lower()  # no namespace picker
    assert pod in screen


def test_ctrl_d_y_in_one_read_deletes_and_opens_nothing_else(tmux_session: TmuxSession, e2e_env: dict[str, str]) -> None:
    start_demo(tmux_session)
    pod = open_pods(tmux_session)
    tmux_session.send_keys("C-d", "y")
    entries = wait_audit(e2e_env, lambda es: [e["outcome"] for e in es] == ["started", "ok"], "the delete")
    assert entries[-1]["target"] == pod
    screen = tmux_session.screen()
    assert "apiVersion" not in screen  # `y` did not open the YAML view


def test_ctrl_d_tab_q_keep_the_dialog_and_the_app(tmux_session: TmuxSession, e2e_env: dict[str, str]) -> None:
    start_demo(tmux_session)
    open_pods(tmux_session)
    tmux_session.send_keys("C-d", "Tab", "1")
    tmux_session.wait_text("Confirm [y]", timeout=10)
    tmux_session.send_keys("q")
    wait_audit(e2e_env, lambda es: [e["outcome"] for e in es] == ["cancelled"], "q cancels the dialog")
    screen = tmux_session.wait_gone("Confirm [y]", timeout=10)
    assert HEADER in screen and "▸2 Pods" in screen and "RuntimeWarning" not in screen


def test_filter_typed_in_one_read_and_ctrl_u(tmux_session: TmuxSession) -> None:
    start_demo(tmux_session)
    open_pods(tmux_session)
    tmux_session.type("/abc")
    tmux_session.wait_text("abc", timeout=10)
    assert "Kube context" not in tmux_session.screen()
    tmux_session.send_keys("C-u", "c", "x", "y")
    screen = tmux_session.wait_text("cxy", timeout=10)
    assert "Kube context" not in screen and "apiVersion" not in screen


def test_releases_c_y_in_one_read_runs_the_cutover(tmux_session: TmuxSession, e2e_env: dict[str, str]) -> None:
    start_demo(tmux_session)
    tmux_session.send_keys("4")
    tmux_session.wait_text("LIVE", timeout=30)
    time.sleep(1.0)  # the demo's pods become Ready
    tmux_session.send_keys("c", "D", "y")
    entries = wait_audit(e2e_env, lambda es: any(e["action"] == "cutover service" and e["outcome"] != "started"
                                                 for e in es), "the cutover's outcome", timeout=90)
    assert not [e for e in entries if e["action"].startswith("scale")]


def _child_pid(session: TmuxSession) -> int:
    shell = int(session._tmux("display", "-p", "-t", "e2e", "#{pane_pid}").stdout.strip())
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    assert children, "gotui is not running under the pane's shell"
    return int(children[0])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_restores_the_terminal(tmux_session: TmuxSession, sig: int) -> None:
    start_demo(tmux_session)
    tmux_session.send_keys("2")
    tmux_session.wait_text("▸2 Pods", timeout=10)
    os.kill(_child_pid(tmux_session), sig)  # the gotui process this test started
    tmux_session.wait_prompt(20)
    flags = tmux_session._tmux("display", "-p", "-t", "e2e",
                               "#{alternate_on} #{mouse_any_flag} #{mouse_button_flag} #{mouse_sgr_flag}").stdout.split()
    assert flags == ["0", "0", "0", "0"], flags
    assert "Traceback" not in tmux_session.screen()
