"""The kubeconfig's current context wins at start-up (unless --context / GOTUI_CONTEXT): a context
remembered by the pickers is offered — a notice, and "last used" in the context picker — never used
silently, so the TUI and the headless commands act on the same cluster. Two contexts, one sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fixtures.pilot import until
from gotui.config import Settings, build_settings
from gotui.ui.app import GotuiApp
from gotui.ui.context_picker import LAST_USED, PickerScreen
from gotui.ui.kube_bridge import last_choice_offer, load_choice, save_choice

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def two_contexts(sb, tmp_path: Path) -> Path:  # noqa: ANN001
    """A copy of the sandbox's kubeconfig with a second context `second` (namespace default);
    the current context stays `gotui-sandbox` (namespace shop)."""
    doc = yaml.safe_load(Path(sb.kubeconfig).read_text())
    # only the current context and `second` (a TLS sandbox's kubeconfig names one context per auth method)
    current = next(c for c in doc["contexts"] if c["name"] == doc["current-context"])
    doc["contexts"] = [current, {"name": "second", "context": {**current["context"], "namespace": "default"}}]
    path = tmp_path / "two.kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def settings_for(kubeconfig: Path, tmp_path: Path, **kw) -> Settings:  # noqa: ANN003
    return Settings(audit_log=tmp_path / "audit.jsonl", kubeconfig=str(kubeconfig),
                    docker_host=f"unix://{tmp_path}/no-docker.sock", config_path=tmp_path / "c.yaml", **kw)


def notices(app: GotuiApp) -> list[str]:
    return [n.message for n in app._notifications]


async def connected(pilot, app: GotuiApp):  # noqa: ANN001, ANN201
    return await until(pilot, lambda: (b := app.services.get("kube")) is not None and b.api_client is not None and b,
                       what="connected to the sandbox")


async def test_kubeconfig_current_context_wins_over_the_remembered_one(fresh_sandbox, tmp_path: Path) -> None:
    sb = fresh_sandbox("quiet")
    kubeconfig = two_contexts(sb, tmp_path)
    save_choice("second", "default")  # picked in an earlier session
    app = GotuiApp(settings_for(kubeconfig, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        bridge = await connected(pilot, app)
        assert (bridge.context, bridge.namespace) == ("gotui-sandbox", "shop")  # as `gotui status` would
        # the last pick is offered, with the live key of the context picker
        offer = await until(pilot, lambda: next((m for m in notices(app) if "Last used context: second" in m), None),
                            what="the last-used offer")
        assert "Press c on Pods or HPA" in offer
        # ... and marked in the context picker; picking it switches (and is remembered again)
        await pilot.press("2", "c")
        picker = await until(pilot, lambda: isinstance(app.screen, PickerScreen) and app.screen, what="context picker")
        await until(pilot, lambda: picker.option_list.option_count == 2, what="two contexts listed")
        rows = [str(picker.option_list.get_option_at_index(i).prompt.plain) for i in range(2)]
        assert any(r.startswith("● gotui-sandbox") and LAST_USED not in r for r in rows), rows
        assert any("second" in r and r.endswith(LAST_USED) for r in rows), rows
        await pilot.press(*"second", "enter")
        await until(pilot, lambda: bridge.context == "second" and bridge.api_client is not None, what="switched")
        assert bridge.namespace == "default"
        assert load_choice() == {"context": "second", "namespace": ""}  # "" = the context's own namespace


async def test_context_flag_and_env_win(fresh_sandbox, tmp_path: Path) -> None:
    sb = fresh_sandbox("quiet")
    kubeconfig = two_contexts(sb, tmp_path)
    save_choice("gotui-sandbox", "kube-system")
    settings = build_settings({}, env={"GOTUI_CONTEXT": "second", "KUBECONFIG": str(kubeconfig)},
                              config_path=tmp_path / "none.yaml")
    settings.audit_log, settings.docker_host = tmp_path / "audit.jsonl", f"unix://{tmp_path}/no-docker.sock"
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        bridge = await connected(pilot, app)
        assert (bridge.context, bridge.namespace) == ("second", "default")
        await until(pilot, lambda: any("Last used context: gotui-sandbox" in m for m in notices(app)), what="offer")


async def test_remembered_namespace_is_offered_not_used(fresh_sandbox, tmp_path: Path) -> None:
    sb = fresh_sandbox("quiet")
    save_choice("gotui-sandbox", "default")
    app = GotuiApp(settings_for(Path(sb.kubeconfig), tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        bridge = await connected(pilot, app)
        assert (bridge.context, bridge.namespace) == ("gotui-sandbox", "shop")
        offer = await until(pilot, lambda: next((m for m in notices(app) if "Last used namespace" in m), None), what="offer")
        assert "default" in offer and "Press n" in offer


@pytest.mark.parametrize(("remembered", "context", "namespace", "expected"), [
    ({}, "a", "x", ""),
    ({"context": "a", "namespace": "x"}, "a", "x", ""),
    ({"context": "a", "namespace": "*"}, "a", None, ""),
    ({"context": "b", "namespace": "x"}, "a", "x", "kube.context"),
    ({"context": "a", "namespace": "y"}, "a", "x", "kube.namespace"),
    ({"context": "a", "namespace": "*"}, "a", "x", "kube.namespace"),
    ({"context": 3}, "a", "x", ""),
])
def test_last_choice_offer(remembered: dict, context: str, namespace: str | None, expected: str) -> None:
    text, binding_id = last_choice_offer(remembered, context, namespace)
    assert binding_id == expected and bool(text) == bool(expected)
