"""`e` edit (ui/object_edit.py) against the sandbox, with a real editor: tests/fixtures/fake_editor.py set
as $KUBE_EDITOR rewrites the file and exits, as any editor does. At 80x24, keys in bursts: the diff in
the dialog, `n` sends nothing and keeps the edit, `e` `y` reopens it and `y` applies it (audited with
before/after resourceVersion); a change on the server meanwhile is a 409 and the edit stays kept;
an unchanged file sends nothing; invalid YAML or a renamed object is kept with the error on top;
the Pods pane edits a pod; an edit the server refuses (422) is kept behind its answer. The same edit through the real `kubectl edit` gives the same object."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ops import kube_edit as ke
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.object_edit import ReopenKept
from gotui.ui.panes.pods import PodsPane
from gotui.ui.resource_view import ResourceView

pytestmark = pytest.mark.sandbox

EDITOR = Path(__file__).resolve().parent.parent / "fixtures" / "fake_editor.py"


def editor(*args: str) -> str:
    return shlex.join([sys.executable, str(EDITOR), *args])


def audit(tmp_path: Path, verb: str = "edit") -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [a for a in lines if str(a.get("action", "")).split()[0] == verb]


def notes(app: GotuiApp) -> str:
    return "\n".join(n.message for n in app._notifications)


def make_cm(core: client.CoreV1Api, name: str, data: dict[str, str]) -> Any:
    try:
        core.delete_namespaced_config_map(name, "shop")
    except client.ApiException:
        pass
    return core.create_namespaced_config_map("shop", {"metadata": {"name": name, "labels": {"app": "edit-test"}},
                                                      "data": data})


async def open_cm(pilot: Any, app: GotuiApp, name: str) -> ResourceView:
    await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                what="kube connected")
    view = app.query_one(ResourceView)
    await pilot.press(":", *"cm", "enter")
    await until(pilot, lambda: ("shop", name) in view.rows, what=f"{name} listed")
    view.table.move_to(("shop", name))
    await until(pilot, lambda: view.table.cursor_key == ("shop", name), what=f"{name} selected")
    return view


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("EDITOR", raising=False)
    return tmp_path


async def test_diff_cancel_reopen_apply_then_conflict(sandbox, state, monkeypatch):
    core = client.CoreV1Api(sandbox.api_client)
    made = make_cm(core, "edit-a", {"color": "red", "size": "10"})
    rv0 = made.metadata.resource_version
    monkeypatch.setenv("KUBE_EDITOR", editor("--replace", "color: red", "color: blue"))
    app = GotuiApp(make_settings(sandbox, state))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_cm(pilot, app, "edit-a")
        await pilot.press("e")
        modal = await until(pilot, lambda: modal_ready(app), what="dialog")
        diff = str(modal.query_one("#confirm-diff").render())
        assert "-  color: red" in diff and "+  color: blue" in diff and "size" not in diff.split("@@")[-1].split("color")[0]
        assert modal.action.verb == "edit" and modal.action.rbac == ("update", "configmaps", "")
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="cancelled")
        kept = ke.kept_path("gotui-sandbox", "configmaps", "shop", "edit-a")
        await until(pilot, lambda: "kept in" in notes(app), what="kept note")
        assert kept.exists() and "color: blue" in kept.read_text() and oct(kept.stat().st_mode & 0o777) == "0o600"
        assert core.read_namespaced_config_map("edit-a", "shop").metadata.resource_version == rv0
        assert [a["outcome"] for a in audit(state)] == ["cancelled"]
        # `e` again offers the kept edit; `y` reopens it, the dialog shows the same diff, `y` applies
        await pilot.press("e", "y")
        modal = await until(pilot, lambda: modal_ready(app), what="dialog again")
        assert "+  color: blue" in str(modal.query_one("#confirm-diff").render())
        await pilot.press("y")
        await until(pilot, lambda: any(a["outcome"] == "ok" for a in audit(state)), what="applied")
        cm = core.read_namespaced_config_map("edit-a", "shop")
        assert cm.data == {"color": "blue", "size": "10"}
        ok = [a for a in audit(state) if a["outcome"] == "ok"][0]
        assert ok["before"] == {"resourceVersion": rv0}
        assert ok["after"] == {"resourceVersion": cm.metadata.resource_version} != ok["before"]
        assert [a["outcome"] for a in audit(state)] == ["cancelled", "started", "ok"]
        await until(pilot, lambda: not kept.exists(), what="kept file removed")
        # a change on the server between the read and the PUT: 409, the message, the edit kept
        monkeypatch.setenv("KUBE_EDITOR", editor("--replace", "color: blue", "color: pink"))
        await pilot.press("e")
        await until(pilot, lambda: modal_ready(app), what="dialog (conflict)")
        core.patch_namespaced_config_map("edit-a", "shop", {"data": {"color": "green"}})  # someone else
        await pilot.press("y")
        await until(pilot, lambda: any(a["outcome"] == "conflict" for a in audit(state)), what="conflict audited")
        await until(pilot, lambda: "changed on the server since you opened it" in notes(app), what="message")
        assert str(kept) in notes(app) and "color: pink" in kept.read_text()
        assert core.read_namespaced_config_map("edit-a", "shop").data == {"color": "green", "size": "10"}
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ReopenKept), what="offer to reopen")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReopenKept), what="closed")
        assert kept.exists()


async def test_unchanged_invalid_renamed_denied_readonly_send_nothing(sandbox, state, monkeypatch):
    core = client.CoreV1Api(sandbox.api_client)
    rv0 = make_cm(core, "edit-c", {"color": "red"}).metadata.resource_version
    kept = ke.kept_path("gotui-sandbox", "configmaps", "shop", "edit-c")
    monkeypatch.setenv("KUBE_EDITOR", editor())  # closed without saving
    app = GotuiApp(make_settings(sandbox, state))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_cm(pilot, app, "edit-c")
        await pilot.press("e")
        await until(pilot, lambda: "edit cancelled, no changes" in notes(app), what="unchanged")
        monkeypatch.setenv("KUBE_EDITOR", editor("--write", "data: [unclosed\n"))
        await pilot.press("e")
        await until(pilot, lambda: "not valid YAML" in notes(app), what="invalid")
        text = kept.read_text()
        assert str(kept) in notes(app) and text.startswith("# Please edit") and "# the edited file is not valid YAML" in text
        assert "data: [unclosed" in text
        # reopened: the error block is replaced; a renamed object is refused and kept too
        monkeypatch.setenv("KUBE_EDITOR", editor("--write", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                 "  name: other\n  namespace: shop\n"))
        await pilot.press("e", "y")
        await until(pilot, lambda: "metadata.name may not change" in notes(app), what="renamed")
        assert "name: other" in kept.read_text() and "not valid YAML" not in kept.read_text()
        assert not isinstance(app.screen, ConfirmModal)
        # RBAC denies update: the dialog says so and sends nothing; the edit stays kept
        monkeypatch.setenv("KUBE_EDITOR", editor("--replace", "color: red", "color: blue"))
        sandbox.set_policy([{"verb": "update", "resource": "configmaps", "namespace": "shop"}])
        try:
            await pilot.press("e", "n")  # `n`: drop the kept (renamed) edit, edit the server's version
            await until(pilot, lambda: (m := modal_ready(app)) is not None and m.denied_reason, what="denied")
            await pilot.press("n")
            await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="closed")
        finally:
            sandbox.set_policy([])
        assert "color: blue" in kept.read_text()
        # read-only: `e` does nothing at all (not even the offer to reopen)
        app.settings.readonly = True
        await pilot.press("e")
        assert not isinstance(app.screen, (ReopenKept, ConfirmModal))
    assert core.read_namespaced_config_map("edit-c", "shop").metadata.resource_version == rv0
    assert [a["outcome"] for a in audit(state)] == ["refused"]


async def test_pods_pane_edit_then_a_refused_deployment_edit(sandbox, state, monkeypatch):
    core = client.CoreV1Api(sandbox.api_client)
    pod = core.list_namespaced_pod("shop").items[0]
    name = pod.metadata.name
    monkeypatch.setenv("KUBE_EDITOR", editor("--replace", "labels:\n", "labels:\n    edited: by-gotui\n"))
    app = GotuiApp(make_settings(sandbox, state))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(PodsPane)
        await pilot.press("2")
        await until(pilot, lambda: ("shop", name) in pane.rows, what="pod listed")
        pane.table.move_to(("shop", name))
        await until(pilot, lambda: pane.table.cursor_key == ("shop", name), what="pod selected")
        await pilot.press("e")
        modal = await until(pilot, lambda: modal_ready(app), what="dialog")
        assert "+    edited: by-gotui" in str(modal.query_one("#confirm-diff").render())
        await pilot.press("y")
        await until(pilot, lambda: any(a["outcome"] == "ok" for a in audit(state)), what="applied")
        assert core.read_namespaced_pod(name, "shop").metadata.labels["edited"] == "by-gotui"
        # the server refuses the edit (422 invalid): nothing changes, the edit is kept behind its answer
        monkeypatch.setenv("KUBE_EDITOR", editor("--sub", r"^  replicas: \d+$", "  replicas: -1"))
        view = app.query_one(ResourceView)
        await pilot.press(":", *"deploy", "enter")
        await until(pilot, lambda: ("shop", "worker") in view.rows, what="worker listed")
        view.table.move_to(("shop", "worker"))
        await until(pilot, lambda: view.table.cursor_key == ("shop", "worker"), what="worker selected")
        replicas = client.AppsV1Api(sandbox.api_client).read_namespaced_deployment("worker", "shop").spec.replicas
        await pilot.press("e")
        modal = await until(pilot, lambda: modal_ready(app), what="dialog (deployment)")
        assert "+  replicas: -1" in str(modal.query_one("#confirm-diff").render())
        await pilot.press("y")
        kept = ke.kept_path("gotui-sandbox", "deployments.apps", "shop", "worker")
        await until(pilot, lambda: "with the server's answer on top" in notes(app), what="refusal kept")
        text = kept.read_text()
        assert "# The server refused it:" in text and "must be greater than or equal to 0" in text
        assert "replicas: -1" in text
        assert client.AppsV1Api(sandbox.api_client).read_namespaced_deployment("worker", "shop").spec.replicas == replicas
        assert [a["outcome"] for a in audit(state)][-1].startswith("error:")


async def test_an_unknown_field_is_refused_not_dropped(sandbox, state, monkeypatch):
    """A typo'd field (`dta:` for `data:`) is refused with the server's answer and the edit kept, as
    `kubectl edit` does (fieldValidation=Strict): under the API server's default the PUT succeeded
    and the field was silently dropped, so gotui said "edited" for a change that was not made."""
    core = client.CoreV1Api(sandbox.api_client)
    before = make_cm(core, "edit-typo", {"color": "red"})
    monkeypatch.setenv("KUBE_EDITOR", editor("--replace", "data:\n", "dta:\n  size: big\ndata:\n"))
    app = GotuiApp(make_settings(sandbox, state))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_cm(pilot, app, "edit-typo")
        await pilot.press("e")
        modal = await until(pilot, lambda: modal_ready(app), what="dialog")
        assert "+dta:" in str(modal.query_one("#confirm-diff").render())
        await pilot.press("y")
        await until(pilot, lambda: "with the server's answer on top" in notes(app), what="refusal kept")
        text = ke.kept_path("gotui-sandbox", "configmaps", "shop", "edit-typo").read_text()
        assert 'strict decoding error: unknown field "dta"' in text and "size: big" in text
    after = core.read_namespaced_config_map("edit-typo", "shop")
    assert after.metadata.resource_version == before.metadata.resource_version  # nothing was written
    assert [a["outcome"] for a in audit(state)][-1].startswith("error:")


def test_same_result_as_kubectl_edit(sandbox, state):
    """The same editor on two equal ConfigMaps: `kubectl edit` on one, gotui's edit path on the other."""
    from gotui.kube.kinds import Kind
    from gotui.kube.resources import edit_action, get_object, replace_object
    from gotui.ui.object_edit import POD_KIND  # noqa: F401 - the module the UI uses imports cleanly

    core = client.CoreV1Api(sandbox.api_client)
    data = {"color": "red", "multi": "a\nb\n"}
    for name in ("edit-k1", "edit-k2"):
        make_cm(core, name, data)
    ed = editor("--replace", "color: red", "color: blue")
    env = {**os.environ, "KUBE_EDITOR": ed}
    # kubectl's default validation (strict): the sandbox serves OpenAPI v3 and validates fields itself
    run = subprocess.run(["kubectl", "--kubeconfig", str(sandbox.kubeconfig), "--context", "gotui-sandbox", "-n", "shop",
                          "edit", "cm/edit-k1"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "edited" in run.stdout

    cm_kind = Kind("", "v1", "configmaps", "ConfigMap", True, verbs=("get", "update"))
    obj = get_object(sandbox.api_client, cm_kind, "shop", "edit-k2")
    path = ke.temp_file(ke.edit_text(obj), "edit-k2")
    assert ke.run_editor(path, {"KUBE_EDITOR": ed}) == 0
    result = ke.check_edit(obj, path.read_text())
    path.unlink()
    assert result.state == "changed" and result.obj is not None
    action = edit_action(cm_kind, "shop", "edit-k2", "gotui-sandbox", [], obj["metadata"]["resourceVersion"])
    replace_object(sandbox.api_client, cm_kind, result.obj, action, make_settings(sandbox, state))

    k1 = core.read_namespaced_config_map("edit-k1", "shop")
    k2 = core.read_namespaced_config_map("edit-k2", "shop")
    assert k1.data == k2.data == {"color": "blue", "multi": "a\nb\n"}
    assert k1.metadata.labels == k2.metadata.labels
    assert (k1.metadata.annotations or {}) == (k2.metadata.annotations or {})
    # the sandbox refuses a PUT at a stale resourceVersion (what makes a concurrent change a 409)
    stale = obj["metadata"]["resourceVersion"]
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("edit-k2", "shop", {**result.obj, "metadata": {
            **result.obj["metadata"], "resourceVersion": stale}})
    assert err.value.status == 409
