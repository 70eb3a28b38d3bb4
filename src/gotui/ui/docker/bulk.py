"""Marks in the Images pane (`Space` marks the row, `Esc` clears) and the actions on all marked rows:
one dialog listing them, one audit line. Marks are row keys, so they survive a refresh while the
row exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gotui.ops import docker_bulk as bulk
from gotui.ops import docker_ops as dops
from gotui.ui import marks

if TYPE_CHECKING:
    from gotui.ui.panes.images import ImagesPane

MARK = marks.MARK + " "


def marked_cells(cells: tuple[str, ...], marked: bool) -> tuple[str, ...]:
    return (MARK + cells[0], *cells[1:]) if marked else cells


def toggle(pane: ImagesPane) -> None:
    """Mark or unmark the highlighted row and move down one."""
    table = pane.table
    if pane.view == "images":
        row = pane.selected_image()
        key = row.key if row else None
    else:
        crow = pane.selected_container()
        key = crow.key if crow else None
    if key is None:
        return
    marks = pane.marks[pane.view]
    marks.symmetric_difference_update({key})
    at = table.cursor_row
    pane.render_tables(details=False)
    table.move_cursor(row=min(at + 1, table.row_count - 1), animate=False)
    pane._status_summary()  # noqa: SLF001


def clear(pane: ImagesPane) -> bool:
    """Clear the current view's marks; False when there were none."""
    marks = pane.marks[pane.view]
    if not marks:
        return False
    marks.clear()
    pane.render_tables(details=False)
    pane._status_summary()  # noqa: SLF001
    return True


def prune_vanished(pane: ImagesPane) -> None:
    """Drop marks of rows the engine no longer has (a refresh keeps every other mark)."""
    pane.marks["images"] &= {r.key for r in dops.image_rows(pane.images, pane.containers)}
    pane.marks["containers"] &= {c.get("Id", "") for c in pane.containers}


def marked_containers(pane: ImagesPane) -> list[dops.ContainerRow]:
    marks = pane.marks["containers"]
    return [r for r in dops.container_rows(pane.containers) if r.key in marks] if pane.view == "containers" else []


def marked_images(pane: ImagesPane) -> list[dops.ImageRow]:
    marks = pane.marks["images"]
    return [r for r in dops.image_rows(pane.images, pane.containers) if r.key in marks] if pane.view == "images" else []


def containers(pane: ImagesPane, verb: str) -> bool:
    """stop / restart / remove every marked container; False when nothing is marked here."""
    rows = marked_containers(pane)
    if not rows or pane.source is None:
        return False
    source = pane.source
    ids = [r.key for r in rows]
    fn = {"stop": source.stop_container, "restart": source.restart_container,
          "remove": lambda i: source.remove_container(i, force=True)}[verb]
    past = {"stop": "stopped", "restart": "restarted", "remove": "removed"}[verb]

    def runner() -> str:
        out = bulk.run_each(ids, fn, past) + " container(s)"
        if verb == "remove":
            pane.app.call_from_thread(pane.marks["containers"].difference_update, ids)
        return out

    pane._perform(bulk.containers_action(verb, rows, source.host), runner)  # noqa: SLF001
    return True


def images(pane: ImagesPane, force: bool) -> bool:
    """Remove every marked image (refused, naming them, when containers use some and not forced)."""
    rows = marked_images(pane)
    if not rows or pane.source is None:
        return False
    source = pane.source
    all_rows = dops.image_rows(pane.images, pane.containers)
    in_use = [r.ref for r in rows if not dops.untag_only(r, all_rows) and dops.image_users(r.image_id, pane.containers)]
    if in_use and not force:
        pane.notify(f"{len(in_use)} marked image(s) are used by containers: {', '.join(in_use[:5])}. "
                    "Unmark them, remove their containers first, or press F to force.",
                    title="Refused: images in use", severity="error", timeout=10)
        return True
    action = bulk.images_action(rows, source.host, force=force)
    targets = list(action.params["images"])
    keys = [r.key for r in rows]

    def runner() -> str:
        out = bulk.run_each(targets, lambda t: source.remove_image(t, force=force), "removed") + " image(s)"
        pane.app.call_from_thread(pane.marks["images"].difference_update, keys)
        return out

    pane._perform(action, runner)  # noqa: SLF001
    return True
