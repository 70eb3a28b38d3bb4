"""Command palette provider: every action of every pane, plus pane switching, help and quit."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp


class ActionsProvider(Provider):
    """Offers `Pane: description` for every binding, and runs it on the right pane."""

    def _commands(self) -> list[tuple[str, Any, str]]:
        app: GotuiApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, Any, str]] = []
        for pane in app.panes:
            out.append((f"Go to {pane.TITLE}", partial(app.action_show_pane, pane.PANE_ID), f"pane {pane.PANE_ID}"))
            for b in pane._bindings.key_to_bindings.values():
                for binding in b:
                    if isinstance(binding, Binding) and binding.description:
                        out.append(
                            (
                                f"{pane.TITLE}: {binding.description}",
                                partial(app.run_pane_action, pane.PANE_ID, binding.action),
                                f"key {binding.key}",
                            )
                        )
        out.append(("Help: list every key", app.action_help, "key ?"))
        out.append(("Audit history", app.action_history, "key H"))
        out.append(("Quit gotui", app.action_quit, "key q"))
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
