"""The real SSH end-to-end test: Debian's OpenSSH server on a loopback port, tmux runs
`ssh -t ... gotui --demo`, sends keys and reads the screen.

sshd gets a generated config, a throwaway host key and a throwaway client key in a temp dir. PATH,
DOCKER_HOST and the state/config dirs reach the remote `gotui` through the server's `SetEnv`; coverage's
subprocess variable through `SendEnv`/`AcceptEnv`. Skips (saying why) when sshd or ssh is missing or
when not root; under CI (which installs openssh-server and runs as root) those are failures.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tmux import TmuxSession

from conftest import require

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                if conn.recv(4).startswith(b"SSH-"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture
def sshd(tmp_path: Path, e2e_env: dict[str, str], gotui_bin: str) -> Iterator[dict[str, object]]:
    require(os.path.exists(SSHD), f"{SSHD} is not installed (apt-get install openssh-server)")
    require(shutil.which("ssh") is not None and shutil.which("ssh-keygen") is not None,
            "the OpenSSH client is not installed (apt-get install openssh-client)")
    require(os.geteuid() == 0, "the SSH test logs in as root with a throwaway key, so it must run as root")
    d = tmp_path / "ssh"
    d.mkdir(mode=0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True, timeout=30)
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text(), encoding="utf-8")
    os.chmod(d / "authorized_keys", 0o600)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    path = os.pathsep.join([str(Path(gotui_bin).parent), str(Path(sys.executable).parent),
                            "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    setenv = {"PATH": path, **e2e_env}
    if os.environ.get("DOCKER_HOST"):
        setenv["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    port = free_port()
    config = d / "sshd_config"
    config.write_text(
        "\n".join([
            "ListenAddress 127.0.0.1",
            f"HostKey {d / 'host_key'}",
            f"PidFile {d / 'sshd.pid'}",
            f"AuthorizedKeysFile {d / 'authorized_keys'}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PrintMotd no",
            "PrintLastLog no",
            "X11Forwarding no",
            "AllowTcpForwarding no",
            "AcceptEnv COVERAGE_PROCESS_CONFIG COVERAGE_PROCESS_START LANG LC_*",
            "SetEnv " + " ".join(f"{k}={v}" for k, v in setenv.items()),
            "LogLevel ERROR",
            "",
        ]),
        encoding="utf-8",
    )
    log = open(d / "sshd.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config), "-p", str(port)],  # noqa: S603
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not wait_port(port, 15):
            proc.terminate()
            pytest.fail(f"sshd did not start: {(d / 'sshd.log').read_text(errors='replace')[-2000:]}")
        yield {"port": port, "key": d / "client_key", "dir": d}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_gotui_demo_over_real_ssh(sshd: dict[str, object], tmp_path: Path, e2e_env: dict[str, str]) -> None:
    workdir = tmp_path / "tmux"
    workdir.mkdir()
    ssh = (
        f"ssh -t -F /dev/null -p {sshd['port']} -i {sshd['key']} -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o SendEnv=COVERAGE_PROCESS_CONFIG "
        "root@127.0.0.1"
    )
    with TmuxSession(workdir, env=e2e_env) as session:
        # First prove the login and the environment the remote side gets.
        session.run(f"{ssh} 'echo remote-$(id -un) TERM=$TERM; command -v gotui'")
        screen = session.wait_text("remote-root", timeout=30)
        assert "TERM=screen" in screen  # 16 colours, no COLORTERM: the usual SSH situation
        session.wait_prompt(20)
        session.run("clear")
        session.wait_prompt(10)
        session.run(f"{ssh} gotui --demo")
        screen = session.wait_text("ctx gotui-sandbox", timeout=60)
        assert "▸1 Images" in screen
        session.send_keys("2")
        session.wait_text("▸2 Pods", timeout=15)
        session.send_keys("?")
        session.wait_text("Everywhere", timeout=15)
        session.send_keys("q")  # closes help (Escape is delayed by tmux and ssh: never the only way)
        session.wait_gone("Everywhere", timeout=15)
        session.send_keys("4")
        session.wait_text("▸4 Releases", timeout=15)
        session.send_keys("q")
        screen = session.wait_prompt(30)
        assert "Traceback" not in screen
        session.run("echo back-$?")
        session.wait_text("back-0", timeout=10)
