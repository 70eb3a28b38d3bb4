"""A vertical scrollbar that renders again only when its thumb changes (the log view's bar).

While a log is followed, every flush moves the bar's position and virtual size and repaints the rows
around its thumb (the terminal scrolled them); Textual then renders the whole bar again through Rich,
a third of the frame's cost on a slow log, although the thumb is drawn in the same cells (its size
is one cell, at the bottom, once the log is longer than the view squared). `TailScrollBar` keys its
rendered strips on what the drawing depends on (size, style, and the thumb's first and last eighth
cell, computed as Textual's ScrollBarRender does) and keeps them while the key is unchanged.
"""

from __future__ import annotations

from math import ceil
from typing import Any

from textual.scrollbar import ScrollBar, ScrollBarRender


def thumb_span(size: int, virtual_size: int, window_size: int, position: float, eighths: int) -> tuple[int, int]:
    """(start, end) of the thumb in 1/`eighths` cells, as ScrollBarRender.render_bar places it."""
    if not (window_size and size and virtual_size and size != virtual_size):
        return (-1, -1)
    thumb = max(1, window_size / (virtual_size / size))
    denominator = virtual_size - window_size
    ratio = position / denominator if denominator else 0.0
    start = int((size - thumb) * ratio * eighths)
    return start, start + ceil(thumb * eighths)


class TailScrollBar(ScrollBar):
    """A ScrollBar whose strips are reused while the thumb is drawn in the same cells."""

    _tail_key: Any = None

    def _render_content(self) -> None:
        visual = self._render()
        key = None
        renderable = getattr(visual, "_renderable", visual)
        if isinstance(renderable, ScrollBarRender) and self.vertical:
            size = self.size.height
            key = (self.size, renderable.style, renderable.thickness,
                   thumb_span(size, renderable.virtual_size, renderable.window_size, renderable.position,
                              len(renderable.VERTICAL_BARS)))
            if key == self._tail_key and getattr(self, "_render_cache", None) is not None:
                self._dirty_regions.clear()  # the cells are the same: keep the strips
                return
        super()._render_content()
        self._tail_key = key
