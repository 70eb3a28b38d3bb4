"""`gotui build CONTEXT -t TAG [-f FILE] [--target STAGE] [--build-arg K=V]... [--platform P] [--no-cache] [--pull] [--builder B]`.

The same build code as the TUI (`gotui.ops.build`), printing plain progress lines and the equivalent
`docker build` command (`-f` is relative to the current directory, as docker's). Exit codes:
0 built and tagged; 1 the build failed (the failing step and its own exit code are named) or was
interrupted, or the Dockerfile needs BuildKit and the classic builder is used; 2 bad arguments (an
invalid tag, a missing context, Dockerfile or target stage, a malformed build arg: all checked before
the engine is contacted), an unreachable engine, or
refused by the action gate (read-only mode, or the audit log cannot be written: nothing is built). The
audit log gets a "started" line before the build and its outcome line after (`gotui.ops.gate`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gotui.config import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run(args: argparse.Namespace, settings: Settings, out=None) -> int:  # noqa: ANN001
    """Run the build described by `args`; returns the exit code."""
    from gotui.ops import gate
    from gotui.ops.actions import Action
    from gotui.ops.audit import AuditError, AuditLog
    from gotui.ops.build import (
        BuildEvent,
        BuildKitRequired,
        BuildRequest,
        BuildRun,
        check_dockerfile,
        format_event,
        parse_build_args,
        validate_tag,
    )
    from gotui.ops.errors import describe_error
    from gotui.sources.docker_source import DockerSource, EngineUnreachable

    out = out or sys.stdout
    err = sys.stderr

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    def show(event: BuildEvent) -> None:
        if (line := format_event(event)) is not None:
            say(line)

    try:  # every argument is checked before the engine is asked anything
        buildargs = parse_build_args(list(args.build_arg or []))
        validate_tag(args.tag)
        check_dockerfile(args.context_dir, args.file, args.target, builder=_builder(args))
    except BuildKitRequired as exc:
        print(f"gotui build: {exc}", file=err)
        return EXIT_FAILED
    except ValueError as exc:
        print(f"gotui build: {exc}", file=err)
        return EXIT_USAGE
    if settings.readonly:
        print("gotui build: refused, gotui is in read-only mode (--readonly / GOTUI_READONLY).", file=err)
        return EXIT_USAGE
    source = DockerSource(settings.docker_host)
    request = BuildRequest(args.context_dir, tag=args.tag, dockerfile=args.file, target=args.target,
                           buildargs=buildargs, platform=args.platform,
                           nocache=bool(getattr(args, "no_cache", False)), pull=bool(getattr(args, "pull", False)),
                           builder=_builder(args))
    build = BuildRun(source, request)
    try:
        source.ping()
        build.plan()
    except EngineUnreachable as exc:
        print(f"gotui build: {exc}", file=err)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"gotui build: {exc}", file=err)
        return EXIT_USAGE
    action = Action(verb="build", kind="build", target=args.tag or args.context_dir, context=source.host,
                    preview=request.command(), destructive=False, reversible=True)
    try:
        handle = gate.begin(action, AuditLog(settings.audit_log, source="cli"), settings)
    except gate.GateRefused as exc:
        print(f"gotui build: {exc.reason}", file=err)
        return gate.EXIT_REFUSED

    def finish(outcome: str, code: int, **fields: Any) -> int:
        try:
            handle.finish(outcome, **fields)
        except AuditError as exc:
            print(f"gotui build: {exc}", file=err)
            return code or gate.EXIT_REFUSED
        return code

    say(f"Building {args.context_dir} as {args.tag} on {source.host} with {_builder_name(build.builder)}")
    say(f"equivalent: {request.command()}")
    try:
        result = build.run(show)
    except BuildKitRequired as exc:
        print(f"gotui build: {exc}", file=err)
        return finish(f"error: {exc}", EXIT_FAILED)
    except ValueError as exc:
        print(f"gotui build: {exc}", file=err)
        return finish(f"error: {exc}", EXIT_USAGE)
    except EngineUnreachable as exc:
        print(f"gotui build: {exc}", file=err)
        return finish(f"error: {exc}", EXIT_USAGE)
    except KeyboardInterrupt:
        build.cancel()
        print("gotui build: interrupted; nothing was tagged", file=err)
        return finish("cancelled", EXIT_FAILED, message="interrupted")
    except Exception as exc:  # noqa: BLE001 - e.g. an APIError for a bad platform
        print(f"gotui build: {describe_error(exc)}", file=err)
        return finish(f"error: {describe_error(exc)}", EXIT_FAILED)
    if result.ok:
        say(result.summary())
        return finish("ok", EXIT_OK, after=result.summary())
    print(result.summary(), file=err)
    if result.error and result.error not in result.summary():
        print(f"  {result.error}", file=err)
    code = finish(f"error: {result.summary()}", EXIT_FAILED)
    if result.failed_step is not None and result.failed_step.output:
        print("last output of the failing step:", file=err)
        for line in result.failed_step.output[-10:]:
            print(f"  | {line}", file=err)
    return code


def _builder(args: argparse.Namespace) -> str:
    return str(getattr(args, "builder", None) or "auto")


def _builder_name(builder: str) -> str:
    return "BuildKit" if builder == "buildkit" else "the classic builder"
