"""DataTable cells are plain text in gotui, never markup.

Textual's DataTable parses a `str` cell as console markup, so a pod name, an image label or an event
message containing `[/x]` would raise MarkupError (and `[@click=…]` would become a link). gotui shows
only sanitized plain strings or deliberately styled `rich.text.Text` in its tables, so this module
makes the cell formatter treat every `str` as literal text. Imported once by the app.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import _data_table

_markup_formatter = _data_table.default_cell_formatter


def plain_cell_formatter(obj: object, wrap: bool = True, height: int = 0):  # noqa: ANN201
    """Format a DataTable cell, taking strings literally."""
    if isinstance(obj, str):
        obj = Text(obj, no_wrap=not wrap)
    return _markup_formatter(obj, wrap, height)


def install() -> None:
    """Make every DataTable in this process take string cells literally (idempotent)."""
    _data_table.default_cell_formatter = plain_cell_formatter  # type: ignore[assignment]


install()
