"""`e` edit in the installed `gotui --demo` under tmux at 80x24 with an editor that talks to the terminal:
the TUI is suspended (the editor's prompt alone on screen, it reads what is typed), comes back with the
diff in the dialog, and `y` applies the edit."""

from __future__ import annotations

import shlex

import pytest
from tmux import TmuxSession

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

EDITOR = r"""#!/bin/sh
printf 'fake-editor: a label value, then Enter: '
read v
sed -i "s/^  labels:$/  labels:\n    edited: $v/" "$1"
"""


def test_edit_suspends_for_the_editor_then_applies(tmux_session: TmuxSession, tmp_path) -> None:  # noqa: ANN001
    editor = tmp_path / "ed.sh"
    editor.write_text(EDITOR)
    tmux_session.run(f"EDITOR= KUBE_EDITOR={shlex.quote('sh ' + str(editor))} gotui --demo")
    tmux_session.wait_text("ctx gotui-sandbox", timeout=60)
    tmux_session.send_keys("2")
    tmux_session.wait_text("go-api-blue-", timeout=30)
    tmux_session.send_keys("e")
    screen = tmux_session.wait_text("fake-editor: a label value", timeout=30)
    assert "ctx gotui-sandbox" not in screen  # suspended: the editor has the terminal
    tmux_session.type("from-tty")
    tmux_session.send_keys("Enter")
    screen = tmux_session.wait_for(lambda s: "EDIT pod" in s and "+    edited: from-tty" in s, 30,
                                   "the dialog with the diff")
    lines = screen.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    tmux_session.send_keys("y")
    tmux_session.wait_for(lambda s: "Edited pod" in s, 30, "the edit applied")
    tmux_session.send_keys("q")  # the TUI reads keys again after the editor: `q` quits cleanly
    tmux_session.wait_prompt(30)
