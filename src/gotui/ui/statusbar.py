"""The header line (context, namespace, Docker host, READ-ONLY badge, connection state) and the
one-line pane tab bar. Both are plain text with words, never colour alone."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from gotui.ops.sanitize import safe_text


class StatusBar(Static):
    """One line: `gotui │ ctx … │ ns … │ docker … │ READ-ONLY`."""

    context: reactive[str] = reactive("-")
    namespace: reactive[str] = reactive("-")
    docker_host: reactive[str] = reactive("-")
    kube_state: reactive[str] = reactive("")
    readonly: reactive[bool] = reactive(False)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" gotui ", style="bold reverse")
        if self.readonly:
            text.append(" ")
            text.append(" READ-ONLY ", style="bold reverse yellow")
        text.append(" ctx ", style="dim")
        text.append(safe_text(self.context, 60), style="bold")
        text.append(" │ ns ", style="dim")
        text.append(safe_text(self.namespace, 40), style="bold")
        if self.kube_state:
            text.append(f" [{safe_text(self.kube_state, 40)}]", style="yellow")
        text.append(" │ docker ", style="dim")
        host = safe_text(self.docker_host, 200)
        room = max(12, self.size.width - text.cell_len - 1) if self.size.width else 40
        if len(host) > room:  # keep the end of the address: the socket name or the port is what tells
            host = "…" + host[-(room - 1):]
        text.append(host)
        return text


class PaneTabs(Static):
    """`1 Images  2 Pods  3 HPA  4 Releases` with the active one marked ▸ and reversed."""

    active: reactive[str] = reactive("")

    def __init__(self, panes: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.panes = panes

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (pane_id, title) in enumerate(self.panes, start=1):
            if pane_id == self.active:
                text.append(f"▸{index} {title} ", style="bold reverse")
            else:
                text.append(f" {index} {title} ", style="dim")
            text.append(" ")
        text.append("  ? help  ^p commands", style="dim")
        return text
