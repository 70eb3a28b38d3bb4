"""The crash handler: tracebacks go to a private log file, the terminal gets one line and is restored."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from gotui import crash

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from ptyterm import PtyProcess  # noqa: E402


@pytest.fixture
def state_home(tmp_path, monkeypatch) -> Path:  # noqa: ANN001
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "gotui"


def test_crash_log_holds_traceback_and_context(state_home: Path) -> None:
    try:
        raise ValueError("the answer was 41")
    except ValueError as exc:
        path = crash.write_crash_log(exc)
    assert path.parent == state_home
    text = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "ValueError: the answer was 41" in text
    assert "gotui " in text.splitlines()[0] and "python " in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # tracebacks can hold hostnames, paths: private


def test_crash_log_of_current_exception_and_of_text(state_home: Path) -> None:
    try:
        {}["missing"]
    except KeyError:
        path = crash.write_crash_log()
    assert "KeyError: 'missing'" in path.read_text(encoding="utf-8")
    other = crash.write_crash_log(text="free text", kind="thread")
    assert other != path and other.name.startswith("thread-")
    assert other.read_text(encoding="utf-8").endswith("free text")


def test_crash_log_falls_back_to_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))  # mkdir under a file fails
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    path = crash.write_crash_log(text="boom")
    assert str(path).startswith(str(tmp_path / "tmp"))
    assert path.read_text(encoding="utf-8").endswith("boom")


def test_crash_message_names_the_file() -> None:
    msg = crash.crash_message(Path("/x/crash.log"))
    assert "/x/crash.log" in msg and "restored" in msg and "\n" not in msg
    assert "No crash log" in crash.crash_message(None)


def test_thread_exception_goes_to_a_log_not_stderr(state_home: Path, capfd: pytest.CaptureFixture[str]) -> None:
    old = threading.excepthook
    crash.install_thread_hook()
    try:
        def fail() -> None:
            raise RuntimeError("stream thread died")

        worker = threading.Thread(target=fail, name="log-stream")
        worker.start()
        worker.join(5)
        quiet = threading.Thread(target=sys.exit, name="exits")
        quiet.start()
        quiet.join(5)
    finally:
        threading.excepthook = old
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    logs = sorted(state_home.glob("thread-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text(encoding="utf-8")
    assert "thread log-stream" in text and "RuntimeError: stream thread died" in text


def test_terminal_guard_reraises_and_resets() -> None:
    with pytest.raises(ZeroDivisionError), crash.terminal_guard():
        1 / 0  # noqa: B018
    with crash.terminal_guard():
        pass
    crash.restore_terminal()  # not a tty here: must be a harmless no-op


CRASHING_APP = textwrap.dedent(
    """
    import sys
    from textual.binding import Binding
    from textual.widgets import DataTable
    import gotui.ui.app as app_module
    from gotui.ui.panes.base import Pane
    from gotui.config import build_settings
    from gotui.tui import run_tui

    class BoomPane(Pane):
        PANE_ID = "boom"
        TITLE = "Boom"
        BINDINGS = [Binding("x", "boom", "Boom")]

        def compose_main(self):
            yield DataTable(id="boom-table", classes="pane-main")

        def action_boom(self):
            raise RuntimeError("kaboom: secret internals")

    app_module.GotuiApp._default_panes = staticmethod(lambda: [BoomPane()])
    sys.exit(run_tui(build_settings({})))
    """
)


def test_crash_inside_the_tui_prints_one_line_and_restores_the_terminal(tmp_path: Path) -> None:
    """A real app under a real pty raises in a key handler: no traceback on the terminal."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    with PtyProcess([sys.executable, "-c", CRASHING_APP], env=env) as term:
        assert term.wait_for(lambda out: b"Boom" in out, timeout=30) is not None, term.output[-2000:]
        term.send("x")
        code = term.wait_exit(timeout=30)
        output = term.output.decode("utf-8", "replace")
    assert code == 1, output[-2000:]
    assert "Traceback" not in output
    assert "kaboom" not in output
    assert "internal error" in output
    logs = list((tmp_path / "state" / "gotui").glob("crash-*.log"))
    assert len(logs) == 1
    assert str(logs[0]) in output.replace("\r\n", "").replace("\n", "")
    assert "RuntimeError: kaboom: secret internals" in logs[0].read_text(encoding="utf-8")
    # The alternate screen was left and the cursor shown again before the message.
    tail = output[output.rfind("\x1b[?1049h"):]
    assert "\x1b[?1049l" in tail and "\x1b[?25h" in tail
