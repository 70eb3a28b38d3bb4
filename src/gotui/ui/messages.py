"""Messages that carry data from sources to panes (never one per event: batched)."""

from __future__ import annotations

from textual.message import Message


class KubeChanged(Message):
    """The cluster cache changed: `kinds` holds the resource kinds (plural names) that changed.

    Posted to every pane at most ~10 times a second by the Kubernetes bridge.
    """

    def __init__(self, kinds: frozenset[str]) -> None:
        super().__init__()
        self.kinds = kinds


class KubeStateChanged(Message):
    """The connection state changed (`connected`, `connecting`, `reconnecting`, `error`)."""

    def __init__(self, state: str, detail: str = "") -> None:
        super().__init__()
        self.state = state
        self.detail = detail
