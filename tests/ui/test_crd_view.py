"""Pilot: a CRD established while gotui runs: `:crd` lists it, `:SHORTNAME` (discovery read again for the
unknown name) and `:PLURAL` open its objects in the generic view with the CRD's printer columns, live.
At 80x24, keys in bursts, against the sandbox's CRD support."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, until
from gotui.ui.app import GotuiApp
from gotui.ui.resource_view import ResourceView

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]


def crd_body(group: str, plural: str, kind: str, short: str) -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": plural, "singular": plural[:-1], "kind": kind, "shortNames": [short]},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}},
                                   "additionalPrinterColumns": [
                                       {"name": "Schedule", "type": "string", "jsonPath": ".spec.schedule"},
                                       {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"}]}]}}


async def test_crd_list_and_custom_kind_view(sandbox, tmp_path):
    suffix = uuid.uuid4().hex[:5]
    ns, group = f"crd-{suffix}", f"v{suffix}.example.com"
    plural, kind, short = f"backups{suffix}", f"Backup{suffix}", f"bk{suffix}"
    core = client.CoreV1Api(sandbox.api_client)
    ext = client.ApiextensionsV1Api(sandbox.api_client)
    custom = client.CustomObjectsApi(sandbox.api_client)
    core.create_namespace({"metadata": {"name": ns}})
    app = GotuiApp(dataclasses.replace(make_settings(sandbox, tmp_path), namespace=ns))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.services.get("kube") is not None
                        and app.services["kube"].api_client is not None, what="kube connected")
            view = app.query_one(ResourceView)
            nav = app.navigator
            await pilot.press(":", *"deploy", "enter")  # discovery is read before the CRD exists
            await until(pilot, lambda: view.kind is not None and view.kind.resource == "deployments", what=":deploy")
            assert nav.registry is not None and nav.registry.lookup(short) is None

            ext.create_custom_resource_definition(crd_body(group, plural, kind, short))
            custom.create_namespaced_custom_object(group, "v1", ns, plural, {
                "apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": "nightly"},
                "spec": {"schedule": "0 3 * * *", "paused": False}})
            await pilot.press(":", *"crd", "enter")
            await until(pilot, lambda: ("", f"{plural}.{group}") in view.rows, what="the CRD listed by :crd")
            assert view.kind.group_resource == "customresourcedefinitions.apiextensions.k8s.io"

            await pilot.press(":", *short, "enter")
            await until(pilot, lambda: view.kind is not None and view.kind.resource == plural, what=f":{short}")
            await until(pilot, lambda: (ns, "nightly") in view.rows, what="the custom object listed")
            assert [c.label for c in view.table.columns] == ["NAME", "SCHEDULE", "PAUSED"]
            assert view.rows[(ns, "nightly")].cells[1:] == ["0 3 * * *", "false"]
            # live: a new object appears through the watch
            custom.create_namespaced_custom_object(group, "v1", ns, plural, {
                "apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": "hourly"},
                "spec": {"schedule": "0 * * * *", "paused": True}})
            await until(pilot, lambda: (ns, "hourly") in view.rows, what="the new object through the watch")
            assert "Backup" in view.query_one("#pane-status").render().plain  # type: ignore[attr-defined]

            await pilot.press(":", *"deploy", "enter", ":", *plural, "enter")
            await until(pilot, lambda: view.kind is not None and view.kind.resource == plural
                        and (ns, "hourly") in view.rows, what=f":{plural}")
    finally:
        ext.delete_custom_resource_definition(f"{plural}.{group}")
