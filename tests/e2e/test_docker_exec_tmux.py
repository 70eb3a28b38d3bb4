"""`s` in the containers view opens a shell in the container through the API (exec + raw bridge):
the installed gotui in tmux at 80x24 suspends, the shell answers, `exit` brings the TUI back."""

from __future__ import annotations

import re
import uuid

import pytest
from tmux import TmuxSession

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.timeout(180)]


def test_exec_shell_and_back(tmux_session: TmuxSession, run_container, tmp_path) -> None:  # noqa: ANN001
    name = f"gotui-test-exec-{uuid.uuid4().hex[:6]}"
    run_container("sleep 300", name=name)
    kubeconfig = tmp_path / "no-kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    tmux_session.run(f"KUBECONFIG={kubeconfig} gotui")
    tmux_session.wait_text("Images", timeout=60)
    tmux_session.send_keys("c")
    tmux_session.wait_text("▸containers", timeout=30)
    tmux_session.send_keys("/")
    tmux_session.wait_text("filter…", timeout=20)  # the filter bar has the focus (letters are keys in the table)
    tmux_session.type(name)
    tmux_session.send_keys("Enter")
    tmux_session.wait_for(lambda s: s.count(name) >= 2 and "running" in s, 30, "the container's row")
    tmux_session.send_keys("s")
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
