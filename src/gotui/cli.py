"""The `gotui` command: the TUI (default), `--demo`, and the headless subcommands.

One argparse tree. Heavy imports (Textual, the Docker and Kubernetes clients) happen only in the
branch that needs them, so `gotui --help` and the headless commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gotui import __version__

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_REVERT_FAILED = 0, 1, 2, 3


def _add_common(p: argparse.ArgumentParser) -> None:
    """Flags shared by the TUI and every headless command (each has an environment twin)."""
    g = p.add_argument_group("connection and safety (each also settable by environment or config)")
    g.add_argument("--context", help="kube context to use (env GOTUI_CONTEXT)")
    g.add_argument("-n", "--namespace", help="namespace (env GOTUI_NAMESPACE)")
    g.add_argument("--kubeconfig", help="kubeconfig file (env KUBECONFIG)")
    g.add_argument("--docker-host", help="Docker engine address (env DOCKER_HOST)")
    g.add_argument("--readonly", action="store_true", default=None, help="refuse every change (env GOTUI_READONLY=1)")
    g.add_argument("--audit-log", metavar="PATH", help="audit log file (env GOTUI_AUDIT_LOG)")
    g.add_argument("--config", metavar="PATH", help="config file (env GOTUI_CONFIG; default ~/.config/gotui/config.yaml)")


SCALE_UP_HELP = (
    "if the target colour has fewer replicas than the live one, scale it up first (and raise its HPA's "
    "minReplicas to match; restored if its pods are not Ready within --timeout)"
)


def add_scale_up_argument(parser: argparse.ArgumentParser) -> None:
    """`--scale-up` for `cutover` and `rollback` (defined here so the TUI's start-up imports no ops)."""
    parser.add_argument("--scale-up", action="store_true", dest="scale_up", help=SCALE_UP_HELP)


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar."""
    parser = argparse.ArgumentParser(
        prog="gotui",
        description="A terminal console for Go services on Docker and Kubernetes: images, pods, HPA, "
        "blue-green releases. Run without a subcommand for the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"gotui {__version__}")
    parser.add_argument("--demo", action="store_true", default=None, help="start the embedded sandbox cluster and open the TUI on it")
    _add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sb = sub.add_parser("sandbox", help="serve the sandbox Kubernetes cluster", description="Serve a Kubernetes-API-compatible sandbox cluster with simulated controllers on a loopback port.")
    sb.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only unless --allow-remote)")
    sb.add_argument("--port", type=int, default=0, help="port (0 = a free port)")
    sb.add_argument("--kubeconfig-out", metavar="PATH", help="where to write the sandbox's kubeconfig")
    sb.add_argument("--scenario", choices=["default", "quiet", "big"], default="default")
    sb.add_argument("--pods", type=int, default=10_000, help="pods in the big scenario")
    sb.add_argument("--seed", type=int, default=1, help="random seed (same seed, same cluster)")
    sb.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host (no authentication!)")
    sb.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate from the sandbox's own CA (in the kubeconfig)")
    sb.add_argument("--auth", default="none", metavar="METHODS", help="none (default), all, or a comma list of cert,token,exec: require credentials (needs --tls); one kubeconfig per method is written next to the main one")
    sb.add_argument("--pki-dir", metavar="DIR", help="keep the CA, certificates and tokens in DIR (default: a temp dir removed on exit); a restart with the same DIR is the same cluster to its clients")

    bd = sub.add_parser("build", help="build an image, streaming each step", description="Build a Docker image from a context directory (same code as the TUI's build).")
    bd.add_argument("context_dir", metavar="CONTEXT", help="build context directory")
    bd.add_argument("-t", "--tag", required=True, help="name:tag for the image")
    bd.add_argument("-f", "--file", help="Dockerfile path (relative to CONTEXT)")
    bd.add_argument("--target", help="target stage")
    bd.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="build argument (repeatable)")
    bd.add_argument("--platform", help="target platform, e.g. linux/amd64")
    bd.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    bd.add_argument("--pull", action="store_true", help="always try to pull newer versions of the base images")
    _add_common(bd)

    co = sub.add_parser("cutover", help="switch a Service to another colour, verified, reverting on failure", description="Blue-green cutover of a Service to the Deployment of another colour.")
    co.add_argument("service", metavar="SERVICE")
    co.add_argument("--to", required=True, dest="to_color", metavar="COLOR", help="target colour (e.g. green)")
    co.add_argument("--smoke-path", help="HTTP path checked on every target pod before the switch (e.g. /healthz)")
    co.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for VERIFY")
    co.add_argument("--dry-run", action="store_true", help="run the checks and print the patch, change nothing")
    co.add_argument("--yes", action="store_true", help="do not ask (required without a terminal)")
    add_scale_up_argument(co)
    _add_common(co)

    rb = sub.add_parser("rollback", help="cut a Service back to its recorded previous colour", description="Roll a Service back to the colour it selected before the last cutover.")
    rb.add_argument("service", metavar="SERVICE")
    rb.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for VERIFY")
    rb.add_argument("--yes", action="store_true", help="do not ask (required without a terminal)")
    add_scale_up_argument(rb)
    _add_common(rb)

    st = sub.add_parser("status", help="apps, colours, the live colour, readiness, HPA", description="Print the blue-green status of every app in a namespace.")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    _add_common(st)
    return parser


def settings_from_args(args: argparse.Namespace):  # noqa: ANN201 - returns gotui.config.Settings
    """Build Settings from parsed flags (flags > environment > config file)."""
    from pathlib import Path

    from gotui.config import build_settings

    flags = {
        "context": getattr(args, "context", None),
        "namespace": getattr(args, "namespace", None),
        "kubeconfig": getattr(args, "kubeconfig", None),
        "docker_host": getattr(args, "docker_host", None),
        "readonly": getattr(args, "readonly", None),
        "audit_log": getattr(args, "audit_log", None),
        "demo": getattr(args, "demo", None),
    }
    config = getattr(args, "config", None)
    return build_settings(flags, config_path=Path(config) if config else None)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run; returns the exit code."""
    from gotui.config import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from gotui.sandbox.server import main as sandbox_main

        return sandbox_main(args)
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(f"gotui: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if args.command in ("build", "cutover", "rollback", "status"):
        import importlib

        module = importlib.import_module(f"gotui.commands.{args.command}")
        return int(module.run(args, settings))
    from gotui.tui import run_tui

    return run_tui(settings)


def entry() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.exit(code)
