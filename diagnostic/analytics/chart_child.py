"""The chart-drawing process: Vega-Lite spec → SVG with vl-convert, importable without Django.

vl-convert draws with a V8 JavaScript engine, which takes about 85 MB once it has drawn a chart
and grows with each new one. Drawn in a web worker, that memory stays with the worker for its
whole life (the council PDF's bar is 250 MB; the worker reached 260 MB at 10×). So charts are
drawn in a child process of the web worker instead (`chart_process.py`, docs/decisions/0038):
it draws one spec at a time for as long as it is used, stops when it has been idle a while or
when its memory has grown past a limit, and the web worker starts a fresh one when it next needs
a chart. The child is a new interpreter (multiprocessing's "spawn"), and this module is all it
loads besides vl-convert, so it must not import Django, or anything that does.
"""

from __future__ import annotations

import time
import traceback

from diagnostic.reports.pdf_child import peak_rss_kb, status_kb


def rss_kb() -> int:
    """This process's resident memory now, in KiB (0 where it cannot be read)."""
    return status_kb("VmRSS") or 0


def child_main(conn, idle_seconds: float, retire_kb: int) -> None:
    """Runs in the child: draw each spec sent down `conn` until told nothing for `idle_seconds`.

    Each request is ("draw", Vega-Lite spec as JSON text); each reply is ("ok", SVG text, peak
    KiB, CPU ms, retiring) or ("error", "Type: message", traceback, peak KiB, retiring).
    `retiring` is true when this process's resident memory has passed `retire_kb` after the
    drawing: it exits after that reply and the web process starts a fresh one next time.
    The child also exits when `conn` is closed (the web process has gone).
    """
    import vl_convert as vlc

    try:
        while conn.poll(idle_seconds):
            try:
                kind, text = conn.recv()
            except (EOFError, OSError):
                return
            if kind != "draw":  # pragma: no cover (only chart_process sends here)
                return
            started = time.process_time()
            try:
                svg = vlc.vegalite_to_svg(text)
            except Exception as exc:
                retiring = rss_kb() > retire_kb
                reply = ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc(),
                         peak_rss_kb(), retiring)  # fmt: skip
            else:
                retiring = rss_kb() > retire_kb
                cpu_ms = (time.process_time() - started) * 1000
                reply = ("ok", svg, peak_rss_kb(), cpu_ms, retiring)
            try:
                conn.send(reply)
            except OSError:
                return
            if retiring:
                return
    finally:
        conn.close()
