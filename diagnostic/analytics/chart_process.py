"""Charts drawn outside the web process: each web process keeps one chart-drawing child.

vl-convert draws with a V8 JavaScript engine: about 85 MB once loaded, growing with each new
chart. In a web worker that memory stayed for the worker's life, and took the worker past the
council PDF's 250 MB bar at 10× (docs/performance.md). So `draw_svg` sends the spec to a child
process (`chart_child.child_main`), started the first time this process needs a chart and kept
for the next ones (V8's first chart costs about 0.7 s; later ones tens of milliseconds). It is a
new interpreter (multiprocessing's "spawn", about 0.05 s), not a child of the PDF fork server,
whose preloaded WeasyPrint would add 0.8 s to its start and 60 MB to its memory. Like the PDF's
processes, it runs the parent's `__main__` as a module: gunicorn's and manage.py's keep their
`if __name__ == "__main__"` guard. The child stops after `CHARTS_PROCESS_IDLE_SECONDS` without a chart, or after a
chart that took its memory past `CHARTS_PROCESS_MAX_MB`, so its memory is given back; the next
chart starts a fresh one. docs/decisions/0038.

Only cache misses get here (`charts.render_svg` caches every SVG by its spec's content). One
chart at a time per web process (a lock); gunicorn's sync workers handle one request at a time
anyway. `CHARTS_DRAW_IN_SUBPROCESS=false` draws in the web process instead.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.process
import os
import threading
import time

from django.conf import settings

from diagnostic.analytics import chart_child

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_drawer: _Drawer | None = None


class ChartDrawError(RuntimeError):
    """The chart could not be drawn: vl-convert failed, or its process crashed or timed out."""


class _ChildGone(Exception):
    pass


def draw_svg(text: str) -> str:
    """The SVG for a Vega-Lite spec given as JSON text."""
    if not getattr(settings, "CHARTS_DRAW_IN_SUBPROCESS", True):
        import vl_convert as vlc

        return vlc.vegalite_to_svg(text)
    global _drawer
    timeout = float(getattr(settings, "CHARTS_DRAW_TIMEOUT", 20))
    with _lock:
        # A drawer made before this process was forked belongs to the parent: never used or
        # stopped from here (`_after_fork_in_child` has already forgotten it after os.fork).
        if _drawer is not None and _drawer.pid != os.getpid():
            _drawer = None
        reused = _drawer is not None and _drawer.alive()
        if _drawer is not None and not reused:
            _drawer.stop()
            _drawer = None
        for attempt in (1, 2):
            if _drawer is None:
                _drawer = _Drawer()
            try:
                return _drawer.draw(text, timeout)
            except _ChildGone:
                exitcode = _drawer.stop(wait=1)
                _drawer = None
                # A kept child may have stopped for idleness (exit code 0) just as this chart
                # was sent: once, a fresh child is asked. A child that crashed (a signal, the
                # out-of-memory killer, V8 failing on this spec) or a fresh child that ends is
                # a real failure, not asked again.
                if attempt == 1 and reused and exitcode == 0:
                    continue
                raise ChartDrawError(
                    "The chart-drawing process ended without a result (exit code "
                    f"{exitcode}; a negative code is the signal that ended it)"
                ) from None
            except ChartDrawError:
                if _drawer is not None and not _drawer.alive():
                    _drawer.stop()
                    _drawer = None
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _after_fork_in_child() -> None:
    """In a process forked from one that had a chart-drawing child (gunicorn's master, were it
    ever to draw): forget that child, so this process neither uses it nor, at its exit, has
    multiprocessing stop and join it (it belongs to the parent). A lock another thread held at
    the fork would stay held here, so the lock is new too."""
    global _drawer, _lock
    _lock = threading.Lock()
    if _drawer is not None and _drawer.pid != os.getpid():
        children = getattr(multiprocessing.process, "_children", None)
        if children is not None:
            children.discard(_drawer.process)
        with contextlib.suppress(OSError):
            _drawer.conn.close()  # this process's copy of the pipe only
        _drawer = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def stop() -> None:
    """Stop this process's chart-drawing child, if it has one (tests, and shutting down)."""
    global _drawer
    with _lock:
        if _drawer is not None and _drawer.pid == os.getpid():
            _drawer.stop()
        _drawer = None


def child_pid() -> int | None:
    """The process id of this process's chart-drawing child, if one is running."""
    with _lock:
        if _drawer is not None and _drawer.pid == os.getpid() and _drawer.alive():
            return _drawer.process.pid
    return None


class _Drawer:
    """One chart-drawing child and the pipe to it."""

    def __init__(self):
        ctx = multiprocessing.get_context("spawn")
        self.pid = os.getpid()
        self.exitcode: int | None = None
        self.stopped = False
        self.conn, child_conn = ctx.Pipe()
        idle = float(getattr(settings, "CHARTS_PROCESS_IDLE_SECONDS", 300))
        retire_kb = int(getattr(settings, "CHARTS_PROCESS_MAX_MB", 200)) * 1024
        self.process = ctx.Process(
            target=chart_child.child_main, args=(child_conn, idle, retire_kb),
            name="chart-draw", daemon=True,
        )  # fmt: skip
        try:
            self.process.start()
        except Exception as exc:
            self.conn.close()
            raise ChartDrawError(f"Could not start the chart-drawing process: {exc}") from exc
        finally:
            child_conn.close()

    def alive(self) -> bool:
        return not self.stopped and self.process.is_alive()

    def draw(self, text: str, timeout: float) -> str:
        started = time.monotonic()
        try:
            message = self._ask(text, timeout)
        except (_ChildGone, ChartDrawError):
            raise
        except BaseException:
            # Interrupted between the question and its answer (KeyboardInterrupt, a signal's
            # exception): the answer may still come, and must not be taken for the next
            # chart's. This child is done with.
            self.stop()
            raise
        cpu_ms = None
        if message[0] == "ok":
            _, svg, peak_kb, cpu_ms, retiring = message
        else:
            _, summary, child_traceback, peak_kb, retiring = message
        if retiring:
            self.process.join(5)
        ms = (time.monotonic() - started) * 1000
        logger.debug(
            "Chart drawn in a child process in %.0f ms; its peak memory %.0f MB%s",
            ms, peak_kb / 1024, " (it stops now, past its memory limit)" if retiring else "",
            extra={"chart_child_peak_kb": peak_kb, "chart_child_ms": ms, "chart_child_cpu_ms": cpu_ms},
        )  # fmt: skip
        if message[0] != "ok":
            raise ChartDrawError(
                f"vl-convert could not draw the chart: {summary}\n\n"
                f"Traceback in the chart-drawing process:\n{child_traceback}"
            )
        return svg

    def _ask(self, text: str, timeout: float):
        try:
            self.conn.send(("draw", text))
        except OSError:
            raise _ChildGone from None
        if not self.conn.poll(timeout):
            self.stop()
            raise ChartDrawError(
                f"Drawing a chart took longer than {timeout:g} s; its process was stopped"
            )
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            raise _ChildGone from None

    def stop(self, wait: float = 0) -> int | None:
        """Close the pipe and end the child (after `wait` seconds for it to end by itself,
        killed if still running); its exit code."""
        if self.stopped:
            return self.exitcode
        self.stopped = True
        self.conn.close()
        if self.process.pid is None:
            return None
        if wait:
            self.process.join(wait)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.exitcode = self.process.exitcode
        if self.exitcode is not None:
            self.process.close()
        return self.exitcode
