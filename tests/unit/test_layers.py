"""Architecture rules, checked in fresh interpreters: sources and ops never import Textual, and the
app shell imports neither the Docker nor the Kubernetes client before the first frame."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import gotui.ops
import gotui.sources


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
    modules = modules_of(gotui.sources) + modules_of(gotui.ops) + ["gotui.config", "gotui.store"]
    modules = [m for m in modules if pkgutil.find_loader(m) is not None]
    loaded = imported_by(modules)
    assert "textual" not in loaded, "a module under sources/ or ops/ imports Textual"


def test_app_shell_imports_no_client_library() -> None:
    loaded = imported_by(["gotui.cli", "gotui.ui.app", "gotui.tui"])
    assert "docker" not in loaded, "import the docker client lazily (after the first frame)"
    assert "kubernetes" not in loaded, "import the kubernetes client lazily (after the first frame)"
