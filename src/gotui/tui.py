"""Run the Textual app with crash handling (and the demo sandbox when asked)."""

from __future__ import annotations

import sys

from gotui.config import Settings


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
        with terminal_guard():
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
