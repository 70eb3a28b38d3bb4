"""Command palette provider: every action of every pane, plus pane switching, help and quit, each with
the key that runs it now (the keymap applied, from ui/keys.py)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from gotui.ui import keys

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp


class ActionsProvider(Provider):
    """Offers `Pane: description` for every binding, and runs it on the right pane."""

    def _commands(self) -> list[tuple[str, Any, str]]:
        app: GotuiApp = self.app  # type: ignore[assignment]
        keymap = keys.active_keymap(app)

        def key_help(binding_id: str) -> str:
            return f"key {keys.key_of(binding_id, app)}"

        out: list[tuple[str, Any, str]] = []
        for pane in app.panes:
            out.append((f"Go to {pane.TITLE}", partial(app.action_show_pane, pane.PANE_ID), key_help(f"pane.{pane.PANE_ID}")))
            for binding in keys.bindings_of(type(pane)):
                if binding.description:
                    out.append(
                        (
                            f"{pane.TITLE}: {binding.description}",
                            partial(app.run_pane_action, pane.PANE_ID, binding.action),
                            f"key {keys.format_key(keys.effective_key(binding, keymap))}",
                        )
                    )
        out.append(("Help: list every key", app.action_help, key_help("help")))
        out.append(("Audit history", app.action_history, key_help("history")))
        out.append(("Quit gotui", app.action_quit, key_help("quit")))
        seen: set[str] = set()
        unique = []
        for item in out:
            if item[0] not in seen:
                seen.add(item[0])
                unique.append(item)
        return unique

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
