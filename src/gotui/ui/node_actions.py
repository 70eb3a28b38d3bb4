"""Cordon / uncordon / drain on the `:no` (nodes) view, each behind the app's action gate. The drain
dialog lists the pods that will go (read inside the open dialog)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gotui.ops.actions import Action

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp


def node_action(app: GotuiApp, verb: str) -> None:
    """`verb` (cordon, uncordon, drain) on the node under the cursor of the resource view."""
    from gotui.ops import nodes
    from gotui.ui.resource_view import ResourceView

    view = next(iter(app.query(ResourceView)), None)
    if view is None or view.kind is None or view.kind.resource != "nodes" or not view.display:
        app.notify("Cordon, uncordon and drain act on nodes (:no).", severity="warning", timeout=3)
        return
    key = view.table.cursor_key
    bridge = app.services.get("kube")
    if not isinstance(key, tuple) or not key[1] or bridge is None or bridge.api_client is None:
        app.notify("No node selected.", severity="warning", timeout=3)
        return
    node, client, settings, context = str(key[1]), bridge.api_client, app.settings, bridge.context
    if verb == "drain":
        # the dialog lists the pods (read in its thread); what was confirmed is what runs
        prepared = [nodes.drain_action(node, context)]

        def prepare() -> Action:
            prepared[0] = nodes.plan_drain(client, node, context)
            return prepared[0]

        app.gate.perform(prepared[0], lambda: nodes.drain(client, prepared[0], settings), prepare=prepare,
                    audit_fields=lambda result, error: None if error else {"message": str(result)})
        return
    act = nodes.cordon_action(node, context, cordon=(verb == "cordon"))
    app.gate.perform(act, lambda: nodes.set_unschedulable(client, act, settings))
