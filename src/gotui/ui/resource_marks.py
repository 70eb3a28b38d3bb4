"""Marks in the generic resource view: `Space` marks the row under the cursor (a marker column shows
them), `Esc` clears them; with rows marked, ctrl+d deletes and `R` restarts (workloads) ALL of them
after ONE dialog that lists them, through the app's action gate (read-only, RBAC, typed name in
protected contexts); each object gets its own audit line, and the marks are cleared afterwards."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from gotui.ui.marks import Marks, perform_each

if TYPE_CHECKING:
    from gotui.kube.resources import RowKey
    from gotui.ui.resource_view import ResourceView


class ResourceMarks:
    """The marks of one ResourceView and the actions on them."""

    def __init__(self, view: ResourceView) -> None:
        self.view = view
        self.marks = Marks()

    def toggle(self) -> None:
        view = self.view
        key = view.table.cursor_key
        if not isinstance(key, tuple):
            return
        had = bool(self.marks)
        self.marks.toggle(key)
        if had != bool(self.marks):  # the marker column comes or goes
            view.table.set_columns(view._table_columns())  # noqa: SLF001
        else:
            view.table.invalidate([key])
        view.table.action_cursor(1)
        view._update_status()  # noqa: SLF001

    def clear(self) -> bool:
        if not self.marks.clear():
            return False
        self.view.table.set_columns(self.view._table_columns())  # noqa: SLF001
        self.view._update_status()  # noqa: SLF001
        return True

    def targets(self) -> list[RowKey]:
        """The marked rows that still exist, in the table's order."""
        self.marks.keep(self.view.rows)
        return self.marks.ordered(self.view.shown)

    def delete(self) -> bool:
        """Delete every marked object (False when nothing is marked)."""
        from gotui.kube.resources import delete_action, delete_object

        view, targets = self.view, self.targets()
        kind, bridge = view.kind, view.bridge
        if not targets or kind is None or bridge is None or bridge.api_client is None:
            return False
        client, settings, ctx = bridge.api_client, view.gotui_app.settings, bridge.context
        steps: list[tuple[Any, Callable[[], Any]]] = []
        for ns, name in targets:
            act = delete_action(kind, ns or None, name, ctx)
            steps.append((act, partial(delete_object, client, kind, act, settings)))
        perform_each(view.gotui_app, "delete", kind.kind.lower() or kind.resource, kind.resource, kind.group, targets,
                     steps, f"delete {kind.group_resource}", "deleted", self.clear)
        return True

    def restart(self) -> bool:
        """`rollout restart` every marked workload (False when nothing is marked)."""
        from gotui.ops import rollout, workload
        from gotui.ops.kube_io import KubeIO

        view, targets = self.view, self.targets()
        kind, bridge = view.kind, view.bridge
        if not targets or kind is None or bridge is None or bridge.api_client is None:
            return False
        io, settings, ctx, resource = KubeIO(bridge.api_client), view.gotui_app.settings, bridge.context, kind.resource
        steps: list[tuple[Any, Callable[[], Any]]] = []
        for ns, name in targets:
            if resource == "deployments":
                steps.append((rollout.restart_action(ns, name, ctx), partial(rollout.restart, io, settings, ns, name, ctx)))
            else:
                steps.append((workload.restart_action(resource, ns, name, ctx),
                              partial(workload.restart, io, settings, resource, ns, name, ctx)))
        singular = workload.SINGULAR.get(resource, resource)
        perform_each(view.gotui_app, "restart", singular, resource, kind.group, targets, steps, "rollout restart",
                     "restarted", self.clear, lambda n: f"{singular}/{n}")
        return True

