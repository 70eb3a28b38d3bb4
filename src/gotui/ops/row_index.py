"""SortedIndex: row keys kept in sort order under single-row changes (bisect, never a re-sort).

A pane with 150,000 rows cannot sort them again for every watch event. The index holds the keys in
ascending order of a total sort key (the key's own fields break ties, so no two rows compare equal)
beside a parallel list of those sort keys; adding, removing or moving one row is a bisect and one list
insert/delete. `view(reverse)` is what a table shows: the key list itself, or a reversed view of it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, overload

Key = Hashable


class SortedIndex:
    """Keys in ascending `sort_key(row)` order; rows are looked up by the caller."""

    def __init__(self, sort_key: Callable[[Any], Any], rows: Iterable[Any] = (),
                 key: Callable[[Any], Key] = lambda r: r.key, tag: Callable[[Any], Any] = lambda r: None) -> None:
        self.sort_key = sort_key
        self.key_of = key
        self.tag_of = tag
        triples = sorted((sort_key(r), key(r), tag(r)) for r in rows)
        self.sort_keys: list[Any] = [t[0] for t in triples]
        self.keys: list[Key] = [t[1] for t in triples]
        self.tags: list[Any] = [t[2] for t in triples]  # a value per row kept beside its key (filters scan it)

    def __len__(self) -> int:
        return len(self.keys)

    def _find(self, sk: Any) -> int:
        i = bisect_left(self.sort_keys, sk)
        return i if i < len(self.sort_keys) and self.sort_keys[i] == sk else -1

    def add(self, row: Any) -> None:
        sk = self.sort_key(row)
        i = bisect_left(self.sort_keys, sk)
        self.sort_keys.insert(i, sk)
        self.keys.insert(i, self.key_of(row))
        self.tags.insert(i, self.tag_of(row))

    def remove(self, row: Any) -> bool:
        """Remove `row` (found by its sort key as it was added); False when it is not there."""
        i = self._find(self.sort_key(row))
        if i < 0:
            return False
        del self.sort_keys[i]
        del self.keys[i]
        del self.tags[i]
        return True

    def update(self, old: Any, new: Any) -> bool:
        """`old` became `new`; True when its position moved."""
        sk = self.sort_key(old)
        if sk == self.sort_key(new):
            i = self._find(sk)
            if i >= 0:
                self.tags[i] = self.tag_of(new)
            return False
        self.remove(old)
        self.add(new)
        return True

    def view(self, reverse: bool = False) -> Sequence[Key]:
        return ReversedView(self.keys) if reverse else self.keys


class ReversedView(Sequence[Key]):
    """A list read back to front without copying it (`index` included)."""

    def __init__(self, items: list[Key]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> Key: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Key]: ...
    def __getitem__(self, i: int | slice) -> Key | Sequence[Key]:
        if isinstance(i, slice):
            return self._items[::-1][i]
        n = len(self._items)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self._items[n - 1 - i]

    def __iter__(self) -> Iterator[Key]:
        return reversed(self._items)

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """Position of `value` in the view (keys are unique)."""
        i = len(self._items) - 1 - self._items.index(value)
        if i < start or (stop is not None and i >= stop):
            raise ValueError(value)
        return i
