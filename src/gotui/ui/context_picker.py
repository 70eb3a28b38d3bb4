"""Context and namespace pickers (an OptionList in a modal); the choice is remembered by the bridge."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from gotui.ops.kube_text import kube_error as describe_error
from gotui.ops.sanitize import safe_text

ALL_NAMESPACES = "\x00all"


class PickerScreen(ModalScreen[str | None]):
    """Pick one of `choices` (value, label); Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str | None = None) -> None:
        super().__init__(classes="picker-screen")
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(Text(self.title_text, style="bold"), id="picker-title")
            yield OptionList(*[Option(Text(label), id=str(i)) for i, (_, label) in enumerate(self.choices)], id="picker-list")

    def on_mount(self) -> None:
        lst = self.query_one(OptionList)
        for i, (value, _) in enumerate(self.choices):
            if value == self.current:
                lst.highlighted = i
        lst.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id or 0)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_context_picker(app: Any) -> None:
    """List the kubeconfig's contexts and switch to the one picked."""
    from gotui.sources.kube_source import KubeConfigProblem, list_contexts

    bridge = app.services.get("kube")
    if bridge is None:
        app.notify("Kubernetes is not started yet.", severity="warning")
        return
    try:
        contexts = list_contexts(app.settings.kubeconfig)
    except KubeConfigProblem as exc:
        app.notify(str(exc), title="kubeconfig", severity="error", timeout=10)
        return
    choices = [(c.name, f"{'● ' if c.name == bridge.context else '  '}{safe_text(c.name)}  ({safe_text(c.cluster)})") for c in contexts]

    def done(value: str | None) -> None:
        if value is not None and value != bridge.context:
            bridge.switch(value, "")  # a new context starts in its own (or the remembered) namespace

    app.push_screen(PickerScreen("Kube context", choices, bridge.context), done)


def open_namespace_picker(app: Any) -> None:
    """List namespaces (in a thread) and switch to the one picked, or to all namespaces."""
    bridge = app.services.get("kube")
    if bridge is None or bridge.api_client is None:
        app.notify("Not connected to a cluster.", severity="warning")
        return

    def fetch() -> None:
        from gotui.sources.kube_source import list_namespaces

        try:
            names = list_namespaces(bridge.api_client)
            error = ""
        except Exception as exc:  # noqa: BLE001
            names, error = [], describe_error(exc, what="cannot list namespaces")
        app.call_from_thread(show, names, error)

    def show(names: list[str], error: str) -> None:
        if error:
            app.notify(error + " — showing the current one only.", severity="warning")
        choices = [(ALL_NAMESPACES, "* all namespaces")] + [(n, safe_text(n)) for n in names]
        if bridge.namespace and bridge.namespace not in names:
            choices.append((bridge.namespace, safe_text(bridge.namespace)))
        current = ALL_NAMESPACES if bridge.namespace is None else bridge.namespace

        def done(value: str | None) -> None:
            if value is None:
                return
            bridge.switch(bridge.context, None if value == ALL_NAMESPACES else value)

        app.push_screen(PickerScreen("Namespace", choices, current), done)

    app.run_worker(fetch, thread=True, exit_on_error=False, group="kube-ns-list")
