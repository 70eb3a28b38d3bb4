"""The k9s `:` command line in the installed `gotui --demo` under tmux at 80x24: `:deploy` and Enter sent
in ONE send-keys (one burst, as over SSH) open the Deployments view and nothing else."""

from __future__ import annotations

import pytest
from tmux import TmuxSession

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_colon_deploy_enter_in_one_burst(tmux_session: TmuxSession) -> None:
    tmux_session.run("gotui --demo")
    tmux_session.wait_text("ctx gotui-sandbox", timeout=60)
    tmux_session.send_keys("2")
    tmux_session.wait_text("go-api-blue-", timeout=30)
    tmux_session.send_keys(":deploy", "Enter")
    screen = tmux_session.wait_text("UP-TO-DATE", timeout=30)
    screen = tmux_session.wait_for(lambda s: "go-api-green" in s and "Deployment (deployments.apps)" in s,
                                   timeout=30, what="the Deployments view")
    assert "Esc/q closes" not in screen  # no describe or YAML screen opened by the typed letters
    assert "filter:" not in screen
    lines = screen.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    # `-` goes back to the Pods pane in the same way
    tmux_session.send_keys("-")
    tmux_session.wait_for(lambda s: "UP-TO-DATE" not in s and "go-api-blue-" in s, timeout=15, what="back to pods")
