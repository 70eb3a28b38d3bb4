"""Pilot tests of the k9s `:` command line and the generic resource view, against the sandbox, at 80x24,
with keys sent in bursts (as they arrive over SSH)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ui.app import GotuiApp
from gotui.ui.command_bar import CommandBar
from gotui.ui.confirm import ConfirmModal
from gotui.ui.resource_view import ResourceView

pytestmark = pytest.mark.sandbox


def view_of(app: GotuiApp) -> ResourceView:
    return app.query_one(ResourceView)


def current(app: GotuiApp) -> str | None:
    return app.query_one("#switcher").current


def names(view: ResourceView) -> list[str]:
    return [k[1] for k in view.shown]


async def connected(pilot, app) -> None:  # noqa: ANN001
    await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                what="kube connected")


async def test_colon_deploy_burst_opens_deployments(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pods = app.pane("pods")
        await until(pilot, lambda: len(pods.rows) >= 7, what="pods listed")
        pods.table.focus()
        await pilot.pause()
        before = len(app.screen_stack)
        await pilot.press(":", "d", "e", "p", "l", "o", "y", "enter")
        view = view_of(app)
        await until(pilot, lambda: current(app) == view.id and view.rows, what="deployments listed")
        # nothing else happened: no describe/YAML screen, the pods filter untouched, the bar closed
        assert len(app.screen_stack) == before
        assert pods.filter_text == ""
        assert not app.query_one(CommandBar).active
        assert view.kind is not None and view.kind.group_resource == "deployments.apps"
        listed = {d.metadata.name for d in client.AppsV1Api(sb.api_client).list_namespaced_deployment("shop").items}
        await until(pilot, lambda: set(names(view)) == listed, what="the sandbox's deployments")
        assert [c.label for c in view.table.columns][:4] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE"]
        assert app.focused is view.table


async def test_history_back_forward_toggle_and_errors(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot, app)
        await pilot.press("2")
        pods_id = app.pane("pods").id
        view = view_of(app)
        await pilot.press(":", "s", "v", "c", "enter", "[")
        # `[` right after Enter, in the same burst: back on the Pods pane
        await until(pilot, lambda: current(app) == pods_id and app.navigator.current == "pane:pods", what="back to pods")
        await pilot.press("]")
        await until(pilot, lambda: current(app) == view.id and view.rows, what="forward to services")
        assert view.kind.group_resource == "services" and "go-api" in names(view)
        # `-` toggles between the last two views
        await pilot.press("-")
        assert current(app) == pods_id
        await pilot.press("-")
        assert current(app) == view.id and view.kind.group_resource == "services"
        # `:po` and `:hpa` go to the panes; Esc on the generic view goes back
        await pilot.press(":", "c", "m", "enter")
        await until(pilot, lambda: view.kind.group_resource == "configmaps" and view.rows, what="configmaps")
        await pilot.press("escape")
        await until(pilot, lambda: view.kind.group_resource == "services" and current(app) == view.id, what="esc back")
        await pilot.press(":", "h", "p", "a", "enter")
        assert current(app) == app.pane("hpa").id
        await pilot.press(":", "p", "o", "enter")
        assert current(app) == pods_id
        # an unknown name: a one-line error, the view stays, the bar closes
        app.clear_notifications()
        await pilot.press(":", "n", "o", "s", "u", "c", "h", "enter")
        await until(pilot, lambda: any("unknown resource" in n.message for n in app._notifications), what="error")
        assert current(app) == pods_id and not app.query_one(CommandBar).active
        assert app.pane("pods").filter_text == ""


async def test_completion_recall_namespace_and_quit(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot, app)
        view = view_of(app)
        bar = app.query_one(CommandBar)
        await pilot.press(":")
        await until(pilot, lambda: app.navigator.registry is not None, what="discovery")
        # Tab completes the alias shown as the suggestion
        await pilot.press("e", "n", "d", "p", "o", "i", "n", "t", "s", "l")
        assert bar.suggestion().startswith("endpointslice")
        await pilot.press("tab", "enter")
        await until(pilot, lambda: view.kind is not None and view.kind.resource == "endpointslices" and view.rows,
                    what="endpointslices")
        # Up recalls the last command
        await pilot.press(":", "up")
        assert bar.value.startswith("endpointslice")
        await pilot.press("escape")
        assert not bar.active
        # :ns NAME switches the namespace (kube-system has no deployments; shop has)
        await pilot.press(":", "d", "p", "enter")
        await until(pilot, lambda: len(view.rows) >= 3, what="deployments in shop")
        await pilot.press(":", "n", "s", "space", "k", "u", "b", "e", "-", "s", "y", "s", "t", "e", "m", "enter")
        await until(pilot, lambda: app.services["kube"].namespace == "kube-system" and view.watcher is not None
                    and view.watcher.namespace == "kube-system" and view.watcher.listed_at, what="ns switched")
        assert app.status_bar.namespace == "kube-system"
        assert not any(k[0] == "shop" for k in view.rows)
        await pilot.press(":", "n", "s", "space", "a", "l", "l", "enter")
        await until(pilot, lambda: view.all_namespaces and any(k[0] == "shop" for k in view.rows), what="all ns")
        assert view.table.columns[0].label == "NAMESPACE"
        # :q quits through the app's quit
        await pilot.press(":", "q", "enter")
        await until(pilot, lambda: app._exit or not app.is_running, what="quit")


async def test_delete_configmap_through_the_gate(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    core.create_namespaced_config_map("shop", {"metadata": {"name": "aaa-doomed"}, "data": {"k": "v"}})
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot, app)
        view = view_of(app)
        await pilot.press(":", "c", "m", "enter")
        await until(pilot, lambda: ("shop", "aaa-doomed") in view.rows, what="configmap listed")
        await pilot.press("slash", *"doomed", "enter")
        await until(pilot, lambda: view.shown == [("shop", "aaa-doomed")], what="filtered")
        await pilot.press("ctrl+d", "n")
        await pilot.pause(0.3)
        assert core.read_namespaced_config_map("aaa-doomed", "shop").data == {"k": "v"}
        await pilot.press("ctrl+d")
        await until(pilot, lambda: modal_ready(app), what="modal")
        assert "delete configmaps aaa-doomed" in app.screen.action.preview
        await pilot.press("y")
        await until(pilot, lambda: ("shop", "aaa-doomed") not in view.rows, what="row gone (watch)")
        with pytest.raises(client.ApiException) as err:
            core.read_namespaced_config_map("aaa-doomed", "shop")
        assert err.value.status == 404
        assert "delete configmap" in (tmp_path / "audit.jsonl").read_text()


async def test_describe_and_yaml_mask_secrets(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    core.create_namespaced_secret("shop", {"metadata": {"name": "aaa-db"}, "stringData": {"password": "hunter2-[b]x[/b]"}})
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot, app)
        view = view_of(app)
        await pilot.press(":", "s", "e", "c", "enter")
        await until(pilot, lambda: ("shop", "aaa-db") in view.rows, what="secret listed")
        view.table.move_to(("shop", "aaa-db"))
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "ResourceDescribeScreen", what="describe")
        body = app.screen.body_text()
        assert "Secret aaa-db" in body and "hunter2" not in body and "Events" in body
        await pilot.press("q", "y")
        await until(pilot, lambda: type(app.screen).__name__ == "YamlScreen", what="yaml")
        text = "\n".join(str(w.render()) for w in app.screen.query("#yaml-body"))
        assert "hunter2" not in text and "masked" in text
        await pilot.press("x")
        text = "\n".join(str(w.render()) for w in app.screen.query("#yaml-body"))
        assert "hunter2-[b]x[/b]" in text  # revealed on request, and inert (no markup)
        await pilot.press("x")
        text = "\n".join(str(w.render()) for w in app.screen.query("#yaml-body"))
        assert "hunter2" not in text


async def test_describe_deployment_shows_its_events(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot, app)
        view = view_of(app)
        await pilot.press(":", "d", "e", "p", "l", "o", "y", "enter")
        await until(pilot, lambda: ("shop", "go-api-blue") in view.rows, what="listed")
        view.table.move_to(("shop", "go-api-blue"))
        await pilot.press("d")
        await until(pilot, lambda: type(app.screen).__name__ == "ResourceDescribeScreen", what="describe")
        body = app.screen.body_text()
        assert "Deployment go-api-blue" in body and "ScalingReplicaSet" in body and "replicas" in body


class SlowStartProxy:
    """A loopback TCP proxy to the sandbox that holds every connection opened in its first `hold`
    seconds until then: the app's first connection is still pending while the keys are typed."""

    def __init__(self, port: int, hold: float) -> None:
        self.target = port
        self.until = time.monotonic() + hold
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        time.sleep(max(0.0, self.until - time.monotonic()))
        up = socket.create_connection(("127.0.0.1", self.target))

        def pump(a: socket.socket, b: socket.socket) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(up, conn), daemon=True).start()
        pump(conn, up)

    def close(self) -> None:
        self.sock.close()


async def test_command_typed_before_the_cluster_answers_runs_when_it_does(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    proxy = SlowStartProxy(sb.port, hold=8.0)  # long enough that the keys land first on a loaded machine
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(sb.kubeconfig.read_text().replace(f":{sb.port}", f":{proxy.port}"))
    settings = make_settings(sb, tmp_path)
    settings.kubeconfig = str(kubeconfig)
    app = GotuiApp(settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.services.get("kube") is not None, what="kube starting")
            await pilot.press(":", "e", "v", "enter")  # the connection is held: not up yet
            assert app.services["kube"].api_client is None
            view = view_of(app)
            await until(pilot, lambda: current(app) == view.id and view.kind is not None and view.rows, what="events")
            assert view.kind.group_resource == "events"
            assert [c.label for c in view.table.columns][:4] == ["LAST SEEN", "TYPE", "REASON", "OBJECT"]
            assert not any("not connected" in n.message for n in app._notifications)
    finally:
        proxy.close()


async def test_colon_minus_brackets_type_into_a_filter(fresh_sandbox, tmp_path):
    """`:` `-` `[` `]` are navigation keys, except while a text input has the focus."""
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pods = app.pane("pods")
        await until(pilot, lambda: len(pods.rows) >= 7, what="pods listed")
        await pilot.press("slash")
        await pilot.press(*"status:crash [x]-y")
        assert pods.filter_text == "status:crash [x]-y"
        assert current(app) == pods.id and not app.query_one(CommandBar).active


async def test_ctx_command(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot, app)
        bridge = app.services["kube"]
        await pilot.press(":", *"ctx nosuch", "enter")
        await until(pilot, lambda: any("no context 'nosuch'" in n.message for n in app._notifications), what="error")
        assert bridge.context == "gotui-sandbox"
        await pilot.press(":", "c", "t", "x", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "PickerScreen", what="context picker")
        assert "gotui-sandbox" in "\n".join(str(o.prompt) for o in app.screen.option_list._options)


async def test_delete_denied_by_rbac_is_refused(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    sb.set_policy([{"verb": "delete", "resource": "configmaps", "namespace": "shop"}])
    core = client.CoreV1Api(sb.api_client)
    core.create_namespaced_config_map("shop", {"metadata": {"name": "aaa-kept"}, "data": {"k": "v"}})
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot, app)
        view = view_of(app)
        await pilot.press(":", "c", "m", "enter")
        await until(pilot, lambda: view.table.cursor_key == ("shop", "aaa-kept"), what="listed, first row")
        await pilot.press("ctrl+d", "y")
        # The gate's dialog opens at once and turns into the refusal when RBAC answers: the `y` runs nothing.
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal) and bool(app.screen.denied_reason),
                    what="the dialog turned into the refusal")
        assert app.screen.query_one("#confirm-ok").disabled
        await pilot.press("y", "n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="the refusal closed")
        assert core.read_namespaced_config_map("aaa-kept", "shop").data == {"k": "v"}
        assert "refused" in (tmp_path / "audit.jsonl").read_text()
