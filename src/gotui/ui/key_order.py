"""Keys typed ahead are handled one after the other, each where the previous one left the focus.

Textual routes a key when the app reads it (priority bindings at once, then to the widget focused at
that moment) but runs the ordinary bindings when the key has bubbled back up to the app. Over SSH one
read holds several keys, so `ctrl+d n` forwarded both keys to the table before `ctrl+d` opened its
dialog: `n` then opened the namespace picker instead of answering the dialog, and a priority `tab`
switched panes before the dialog existed. `KeyOrder` holds each key until the previous one has been
handled: it came back up to the app (whose bindings then ran), or, when a widget kept it (an Input
typing a letter), the `KeyFence` posted right behind it came up instead. So a dialog opened by one key
receives the next.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.message import Message
from textual.timer import Timer

FENCE_TIMEOUT_S = 1.0  # a fence whose widget vanished mid-way never arrives: go on after this


class KeyFence(Message, bubble=True):
    """Posted to a key's target right behind it; reaching the app means the key has been handled."""


class KeyOrder:
    """The app's queue of keys read but not yet dispatched."""

    def __init__(self) -> None:
        self.waiting: deque[events.Key] = deque()
        self.current: events.Key | None = None  # the key in flight
        self.fence: KeyFence | None = None
        self._timer: Timer | None = None
        self.timeouts = 0  # fences that never arrived (their widget went away mid-way)

    async def key(self, event: events.Key, dispatch: Callable[[events.Key], Awaitable[None]],
                  post_fence: Callable[[KeyFence], Timer | None]) -> None:
        """Dispatch `event` now, or after the keys before it have been handled."""
        self.waiting.append(event)
        if self.fence is None:
            await self._drain(dispatch, post_fence)

    async def handled(self, event: events.Key, dispatch: Callable[[events.Key], Awaitable[None]],
                      post_fence: Callable[[KeyFence], Timer | None]) -> None:
        """`event` came back up to the app and its bindings ran: dispatch the next waiting key."""
        if event is self.current and self.fence is not None:
            await self.fenced(self.fence, dispatch, post_fence)

    async def fenced(self, fence: KeyFence, dispatch: Callable[[events.Key], Awaitable[None]],
                     post_fence: Callable[[KeyFence], Timer | None], *, timed_out: bool = False) -> None:
        """`fence` reached the app (or timed out): dispatch the next waiting key."""
        if fence is not self.fence:
            return
        self.timeouts += timed_out
        self.fence = None
        self.current = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        await self._drain(dispatch, post_fence)

    async def _drain(self, dispatch: Callable[[events.Key], Awaitable[None]],
                     post_fence: Callable[[KeyFence], Timer | None]) -> None:
        if self.waiting and self.fence is None:
            event = self.waiting.popleft()
            fence = self.fence = KeyFence()
            self.current = event
            await dispatch(event)
            if self.fence is fence:  # still in flight (a priority binding handled it at once, or not)
                self._timer = post_fence(fence)
