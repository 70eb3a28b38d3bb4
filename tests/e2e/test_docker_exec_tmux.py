"""`s` in the containers view opens a shell in the container through the API (exec + raw bridge):
the installed gotui in tmux at 80x24 suspends, the shell answers, `exit` brings the TUI back."""

from __future__ import annotations

import re
import uuid

import pytest
from tmux import TmuxSession

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.timeout(180)]


def filter_to(session: TmuxSession, name: str) -> None:
    """`/name` in the filter bar, until the container's row is the only one."""
    session.send_keys("/")
    session.wait_text("filter…", timeout=20)
    session.type(name)
    session.wait_for(lambda s: s.count(name) >= 2 and "running" in s, 30, "the container's row")


def test_exec_shell_and_back(tmux_session: TmuxSession, run_container, tmp_path) -> None:  # noqa: ANN001
    name = f"gotui-test-exec-{uuid.uuid4().hex[:6]}"
    run_container("sleep 300", name=name)
    kubeconfig = tmp_path / "no-kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    tmux_session.run(f"KUBECONFIG={kubeconfig} gotui")
    tmux_session.wait_text("Images", timeout=60)
    tmux_session.send_keys("c")
    tmux_session.wait_text("▸containers", timeout=30)
    filter_to(tmux_session, name)
    tmux_session.send_keys("Enter", "s")  # one burst: `s` must reach the table, not the filter
    tmux_session.wait_text(f"gotui: shell in {name}", timeout=30)
    tmux_session.wait_for(lambda s: "/ #" in s, 30, "the busybox prompt")
    tmux_session.type("echo hi-$RANDOM")
    tmux_session.send_keys("Enter")
    screen = tmux_session.wait_for(lambda s: re.search(r"^hi-\d+\s*$", s, re.M) is not None, 20, "the echo")
    assert "▸containers" not in screen  # the TUI is suspended while the shell runs
    tmux_session.type("exit")
    tmux_session.send_keys("Enter")
    # the toast ("shell in NAME ended (exit 0)") wraps at its width: look for its words
    screen = tmux_session.wait_for(lambda s: "ended" in s and "(exit 0)" in s and "▸containers" in s, 30,
                                   "the TUI back, with the shell's exit code")
    assert name in screen
    # the TUI reads keys again after the shell: `c` switches back to images, `q` quits cleanly
    tmux_session.send_keys("c")
    tmux_session.wait_text("▸images", timeout=20)
    tmux_session.send_keys("q")
    tmux_session.wait_prompt(30)


def test_attach_shows_output_and_detaches(tmux_session: TmuxSession, run_container, tmp_path) -> None:  # noqa: ANN001
    """`a` attaches to the main process's output (suspended); ctrl-p ctrl-q detaches, the container
    keeps running and the TUI is back."""
    name = f"gotui-test-attach-{uuid.uuid4().hex[:6]}"
    run_container("i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.3; done", name=name)
    kubeconfig = tmp_path / "no-kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    tmux_session.run(f"KUBECONFIG={kubeconfig} gotui")
    tmux_session.wait_text("Images", timeout=60)
    tmux_session.send_keys("c")
    tmux_session.wait_text("▸containers", timeout=30)
    filter_to(tmux_session, name)
    tmux_session.send_keys("Enter", "a")
    tmux_session.wait_text("ctrl-p ctrl-q detaches", timeout=30)
    tmux_session.wait_for(lambda s: re.search(r"^tick-\d+", s, re.M) is not None, 20, "the container's output")
    tmux_session.send_keys("C-p", "C-q")
    screen = tmux_session.wait_for(lambda s: "▸containers" in s and "detached" in s, 30, "the TUI back")
    assert name in screen
    tmux_session.send_keys("q")
    tmux_session.wait_prompt(30)
