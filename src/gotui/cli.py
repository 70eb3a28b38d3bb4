"""The `gotui` command: the TUI (default), `--demo`, and the headless subcommands.

One argparse tree. Heavy imports (Textual, the Docker and Kubernetes clients) happen only in the
branch that needs them, so `gotui --help` and the headless commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gotui import __version__

if TYPE_CHECKING:
    from gotui.config import Settings

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_REVERT_FAILED = 0, 1, 2, 3


# The flags every command shares: (dest, option strings, argparse keywords). They may be written before
# the subcommand (`gotui --readonly cutover ...`) or after it (`gotui cutover ... --readonly`); both
# count. The subcommand's copies parse into `_SUB + dest` so its defaults never overwrite a value given
# before it (argparse copies every subparser default over the main namespace), and `_merge_common`
# combines the two.
COMMON_FLAGS: tuple[tuple[str, tuple[str, ...], dict], ...] = (
    ("context", ("--context",), {"help": "kube context to use (env GOTUI_CONTEXT)"}),
    ("namespace", ("-n", "--namespace"), {"help": "namespace (env GOTUI_NAMESPACE)"}),
    ("kubeconfig", ("--kubeconfig",), {"help": "kubeconfig file (env KUBECONFIG)"}),
    ("docker_host", ("--docker-host",), {"help": "Docker engine address (env DOCKER_HOST)"}),
    ("readonly", ("--readonly",), {"action": "store_true", "help": "refuse every change (env GOTUI_READONLY=1)"}),
    ("audit_log", ("--audit-log",), {"metavar": "PATH", "help": "audit log file (env GOTUI_AUDIT_LOG)"}),
    ("config", ("--config",), {"metavar": "PATH", "help": "config file (env GOTUI_CONFIG; default ~/.config/gotui/config.yaml)"}),
)
_SUB = "sub_"


def _add_common(p: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """Flags shared by the TUI and every headless command (each has an environment twin)."""
    g = p.add_argument_group("connection and safety (each also settable by environment or config)")
    for dest, options, kwargs in COMMON_FLAGS:
        if kwargs.get("action") != "store_true":
            kwargs = {"metavar": dest.upper(), **kwargs}
        g.add_argument(*options, dest=(_SUB if sub else "") + dest, default=None, **kwargs)


def _merge_common(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """One value per shared flag, wherever it was written; different values in both places are an error."""
    for dest, options, _ in COMMON_FLAGS:
        before = getattr(args, dest, None)
        after = getattr(args, _SUB + dest, None)
        if hasattr(args, _SUB + dest):
            delattr(args, _SUB + dest)
        if before is not None and after is not None and before != after:
            parser.error(f"{options[-1]} is given twice with different values ({before!r} before "
                         f"{args.command}, {after!r} after it); give it once")
        setattr(args, dest, after if after is not None else before)
    if args.command == "sandbox":
        given = [options[-1] for dest, options, _ in COMMON_FLAGS if getattr(args, dest) is not None]
        if args.demo:
            given.append("--demo")
        if given:
            parser.error(f"{', '.join(given)} do{'es' if len(given) == 1 else ''} not apply to `gotui sandbox`; "
                         "write the sandbox's own options after `sandbox` (see gotui sandbox --help)")
    elif args.command is not None and args.demo:
        parser.error(f"--demo opens the TUI; it does not apply to `gotui {args.command}` (use --kubeconfig "
                     "with the sandbox's kubeconfig instead)")


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
    bd.add_argument("-f", "--file", help="Dockerfile path (relative to the current directory, as docker build -f)")
    bd.add_argument("--target", help="target stage")
    bd.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="build argument (repeatable)")
    bd.add_argument("--platform", help="target platform, e.g. linux/amd64")
    bd.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    bd.add_argument("--pull", action="store_true", help="always try to pull newer versions of the base images")
    bd.add_argument("--builder", choices=["auto", "buildkit", "classic"], default="auto",
                    help="auto: BuildKit when the engine has it (default), else the classic builder")
    _add_common(bd, sub=True)

    co = sub.add_parser("cutover", help="switch a Service to another colour, verified, reverting on failure", description="Blue-green cutover of a Service to the Deployment of another colour.")
    co.add_argument("service", metavar="SERVICE")
    co.add_argument("--to", required=True, dest="to_color", metavar="COLOR", help="target colour (e.g. green)")
    co.add_argument("--smoke-path", help="HTTP path checked on every target pod before the switch (e.g. /healthz)")
    co.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for VERIFY")
    co.add_argument("--dry-run", action="store_true", help="run the checks and print the patch, change nothing")
    co.add_argument("--yes", action="store_true", help="do not ask (required without a terminal)")
    add_scale_up_argument(co)
    co.add_argument("--break-lock", action="store_true", help="take over the lock of a cutover whose process is gone")
    _add_common(co, sub=True)

    rb = sub.add_parser("rollback", help="cut a Service back to its recorded previous colour", description="Roll a Service back to the colour it selected before the last cutover.")
    rb.add_argument("service", metavar="SERVICE")
    rb.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for VERIFY")
    rb.add_argument("--yes", action="store_true", help="do not ask (required without a terminal)")
    add_scale_up_argument(rb)
    rb.add_argument("--break-lock", action="store_true", help="take over the lock of a cutover whose process is gone")
    _add_common(rb, sub=True)

    st = sub.add_parser("status", help="apps, colours, the live colour, readiness, HPA", description="Print the blue-green status of every app in a namespace.")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    _add_common(st, sub=True)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; each shared flag counts wherever it is written (see COMMON_FLAGS)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _merge_common(parser, args)
    return args


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


def check_tui_settings(settings: Settings) -> None:
    """The TUI-only settings (`keys:` ids and key names, `theme:`) checked before the terminal is taken."""
    from gotui.ui import keys, themes

    keys.check_settings(settings)
    themes.check_settings(settings)


def start_docker_lists(settings: Settings) -> None:
    """The TUI's first Docker lists are requested now, in a thread, while Textual is imported
    (sources.docker_quick; the Images pane takes them when it mounts)."""
    from gotui.sources.docker_quick import start_early
    from gotui.sources.docker_source import resolve_host

    start_early(resolve_host(settings.docker_host)[0])


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run; returns the exit code."""
    from gotui.config import ConfigError

    args = parse_args(argv)
    if args.command == "sandbox":
        from gotui.sandbox.server import main as sandbox_main

        return sandbox_main(args)
    try:
        settings = settings_from_args(args)
        if args.command is None:
            start_docker_lists(settings)
            check_tui_settings(settings)
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
