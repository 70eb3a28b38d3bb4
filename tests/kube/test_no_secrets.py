"""No credential ever reaches the screen, stdout/stderr, the audit log or a crash log: every output of
gotui commands and of the TUI (tmux screen text) is searched for the test token, on working and on
broken kubeconfigs alike."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.kubeauth_kit import (
    TOKEN,
    exec_user,
    files_containing,
    write_kubeconfig,
    write_plugin,
)

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[2]
SECRETS = (TOKEN, base64.b64encode(f"admin:{TOKEN}".encode()).decode())


def kubeconfigs(tmp_path: Path, url: str) -> dict[str, Path]:
    """Working and broken ways of carrying the test token."""
    (tmp_path / "token-nl").write_text(TOKEN + "\n")
    (tmp_path / "token-bad").write_text(f"{TOKEN}\r\nX-Injected: 1\n")
    plugin = write_plugin(tmp_path)
    plugin_env = {"PLUGIN_TOKEN": TOKEN}
    out = {
        "inline": {"token": TOKEN},
        "tokenfile-newline": {"tokenFile": str(tmp_path / "token-nl")},
        "tokenfile-broken": {"tokenFile": str(tmp_path / "token-bad")},
        "token-broken": {"token": f"{TOKEN}\nsecond"},
        "basic": {"username": "admin", "password": TOKEN},
        "exec": exec_user(str(plugin), plugin_env),
        "exec-failing": exec_user(str(plugin), {**plugin_env, "PLUGIN_MODE": "fail", "PLUGIN_STDERR": "denied\n"}),
    }
    return {name: write_kubeconfig(tmp_path / f"kc-{name}", url, user) for name, user in out.items()}


def state_env(tmp_path: Path) -> dict[str, str]:
    state = tmp_path / "state"
    return {"XDG_STATE_HOME": str(state), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            "GOTUI_CONFIG": str(tmp_path / "cfg.yaml"), "GOTUI_AUDIT_LOG": str(state / "audit.jsonl"),
            "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock", "PYTHONPATH": str(ROOT / "src")}


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a credential is shown in {where}:\n{text[-2000:]}"


def assert_no_secret_on_disk(tmp_path: Path) -> None:
    for secret in SECRETS:
        hits = [p for p in files_containing(tmp_path / "state", secret.encode())]
        assert not hits, f"a credential is written to {hits}"


def test_commands_never_print_a_credential(plain_sandbox, tmp_path):
    env = {**os.environ, **state_env(tmp_path)}
    results = {}
    for name, kc in kubeconfigs(tmp_path, plain_sandbox.url).items():
        for argv in (["status", "-n", "shop"], ["status", "-n", "shop", "--json"]):
            proc = subprocess.run([sys.executable, "-m", "gotui", *argv, "--kubeconfig", str(kc)],
                                  capture_output=True, text=True, env=env, timeout=120)
            assert_no_secret(proc.stdout + proc.stderr, f"`gotui {' '.join(argv)}` with the {name} kubeconfig")
            results[name] = proc.returncode
    assert_no_secret_on_disk(tmp_path)
    # the working ones worked; the broken ones failed (and said so without the token)
    assert all(results[n] == 0 for n in ("inline", "tokenfile-newline", "basic", "exec")), results
    assert all(results[n] != 0 for n in ("tokenfile-broken", "token-broken", "exec-failing")), results


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", ["inline", "tokenfile-newline", "token-broken", "tokenfile-broken", "exec-failing"])
def test_tui_never_shows_a_credential(plain_sandbox, tmp_path, name):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from tmux import TmuxSession

    kc = kubeconfigs(tmp_path, plain_sandbox.url)[name]
    workdir = tmp_path / "tmux"
    workdir.mkdir()
    session = TmuxSession(workdir, env=state_env(tmp_path))
    screens: list[str] = []
    try:
        session.run(f"{sys.executable} -m gotui --kubeconfig {kc}")
        screens.append(session.wait_for(lambda s: "ctx ctx" in s or "kube error" in s, 60, "connected or failed"))
        # Walk the panes, the help, the context and namespace pickers, the palette: nothing shows the token.
        for keys in (["2"], ["3"], ["4"], ["1"], ["?"], ["Escape"], ["c"], ["Escape"], ["n"], ["Escape"],
                     ["C-p"], ["Escape"], ["2"]):
            session.send_keys(*keys)
            time.sleep(0.8 if keys == ["Escape"] else 0.4)  # an Escape and the next key must not merge
            screens.append(session.screen())
        session.send_keys("Escape")
        time.sleep(0.8)
        session.send_keys("q")
        screens.append(session.wait_prompt(timeout=20))
    finally:
        session.kill()
    for i, screen in enumerate(screens):
        assert_no_secret(screen, f"TUI screen {i} with the {name} kubeconfig")
    if name in ("token-broken", "tokenfile-broken", "exec-failing"):
        assert any("kube error" in s or "✗" in s for s in screens)
    assert_no_secret_on_disk(tmp_path)
