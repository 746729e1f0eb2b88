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

A document may have *late images* (`LateImages`: the council report's charts): the template
gets an address for each, the child starts on the HTML at once and asks for each image when
WeasyPrint reaches it, and the web process draws them meanwhile, so on two cores the charts
(about a third of a second of vl-convert) are drawn while the child reads the HTML and its
styles instead of before the child starts.

User text (comments, names) is escaped by the template engine, and the URL fetcher
(`pdf_child.url_fetcher`) refuses every URL but our own charts (inline SVG, or the document's
declared late images), so a link or image address typed into a comment is never requested
(QUALITY: "PDF rendering fetches nothing from URLs found in user text"). Stylesheets are
inlined by the templates themselves.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import threading
import time
from collections.abc import Callable

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


class LateImages:
    """SVG images a document shows that are drawn while its PDF is being rendered.

    `add(draw)` gives the address to put in the template's `<img src>`; `draw()` returns the
    SVG text and is called at most once, by `render_pdf`, in the order the images appear in the
    document (or when the renderer asks for one first).
    """

    def __init__(self):
        self._draw: dict[str, Callable[[], str]] = {}
        self._drawn: dict[str, bytes] = {}

    def add(self, draw: Callable[[], str]) -> str:
        url = f"{pdf_child.LATE_IMAGE_PREFIX}{len(self._draw) + 1}"
        self._draw[url] = draw
        return url

    def urls(self) -> tuple[str, ...]:
        return tuple(self._draw)

    def __len__(self) -> int:
        return len(self._draw)

    def in_document_order(self, html: str) -> list[str]:
        """The addresses in the order `html` first shows them; those it does not show, last."""
        position = {url: html.find(f'"{url}"') for url in self._draw}
        return sorted(self._draw, key=lambda u: position[u] if position[u] >= 0 else math.inf)

    def get(self, url: str) -> bytes:
        """The image's SVG as UTF-8, drawn now if it has not been yet."""
        if url not in self._drawn:
            self._drawn[url] = self._draw[url]().encode("utf-8")
        return self._drawn[url]


def render_pdf(template: str, context: dict, *, late_images: LateImages | None = None) -> bytes:
    html = render_to_string(template, context)
    return html_to_pdf(html, late_images=late_images)


def html_to_pdf(html: str, *, late_images: LateImages | None = None) -> bytes:
    if getattr(settings, "PDF_RENDER_IN_SUBPROCESS", True):
        return render_in_child(
            html, timeout=getattr(settings, "PDF_RENDER_TIMEOUT", 25), late_images=late_images
        )
    if late_images:
        return pdf_child.write_pdf(
            html, {url: (lambda url=url: late_images.get(url)) for url in late_images.urls()}
        )
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


def render_in_child(html: str, *, timeout: float, late_images: LateImages | None = None) -> bytes:
    """Render `html` to PDF in a new child process; raise PdfRenderError if it fails or is slow.

    With `late_images`, the images are drawn here while the child works, and handed to it when
    it asks (`_await_result`); `timeout` covers both."""
    ctx = _multiprocessing_context()
    started = time.monotonic()
    # Two-way: the child asks for late images on it, then sends its result.
    receiver, sender = ctx.Pipe(duplex=bool(late_images))
    args = (html, sender, late_images.urls()) if late_images else (html, sender)
    process = ctx.Process(target=pdf_child.child_main, args=args, name="pdf-render", daemon=True)
    finished = False
    try:
        try:
            process.start()
        except Exception as exc:
            raise PdfRenderError(f"Could not start the PDF rendering process: {exc}") from exc
        finally:
            sender.close()
        try:
            message = _await_result(receiver, started + timeout, html, late_images)
        except _TimedOut:
            raise PdfRenderError(
                f"PDF rendering took longer than {timeout:g} s; the rendering process was stopped"
            ) from None
        except _ChildGone:
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

    cpu_ms = None
    if message[0] == "ok":
        _, pdf, records, peak_kb, *rest = message
        cpu_ms = rest[0] if rest else None
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
        extra={"pdf_child_peak_kb": peak_kb, "pdf_child_ms": ms, "pdf_child_cpu_ms": cpu_ms},
    )
    return pdf


class _TimedOut(Exception):
    pass


class _ChildGone(Exception):
    pass


def _await_result(conn, deadline: float, html: str, late_images: LateImages | None):
    """The child's result message. Meanwhile, draw the late images in document order, and send
    each one the child asks for. _TimedOut past `deadline`; _ChildGone if the child ends
    without a result. An error drawing an image is raised as it is."""
    to_draw = late_images.in_document_order(html) if late_images else []
    while True:
        if to_draw and not conn.poll(0):
            # The child has not asked for anything yet: draw the next image now.
            late_images.get(to_draw.pop(0))
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not conn.poll(remaining):
            raise _TimedOut
        try:
            message = conn.recv()
        except (EOFError, OSError):
            raise _ChildGone from None
        if message[0] != "late-image":
            return message
        svg = late_images.get(message[1])
        with contextlib.suppress(OSError):  # the child is gone: the next recv says so
            conn.send(("late-image", svg))


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
