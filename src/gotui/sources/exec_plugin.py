"""Exec credential plugins (`users[].user.exec`), run the way a TUI needs them run.

The official client's ExecProvider hands the plugin gotui's terminal (stdin and stderr) and reports a
failure by logging it and going on without credentials. Here a plugin runs in its own session with
stdin closed and stdout/stderr captured (it cannot draw over the screen, read the operator's keys or
open /dev/tty), with a timeout, and any failure is an `ExecPluginError` whose one-line message carries
the plugin's own stderr and the kubeconfig's installHint. Plugins still running when gotui exits are
killed. No Textual import here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 30.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


class CredentialError(Exception):
    """Credentials cannot be obtained; the message is one line, names the context and never holds a secret."""


class ExecPluginError(CredentialError):
    """An exec credential plugin is missing, failed, hung or answered something unusable."""


def one_line(text: str, limit: int = 300) -> str:
    """Outside text as one printable line: escape sequences and control characters dropped, runs of
    whitespace collapsed, cut at `limit` characters."""
    text = _ANSI.sub("", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kill_running_plugins() -> None:
    """Kill every plugin process group still running (gotui is exiting)."""
    with _running_lock:
        procs = list(_running)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass


_hooked = False


def _kill_at_exit() -> None:
    """Have `kill_running_plugins` run before the interpreter joins its worker threads (a worker
    waiting on a plugin would hold exit). Registered at the first run, i.e. after the thread pool
    that runs it registered its own join: the threading exit hooks run last-registered first."""
    global _hooked
    with _running_lock:
        if _hooked:
            return
        _hooked = True
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is not None:
            register(kill_running_plugins)
            return
    except RuntimeError:  # already shutting down
        return
    import atexit  # pragma: no cover - other Pythons

    atexit.register(kill_running_plugins)


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: the plugin gets SIGKILL if gotui dies without a chance to kill it (SIGKILL, a crash)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl  # looked up before the fork
    except (OSError, AttributeError):
        return None

    def child() -> None:
        prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG

    return child


def _resolve_command(command: str, base_dir: Path | None) -> str | None:
    """client-go's rule: a relative path with a separator is relative to the kubeconfig's directory."""
    if os.sep in command and not os.path.isabs(command) and base_dir is not None:
        command = str(base_dir / command)
    return shutil.which(command) if os.sep not in command else (command if os.access(command, os.X_OK) else None)


def run_exec_plugin(
    spec: dict[str, Any],
    *,
    context: str,
    base_dir: Path | None = None,
    cluster: dict[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Run the plugin described by `spec` (a kubeconfig `exec:` block); return the ExecCredential's
    `status` (token, or clientCertificateData + clientKeyData, and maybe expirationTimestamp)."""
    command = str(spec.get("command") or "")
    api_version = str(spec.get("apiVersion") or "")
    hint = one_line(str(spec.get("installHint") or ""))
    name = os.path.basename(command) or "?"

    def fail(what: str) -> ExecPluginError:
        text = f"context {context!r}: exec credential plugin `{name}` {what}"
        return ExecPluginError(text + (f" — {hint}" if hint else ""))

    if not command:
        raise ExecPluginError(f"context {context!r}: the user's exec block has no `command`. Fix the kubeconfig.")
    if not api_version:
        raise ExecPluginError(f"context {context!r}: the user's exec block has no `apiVersion` "
                              "(e.g. client.authentication.k8s.io/v1beta1). Fix the kubeconfig.")
    if spec.get("interactiveMode") == "Always":
        raise fail("needs a terminal to prompt (interactiveMode: Always), and gotui never lends it the "
                   f"screen. Log in once in a shell first (e.g. `kubectl get ns --context {context}`) "
                   "or set interactiveMode: IfAvailable.")
    path = _resolve_command(command, base_dir)
    if path is None:
        raise fail("was not found" + ("" if os.sep in command else " on PATH") + ".")
    args = [path, *[str(a) for a in spec.get("args") or []]]
    env = dict(os.environ)
    for item in spec.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            env[str(item["name"])] = str(item.get("value", ""))
    info: dict[str, Any] = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    if spec.get("provideClusterInfo") and cluster is not None:
        info["spec"]["cluster"] = _cluster_info(cluster)
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)

    _kill_at_exit()
    try:
        proc = subprocess.Popen(  # noqa: S603 - the operator's own kubeconfig names it
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, start_new_session=True, close_fds=True, preexec_fn=_die_with_parent(),
        )
    except OSError as exc:
        raise fail(f"could not start: {exc.strerror}.") from None
    with _running_lock:
        _running.add(proc)
    started = time.monotonic()
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            out, err = proc.communicate()
            raise fail(f"did not answer within {timeout:.0f}s (is it waiting for a login? run it once in a "
                       "shell).") from None
    finally:
        with _running_lock:
            _running.discard(proc)
    stderr = one_line(err.decode("utf-8", "replace"))
    if proc.returncode != 0:
        if proc.returncode < 0 and time.monotonic() - started < timeout:
            why = f"was killed (signal {-proc.returncode})"
        else:
            why = f"failed (exit {proc.returncode})"
        raise fail(why + (f": {stderr}" if stderr else "."))
    # stdout holds the credential: it never goes into a message.
    try:
        data = json.loads(out)
    except ValueError:
        raise fail("printed something that is not an ExecCredential (not JSON).") from None
    if not isinstance(data, dict) or data.get("kind") != "ExecCredential":
        raise fail("printed something that is not an ExecCredential.")
    if data.get("apiVersion") != api_version:
        raise fail(f"answered apiVersion {one_line(str(data.get('apiVersion')), 80)!r}, the kubeconfig asks for "
                   f"{api_version!r}.")
    status = data.get("status")
    if not isinstance(status, dict) or not (
        status.get("token") or (status.get("clientCertificateData") and status.get("clientKeyData"))
    ):
        raise fail("answered without a token or a client certificate and key.")
    return status


def _cluster_info(cluster: dict[str, Any]) -> dict[str, Any]:
    """The `spec.cluster` of KUBERNETES_EXEC_INFO (provideClusterInfo)."""
    out: dict[str, Any] = {"server": cluster.get("server", "")}
    for src, dst in (("certificate-authority-data", "certificate-authority-data"), ("tls-server-name", "tls-server-name"),
                     ("insecure-skip-tls-verify", "insecure-skip-tls-verify"), ("proxy-url", "proxy-url")):
        if cluster.get(src) is not None:
            out[dst] = cluster[src]
    for ext in cluster.get("extensions") or []:
        if isinstance(ext, dict) and ext.get("name") == "client.authentication.k8s.io/exec":
            out["config"] = ext.get("extension")
    return out
