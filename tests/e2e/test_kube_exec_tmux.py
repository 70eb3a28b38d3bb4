"""`s` on the Pods pane opens a shell in the pod through the API server's pods/exec (WebSocket, v5
channels; the demo sandbox runs a real shell for the pod): the installed `gotui --demo` in tmux at 80x24
suspends, the shell answers, `exit` brings the TUI back with the exit code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tmux import TmuxSession

pytestmark = [pytest.mark.e2e, pytest.mark.sandbox, pytest.mark.timeout(180)]


def test_pod_shell_and_back(tmux_session: TmuxSession) -> None:
    tmux_session.run("gotui --demo")
    tmux_session.wait_text("ctx gotui-sandbox", timeout=60)
    tmux_session.send_keys("2")
    tmux_session.wait_for(lambda s: "Running" in s and "▸" in s, 60, "the pods listed")
    tmux_session.send_keys("s")
    tmux_session.wait_text("gotui: shell in", timeout=30)
    tmux_session.wait_for(lambda s: re.search(r"[$#] *$", s.rstrip(), re.M) is not None, 20, "the shell prompt")
    # one send: the command, the wait that lets us read it, and the exit
    tmux_session.type("echo HOST=$HOSTNAME SIZE=$(stty size); sleep 1; exit")
    tmux_session.send_keys("Enter")
    screen = tmux_session.wait_for(lambda s: re.search(r"^HOST=\S+ SIZE=", s, re.M) is not None, 20, "the echo")
    host = re.search(r"^HOST=(\S+)", screen, re.M).group(1)  # type: ignore[union-attr]
    assert host != "" and "Pods" not in screen.splitlines()[0]  # the TUI is suspended meanwhile
    # the shell's tty has the terminal's size from its start (gotui sends it first, as kubectl does)
    assert re.search(r"^HOST=\S+ SIZE=24 80$", screen, re.M), screen
    # the TUI is back; the status line says how the shell ended
    screen = tmux_session.wait_for(lambda s: "ended (exit 0)" in s and "Pods" in s, 30,
                                   "the TUI back, with the shell's exit code")
    assert host in screen
    tmux_session.send_keys("q")
    tmux_session.wait_prompt(30)
    log = Path(tmux_session.env["GOTUI_AUDIT_LOG"])
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["action"], e["target"], e["outcome"]) for e in lines] == [("exec pod", host, "started"),
                                                                          ("exec pod", host, "ok")]
