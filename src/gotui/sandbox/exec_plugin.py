"""A client-go exec credential plugin for the sandbox: prints an ExecCredential with a bearer token.

    python -m gotui.sandbox.exec_plugin --token-file PATH [--api-version client.authentication.k8s.io/v1]

kubectl and the official Python client run it with KUBERNETES_EXEC_INFO set; the answer carries the
apiVersion asked for there (v1 or v1beta1; `--api-version` when the variable is absent). Exit status 1
with a message on stderr when the token file cannot be read. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


def credential(token: str, api_version: str, lifetime: float = 3600.0) -> dict:
    """The ExecCredential document for `token`, expiring after `lifetime` seconds."""
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=lifetime)
    return {"apiVersion": api_version, "kind": "ExecCredential",
            "status": {"token": token, "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}


def main(argv: list[str] | None = None) -> int:
    """Print the credential; 1 on a missing/empty token file or an unknown apiVersion."""
    parser = argparse.ArgumentParser(prog="python -m gotui.sandbox.exec_plugin")
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--api-version", default=API_VERSIONS[0])
    args = parser.parse_args(argv)
    api_version = args.api_version
    info = os.environ.get("KUBERNETES_EXEC_INFO")
    if info:
        try:
            api_version = json.loads(info).get("apiVersion") or api_version
        except (ValueError, AttributeError):
            print("gotui exec plugin: KUBERNETES_EXEC_INFO is not a JSON object", file=sys.stderr)
            return 1
    if api_version not in API_VERSIONS:
        print(f"gotui exec plugin: unsupported apiVersion {api_version!r}", file=sys.stderr)
        return 1
    try:
        with open(args.token_file, encoding="utf-8") as fh:
            token = fh.read().strip()
    except OSError as exc:
        print(f"gotui exec plugin: cannot read {args.token_file}: {exc.strerror}", file=sys.stderr)
        return 1
    if not token:
        print(f"gotui exec plugin: {args.token_file} is empty", file=sys.stderr)
        return 1
    json.dump(credential(token, api_version), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
