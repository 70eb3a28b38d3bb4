"""Copy through the terminal (OSC 52): works over SSH, and under tmux with `set -g set-clipboard on`."""

from __future__ import annotations

from textual.widget import Widget


def copy_through_terminal(widget: Widget, text: str, what: str) -> None:
    """Put `text` on the clipboard of the terminal showing `widget`'s app and say what was copied."""
    widget.app.copy_to_clipboard(text)
    widget.notify(f"copied {what} (through the terminal, OSC 52; under tmux: set -g set-clipboard on)", timeout=4)
