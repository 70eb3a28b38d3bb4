"""Crash handling: a traceback goes to a log file, the terminal gets one line with its path.

- `write_crash_log(exc)` writes the traceback (with the version, Python, platform, command line and
  terminal type) to `~/.local/state/gotui/crash-*.log` (private, mode 0600), falling back to the
  temp directory when the state directory cannot be written.
- `crash_message(path)` is the one line the operator sees.
- `install_thread_hook()` sends an uncaught exception in any background thread to a crash log
  instead of the screen (Python's default prints it on stderr, i.e. over the TUI).
- `terminal_guard()` saves the terminal's mode before the TUI starts and, if the process leaves it
  through an exception, puts the terminal back (cooked mode, main screen, cursor shown, mouse and
  bracketed paste off) before anything is printed.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from gotui.config import state_dir

# Leave the alternate screen, show the cursor, mouse tracking / focus events / bracketed paste off,
# reset colours. Harmless on a terminal that is already in that state.
RESET_SEQUENCE = (
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"
    "\x1b[?1004l\x1b[?2004l\x1b[?1049l\x1b[?25h\x1b[0m"
)


def _header() -> str:
    from gotui import __version__

    return (
        f"gotui {__version__} crash report, {datetime.now().isoformat(timespec='seconds')}\n"
        f"python {platform.python_version()} on {platform.platform()}\n"
        f"argv: {' '.join(sys.argv)}\n"
        f"TERM={os.environ.get('TERM', '')} COLORTERM={os.environ.get('COLORTERM', '')}\n\n"
    )


def _crash_dirs() -> list[Path]:
    return [state_dir(), Path(tempfile.gettempdir()) / f"gotui-{os.getuid() if hasattr(os, 'getuid') else 'user'}"]


def write_crash_log(exc: BaseException | None = None, text: str | None = None, kind: str = "crash") -> Path:
    """Write the traceback of `exc` (or the current exception, or `text`) to a crash log; return its path.

    Raises OSError only when neither the state directory nor the temp directory can be written.
    """
    if text is None:
        if exc is not None:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        else:
            text = traceback.format_exc()
    body = _header() + text
    name = f"{kind}-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.log"
    last_error: OSError | None = None
    for directory in _crash_dirs():
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            return path
        except OSError as error:
            last_error = error
    assert last_error is not None
    raise last_error


def crash_message(path: Path | None) -> str:
    """The one line printed after a crash (the terminal already restored)."""
    if path is None:
        return "gotui hit an internal error and stopped; the terminal was restored. No crash log could be written."
    return (
        f"gotui hit an internal error and stopped; the terminal was restored. "
        f"The details are in {path} — please attach it to a bug report."
    )


def install_thread_hook() -> None:
    """Send uncaught exceptions of background threads to a crash log (never to the screen)."""

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        try:
            name = args.thread.name if args.thread is not None else "?"
            text = f"uncaught exception in thread {name}\n" + "".join(
                traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
            )
            write_crash_log(text=text, kind="thread")
        except OSError:
            pass

    threading.excepthook = hook


def restore_terminal(fd: int | None = None, attrs: list | None = None) -> None:
    """Put the terminal back in a usable state: cooked mode (when `attrs` given) and RESET_SEQUENCE."""
    if fd is not None and attrs is not None:
        with contextlib.suppress(Exception):
            import termios

            termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
    with contextlib.suppress(Exception):
        out = sys.__stdout__
        if out is not None and out.isatty():
            out.write(RESET_SEQUENCE)
            out.flush()


@contextlib.contextmanager
def terminal_guard() -> Iterator[None]:
    """Restore the terminal if the block exits through an exception (then re-raise)."""
    fd: int | None = None
    attrs = None
    with contextlib.suppress(Exception):
        import termios

        stdin = sys.__stdin__
        if stdin is not None and stdin.isatty():
            fd = stdin.fileno()
            attrs = termios.tcgetattr(fd)
    try:
        yield
    except BaseException:
        restore_terminal(fd, attrs)
        raise
