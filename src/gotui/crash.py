"""Crash handling: a traceback goes to a log file, the terminal gets one line with its path."""

from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

from gotui.config import state_dir


def write_crash_log(exc: BaseException | None = None, text: str | None = None) -> Path:
    """Write the traceback of `exc` (or the current exception) to a crash log; return its path."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"crash-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.log"
    if text is None:
        if exc is not None:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        else:
            text = traceback.format_exc()
    path.write_text(text, encoding="utf-8")
    return path


def crash_message(path: Path) -> str:
    return (
        f"gotui hit an internal error and stopped; the terminal was restored. "
        f"The details are in {path} — please attach it to a bug report."
    )
