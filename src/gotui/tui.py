"""Run the Textual app with crash handling (and the demo sandbox when asked).

SIGTERM and SIGHUP end the app the ordinary way (its driver leaves the alternate screen and turns
mouse reporting off, the terminal guard restores the tty modes); the exit code is 128 + the signal.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any

from gotui.config import Settings


@contextlib.contextmanager
def exit_on_signals(app: Any, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """While the block runs, `signals` make `app` exit cleanly (from the loop's own thread)."""

    def handler(signum: int, _frame: object) -> None:
        loop = getattr(app, "_loop", None)
        if loop is not None and loop.is_running():
            stop = getattr(getattr(app, "gate", None), "stop_for_signal", None)
            if stop is not None:  # running actions stop cleanly and write their outcome line first
                loop.call_soon_threadsafe(lambda: stop(signal.Signals(signum).name, 128 + signum))
            else:
                loop.call_soon_threadsafe(lambda: app.exit(None, 128 + signum))
        else:
            raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_tui(settings: Settings) -> int:
    """Start the TUI; returns the exit code. Never lets a traceback reach the terminal."""
    from gotui.crash import crash_message, install_thread_hook, terminal_guard, write_crash_log

    install_thread_hook()

    demo = None
    try:
        if settings.demo:
            from gotui.demo import DemoCluster, DemoError

            demo = DemoCluster()
            try:
                demo.start()
            except DemoError as exc:
                print(f"gotui --demo: {exc}", file=sys.stderr)
                return 1
            settings.kubeconfig = demo.kubeconfig
            settings.context = settings.context or "gotui-sandbox"
            settings.namespace = settings.namespace or "shop"
        from gotui.ui.app import GotuiApp

        app = GotuiApp(settings)
        with terminal_guard(), exit_on_signals(app):
            app.run()
        if app.crash_log is not None:
            print(crash_message(app.crash_log), file=sys.stderr)
            return 1
        return app.return_code or 0
    except Exception as exc:  # noqa: BLE001 - the crash handler of last resort
        path = write_crash_log(exc)
        print(crash_message(path), file=sys.stderr)
        return 1
    finally:
        if demo is not None:
            demo.stop()
