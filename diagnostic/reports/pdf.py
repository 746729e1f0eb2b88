"""Template → HTML here, HTML → PDF with WeasyPrint in a short-lived child process.

The template is rendered to an HTML string in the web process (it needs Django and the
database). The WeasyPrint step runs in a fresh child process that renders that one document,
sends the PDF bytes back through a pipe and exits, so the memory WeasyPrint takes for a document
is given back to the system and the web worker does not grow with every report
(docs/decisions/0010). Children are forked from a small fork server that has imported and warmed
WeasyPrint but not Django (`pdf_forkserver`), so starting one takes milliseconds. Like every
multiprocessing child, it also runs the parent's `__main__` script as a module (gunicorn's
launcher, manage.py): those keep their `if __name__ == "__main__"` guard and import no Django.
`PDF_RENDER_IN_SUBPROCESS=false` renders in the web process instead.

User text (comments, names) is escaped by the template engine, and the URL fetcher
(`pdf_child.url_fetcher`) refuses every URL, so a link or image address typed into a comment
is never requested (QUALITY: "PDF rendering fetches nothing from URLs found in user text").
Stylesheets are inlined by the templates themselves.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

from diagnostic.reports import pdf_child

logger = logging.getLogger(__name__)

FORKSERVER_PRELOAD = ["diagnostic.reports.pdf_forkserver"]
_context_lock = threading.Lock()
_context = None


class PdfRenderError(RuntimeError):
    """The PDF could not be rendered: WeasyPrint failed, or its process crashed or timed out."""


def render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    if getattr(settings, "PDF_RENDER_IN_SUBPROCESS", True):
        return render_in_child(html, timeout=getattr(settings, "PDF_RENDER_TIMEOUT", 25))
    return pdf_child.write_pdf(html)


def _multiprocessing_context():
    """The fork-server context, with WeasyPrint preloaded in the server (spawn where none)."""
    global _context
    with _context_lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                # Only takes effect if the fork server is not running yet; nothing else here
                # uses it. Without the preload, children import WeasyPrint themselves (slower).
                ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
            else:  # pragma: no cover (Windows)
                ctx = multiprocessing.get_context("spawn")
            _context = ctx
    return _context


def render_in_child(html: str, *, timeout: float) -> bytes:
    """Render `html` to PDF in a new child process; raise PdfRenderError if it fails or is slow."""
    ctx = _multiprocessing_context()
    started = time.monotonic()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=pdf_child.child_main, args=(html, sender), name="pdf-render", daemon=True
    )
    finished = False
    try:
        try:
            process.start()
        except Exception as exc:
            raise PdfRenderError(f"Could not start the PDF rendering process: {exc}") from exc
        finally:
            sender.close()
        if not receiver.poll(timeout):
            raise PdfRenderError(
                f"PDF rendering took longer than {timeout:g} s; the rendering process was stopped"
            )
        try:
            message = receiver.recv()
        except (EOFError, OSError):
            process.join(5)
            raise PdfRenderError(
                "The PDF rendering process ended without a result "
                f"(exit code {process.exitcode}; a negative code is the signal that ended it)"
            ) from None
        finished = True
    finally:
        receiver.close()
        if process.pid is not None:
            if finished:
                process.join(5)  # it exits as soon as it has sent the result
            if process.is_alive():
                process.kill()
                process.join(5)
            if process.exitcode is not None:
                process.close()

    if message[0] == "ok":
        _, pdf, records, peak_kb = message
    else:
        _, summary, child_traceback, records, peak_kb = message
    for name, level, text in records:
        logging.getLogger(name).log(level, "%s", text)
    if message[0] != "ok":
        raise PdfRenderError(
            f"PDF rendering failed in the rendering process: {summary}\n\n"
            f"Traceback in the rendering process:\n{child_traceback}"
        )
    ms = (time.monotonic() - started) * 1000
    logger.debug(
        "PDF rendered in a child process in %.0f ms; its peak memory %.0f MB",
        ms,
        peak_kb / 1024,
        extra={"pdf_child_peak_kb": peak_kb, "pdf_child_ms": ms},
    )
    return pdf


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
