"""A tmux session on a private socket: start a shell at 80x24, send keys, read the screen.

Each `TmuxSession` runs its own tmux server (socket in a temp dir), so tests never touch a user's
tmux. The server inherits this process's environment (PATH with the installed `gotui`, DOCKER_HOST,
coverage's subprocess variables). Every wait is bounded and says what it waited for on timeout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

PROMPT = "E2E$ "


class ScreenTimeout(AssertionError):
    """The screen did not reach the expected state in time (the message holds the last screen)."""


class TmuxSession:
    """One tmux server + session running an interactive bash with a known prompt."""

    def __init__(self, workdir: Path, *, cols: int = 80, rows: int = 24, env: dict[str, str] | None = None,
                 term: str = "screen") -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed (apt-get install tmux)")
        self.workdir = workdir
        self.socket = str(workdir / "tmux.sock")
        self.env = {**os.environ, **(env or {})}
        self.env.pop("TMUX", None)
        self.cols, self.rows = cols, rows
        rc = workdir / "bashrc"
        rc.write_text(f"PS1='{PROMPT}'\nunset PROMPT_COMMAND\n", encoding="utf-8")
        conf = workdir / "tmux.conf"
        # Defaults on purpose (escape-time stays 500 ms, as most users have it); only the size and
        # the terminal type are fixed.
        conf.write_text(
            f'set -g default-terminal "{term}"\nset -g status off\nset -g history-limit 2000\n'
            "set -g remain-on-exit off\n",
            encoding="utf-8",
        )
        self._tmux("-f", str(conf), "new-session", "-d", "-s", "e2e", "-x", str(cols), "-y", str(rows),
                   f"bash --noprofile --rcfile {rc} -i")
        self.wait_for(lambda s: PROMPT.strip() in s, 10, "the shell prompt")

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - test harness
            ["tmux", "-S", self.socket, *args], env=self.env, capture_output=True, text=True, timeout=20,
            check=check,
        )

    def send_keys(self, *keys: str, literal: bool = False) -> None:
        """`tmux send-keys`: names like Enter, Escape, C-d, or (literal=True) text typed as is."""
        self._tmux("send-keys", "-t", "e2e", *(["-l"] if literal else []), *keys)

    def type(self, text: str) -> None:
        self.send_keys(text, literal=True)

    def run(self, command: str) -> None:
        """Type `command` at the shell prompt and press Enter."""
        self.type(command)
        self.send_keys("Enter")

    def screen(self, escapes: bool = False) -> str:
        args = ["capture-pane", "-p", "-t", "e2e"] + (["-e"] if escapes else [])
        return self._tmux(*args).stdout

    def wait_for(self, predicate: Callable[[str], bool], timeout: float, what: str) -> str:
        """Poll the screen until `predicate(screen)`; return that screen or raise ScreenTimeout."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise ScreenTimeout(f"timed out after {timeout:.0f} s waiting for {what}; screen was:\n{screen}")

    def wait_text(self, text: str, timeout: float = 30) -> str:
        return self.wait_for(lambda s: text in s, timeout, repr(text))

    def wait_gone(self, text: str, timeout: float = 15) -> str:
        return self.wait_for(lambda s: text not in s, timeout, f"{text!r} to disappear")

    def wait_prompt(self, timeout: float = 20) -> str:
        """Wait until the last non-empty line is a fresh shell prompt."""
        def at_prompt(screen: str) -> bool:
            lines = [line for line in screen.splitlines() if line.strip()]
            return bool(lines) and lines[-1].rstrip() == PROMPT.rstrip()
        return self.wait_for(at_prompt, timeout, "the shell prompt to come back")

    def kill(self) -> None:
        self._tmux("kill-server", check=False)

    def __enter__(self) -> TmuxSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
