"""Architecture rules. In fresh interpreters: sources, ops and kube never import Textual, and the app
shell imports neither the Docker nor the Kubernetes client before the first frame. In the source (ast):
ui/ never imports a client library or the client module's transport, and only `gotui.kube.client` (with
the kubeconfig loader under it, `sources/kube_auth.py`) builds a Kubernetes client or sends a request."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import gotui.kube
import gotui.ops
import gotui.sources

SRC = Path(gotui.ops.__file__).resolve().parents[1]  # src/gotui
# Client libraries ui/ must not import (it gets data and actions from sources/, kube/ and ops/).
CLIENT_LIBRARIES = ("kubernetes", "docker", "aiohttp", "urllib3", "requests", "websocket", "http.client")
# Modules and names that are the Kubernetes transport: only services built on them are for ui/.
CLIENT_MODULES = ("gotui.sources.kube_auth",)
TRANSPORT_NAMES = {"request", "send", "api_get", "make_api_client", "build_api_client", "merge_kubeconfig",
                   "load_kubeconfig", "ApiClient"}
TRANSPORT_ATTRS = {"call_api", "param_serialize", "rest_client", "pool_manager"}
GENERATED_CALLS = {"CoreV1Api", "AppsV1Api", "AutoscalingV2Api", "BatchV1Api", "CustomObjectsApi",
                   "PolicyV1Api", "ApiClient", "new_client_from_config", "load_kube_config", "load_incluster_config"}
# The only modules that may build a Kubernetes client or put a request on the wire.
CLIENT_HOMES = {"kube/client.py", "sources/kube_auth.py"}


def python_files(under: str) -> list[Path]:
    return sorted((SRC / under).rglob("*.py"))


def imports_of(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import (`import a.b` -> ("a.b", []))."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return out


def ui_violations(text: str, where: str) -> list[str]:
    """What in the source `text` of a ui/ module touches a client."""
    tree = ast.parse(text, where)
    bad = []
    for line, module, names in imports_of(tree):
        if any(module == lib or module.startswith(lib + ".") for lib in CLIENT_LIBRARIES + CLIENT_MODULES):
            bad.append(f"{where}:{line} imports {module}")
        elif module.startswith("gotui.") and TRANSPORT_NAMES & set(names):
            bad.append(f"{where}:{line} imports {sorted(TRANSPORT_NAMES & set(names))} from {module}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in TRANSPORT_ATTRS:
            bad.append(f"{where}:{node.lineno} uses .{node.attr} of a client")
    return bad


def test_ui_never_touches_a_client() -> None:
    files = python_files("ui")
    assert len(files) > 20
    bad = [v for path in files for v in ui_violations(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))]
    assert not bad, "ui/ must go through sources/, kube/ and ops/, never a client:\n" + "\n".join(bad)


def test_the_ui_rule_catches_each_kind_of_client_use() -> None:
    probe = ("from kubernetes import client\nimport docker.errors\nfrom gotui.kube.client import request, list_contexts\n"
             "from gotui.sources.kube_source import Watcher, make_api_client\n"
             "def f(api):\n    return api.call_api()\n")
    found = ui_violations(probe, "ui/probe.py")
    assert [v.split(" ", 1)[0] for v in found] == [f"ui/probe.py:{n}" for n in (1, 2, 3, 4, 6)], found
    assert ui_violations("from gotui.sources.kube_source import Watcher, connect, list_contexts\n", "ui/ok.py") == []


def test_only_the_client_module_builds_clients_or_sends_requests() -> None:
    bad = []
    for path in python_files("."):
        rel = path.relative_to(SRC).as_posix()
        if rel in CLIENT_HOMES or rel.startswith("sandbox/"):  # the sandbox is a server, not a client
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            name = (node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None)
            if name in GENERATED_CALLS or (isinstance(node, ast.Attribute) and node.attr in {"call_api", "param_serialize"}):
                bad.append(f"{rel}:{node.lineno} {name}")
    assert not bad, "route these through gotui.kube.client:\n" + "\n".join(bad)


def test_sources_ops_kube_have_no_textual_import_in_the_source() -> None:
    bad = [f"{p.relative_to(SRC)}:{line}" for under in ("sources", "ops", "kube")
           for p in python_files(under) for line, module, _ in imports_of(ast.parse(p.read_text(encoding="utf-8")))
           if module == "textual" or module.startswith("textual.")]
    assert not bad, bad


def modules_of(package) -> list[str]:  # noqa: ANN001
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def imported_by(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted({k.split('.')[0] for k in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout))


def test_sources_and_ops_do_not_import_textual() -> None:
    modules = modules_of(gotui.sources) + modules_of(gotui.ops) + modules_of(gotui.kube) + ["gotui.config", "gotui.store"]
    modules = [m for m in modules if pkgutil.find_loader(m) is not None]
    loaded = imported_by(modules)
    assert "textual" not in loaded, "a module under sources/ or ops/ imports Textual"


def test_app_shell_imports_no_client_library() -> None:
    loaded = imported_by(["gotui.cli", "gotui.ui.app", "gotui.tui"])
    assert "docker" not in loaded, "import the docker client lazily (after the first frame)"
    assert "kubernetes" not in loaded, "import the kubernetes client lazily (after the first frame)"
