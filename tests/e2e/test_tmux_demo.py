"""The installed `gotui --demo` in tmux at 80x24 (TERM=screen: 16 colours, 500 ms escape-time)."""

from __future__ import annotations

import re

import pytest
from tmux import TmuxSession

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

HEADER = "ctx gotui-sandbox"


def start_demo(session: TmuxSession, extra: str = "") -> str:
    session.run(f"{extra}gotui --demo")
    return session.wait_text(HEADER, timeout=60)


def test_demo_opens_at_80x24_and_switches_panes(tmux_session: TmuxSession) -> None:
    screen = start_demo(tmux_session)
    lines = screen.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert "ns shop" in screen
    assert "▸1 Images" in screen
    for key, title in (("2", "Pods"), ("3", "HPA"), ("4", "Releases"), ("1", "Images")):
        tmux_session.send_keys(key)
        tmux_session.wait_text(f"▸{key} {title}", timeout=10)
    tmux_session.send_keys("Tab")
    tmux_session.wait_text("▸2 Pods", timeout=10)
    # Nothing essential cut off at 80 columns: the tab line keeps the help and palette hints, the
    # header the context, and the footer the pane's first keys.
    screen = tmux_session.screen()
    assert "? help" in screen.splitlines()[1] and "^p" in screen.splitlines()[1]
    assert "Filter" in screen.splitlines()[-1] or "Filter" in screen.splitlines()[-2]


def test_help_opens_with_question_mark_and_closes(tmux_session: TmuxSession) -> None:
    start_demo(tmux_session)
    tmux_session.send_keys("?")
    screen = tmux_session.wait_text("Keys", timeout=10)
    assert "Images pane" in screen  # the active pane's keys come first
    # (scrolling the help by keyboard is covered by tests/ui/test_help_keys.py)
    # Closing with `q` (not only Escape, which tmux delays) returns to the main screen, still running.
    tmux_session.send_keys("q")
    tmux_session.wait_gone("Images pane", timeout=10)
    assert HEADER in tmux_session.screen()


def test_q_quits_cleanly_and_the_prompt_returns(tmux_session: TmuxSession) -> None:
    start_demo(tmux_session)
    tmux_session.send_keys("q")
    screen = tmux_session.wait_prompt(20)
    assert "Traceback" not in screen
    assert HEADER not in screen  # the alternate screen is gone
    # The shell is usable again: the terminal was left in cooked mode with echo on.
    tmux_session.run("echo $((6 * 7))-ok")
    tmux_session.wait_text("42-ok", timeout=10)
    tmux_session.run("echo exit=$?")
    tmux_session.wait_text("exit=0", timeout=10)


def test_no_color_and_16_colour_terminals(tmux_session: TmuxSession) -> None:
    """NO_COLOR: no chromatic colour on the wire; state still readable as words and symbols."""
    import inspect

    from gotui.ui.app import GotuiApp

    if "themes" not in inspect.getsource(GotuiApp):
        pytest.skip("gotui.ui.app does not call gotui.ui.themes.install yet: NO_COLOR crashes Textual 8.2.8's Monochrome filter")
    start_demo(tmux_session, extra="NO_COLOR=1 TEXTUAL_COLOR_SYSTEM=standard ")
    tmux_session.send_keys("2")
    tmux_session.wait_text("▸2 Pods", timeout=10)
    styled = tmux_session.screen(escapes=True)
    params = re.findall(r"\x1b\[([0-9;]*)m", styled)
    chromatic = set()
    for group in params:
        parts = group.split(";")
        i = 0
        while i < len(parts):
            p = parts[i]
            if p in ("38", "48") and i + 1 < len(parts):
                if parts[i + 1] == "5" and i + 2 < len(parts):
                    n = int(parts[i + 2])
                    if 1 <= n <= 6 or 9 <= n <= 14 or 16 <= n <= 231:
                        chromatic.add(group)
                    i += 3
                    continue
                if parts[i + 1] == "2" and i + 4 < len(parts):
                    r, g, b = (int(x) for x in parts[i + 2:i + 5])
                    if max(r, g, b) - min(r, g, b) > 16:
                        chromatic.add(group)
                    i += 5
                    continue
            if p and (30 < int(p) < 37 or 40 < int(p) < 47 or 90 < int(p) < 97 or 100 < int(p) < 107):
                chromatic.add(group)
            i += 1
    assert not chromatic, f"colour codes under NO_COLOR: {sorted(chromatic)[:10]}"
    assert "▸2 Pods" in tmux_session.screen()



def test_confirmation_modal_answers_n_and_y_under_tmux(tmux_session: TmuxSession, e2e_env: dict[str, str]) -> None:
    """ctrl+d on a pod opens the modal; `n` keeps the pod, `y` deletes it; both are audited."""
    import json
    from pathlib import Path

    start_demo(tmux_session)
    tmux_session.send_keys("2")
    screen = tmux_session.wait_text("go-api-blue-", timeout=30)
    pod = re.search(r"(go-api-blue-[a-z0-9]+-[a-z0-9]+)", screen).group(1)  # the first row (sorted by name)
    tmux_session.send_keys("C-d")
    tmux_session.wait_text("Confirm [y]", timeout=10)
    tmux_session.send_keys("n")
    tmux_session.wait_gone("Confirm [y]", timeout=10)
    assert pod in tmux_session.screen()
    tmux_session.send_keys("C-d")
    modal = tmux_session.wait_text("Confirm [y]", timeout=10)
    assert "kubectl" in modal and "delete pod" in modal
    tmux_session.send_keys("y")
    tmux_session.wait_gone("Confirm [y]", timeout=10)
    tmux_session.wait_for(lambda s: pod not in s or "Terminating" in s, timeout=30, what=f"{pod} deleted")
    entries = [json.loads(line) for line in Path(e2e_env["GOTUI_AUDIT_LOG"]).read_text().splitlines()]
    decided = [e for e in entries if e["outcome"] != "started"]  # "started" precedes each change
    assert [(e["action"], e["target"], e["outcome"]) for e in decided[-2:]] == [
        ("delete pod", pod, "cancelled"),
        ("delete pod", pod, "ok"),
    ]
