"""The WeasyPrint step of PDF rendering (HTML string → PDF bytes), importable without Django.

The web process renders a template to an HTML string (that needs Django and the database) and
hands the string to a short-lived child process that runs `child_main` and sends the PDF back
(`pdf.py`, docs/decisions/0010). This module is all that child loads besides WeasyPrint, so it
must not import Django, or anything that does.

The URL fetcher refuses every URL except the chart SVGs that our templates embed as data URIs
and the "late images" the web process declared for this document (`LATE_IMAGE_PREFIX`), so a
link or image address typed into a comment is never requested (QUALITY: "PDF rendering fetches
nothing from URLs found in user text").

Late images are charts the web process draws while this process renders (`pdf.LateImages`):
when WeasyPrint reaches one, the child asks the web process for it over the same pipe and
waits for the SVG.
"""

from __future__ import annotations

import base64
import gc
import logging
import resource
import sys
import time
import traceback

# Charts are embedded as base64 SVG data URIs; anything bigger than this is not one of ours.
MAX_DATA_URI = 5_000_000
# At most this many WeasyPrint log records are sent back to the web process per document.
MAX_RELAYED_RECORDS = 200
# The rendering child's first-generation garbage-collection threshold (Python's default is 700).
# WeasyPrint allocates millions of objects, and at the default threshold the cyclic collector
# ran about 260 times per report, twice over every live object, about a tenth of the child's
# CPU time. The child renders one document and exits, so it collects rarely (3 times); it still
# collects, so a long document cannot grow without bound (the report's peak stayed at 88 MB).
CHILD_GC_THRESHOLD = 50_000

# Enough of what the report templates use (fonts in regular and bold, a table, an SVG data URI,
# page margin boxes) for WeasyPrint to load its stylesheets, fonts and SVG code once.
_WARM_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/><text y="9">1</text></svg>'
WARM_HTML = f"""<!doctype html><html lang="en-GB"><head><style>
@page {{ size: A4; @bottom-right {{ content: "Page " counter(page) " of " counter(pages); }} }}
body {{ font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9.5pt; }}
table {{ border-collapse: collapse; table-layout: fixed; width: 100%; }}
</style></head><body><h1>Warm</h1><p><b>Bold</b> <i>italic</i> text.</p>
<table><tr><th scope="row">A</th><td>1</td></tr></table>
<img alt="" src="data:image/svg+xml;base64,{base64.b64encode(_WARM_SVG).decode()}">
</body></html>"""


# The address of a late image is this prefix and a number, e.g. "late-image:1" (pdf.LateImages).
LATE_IMAGE_PREFIX = "late-image:"


class BlockedFetch(Exception):
    pass


class LateImageMissing(RuntimeError):
    """A late image could not be had; the document is not rendered without it."""


def url_fetcher(late_images: dict | None = None):
    """A WeasyPrint URL fetcher that refuses every URL but our own inline SVG data URIs.

    `late_images`: {address: function returning the SVG bytes} for this document's late images.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    late_images = late_images or {}

    class RefuseAllURLs(URLFetcher):
        """WeasyPrint logs the refusal and leaves the resource out; nothing reaches the network."""

        def fetch(self, url, headers=None):
            # data: URIs are the charts we embed ourselves; they need no network.
            if url.startswith("data:image/svg+xml;base64,") and len(url) < MAX_DATA_URI:
                return super().fetch(url, headers)
            if url in late_images:  # drawn by the web process, for this document
                try:
                    svg = late_images[url]()
                except Exception as exc:
                    # WeasyPrint would leave the image out with a warning; write_pdf raises.
                    self.missing.append(f"{url} ({type(exc).__name__}: {exc})")
                    raise
                return URLFetcherResponse(url, svg, headers={"Content-Type": "image/svg+xml"})
            raise BlockedFetch(f"PDF rendering does not fetch URLs ({url[:80]})")

    fetcher = RefuseAllURLs()
    fetcher.missing = []  # late images that could not be had
    return fetcher


def write_pdf(html: str, late_images: dict | None = None) -> bytes:
    """The PDF for an HTML string: tagged, no fetching, no random identifier.

    `late_images`: see `url_fetcher`; the PDF is not made if one of them cannot be had.
    """
    from weasyprint import HTML

    from diagnostic.reports import svg_text

    svg_text.install()  # chart labels drawn as whole runs, not character by character
    fetcher = url_fetcher(late_images)
    pdf = HTML(string=html, url_fetcher=fetcher, base_url="about:blank").write_pdf(
        pdf_tags=True, pdf_identifier=False
    )
    if fetcher.missing:
        raise LateImageMissing(f"Could not get {', '.join(fetcher.missing)}")
    return pdf


def warm() -> None:
    """Load WeasyPrint and render a tiny document, so processes forked from this one start warm."""
    write_pdf(WARM_HTML)


def status_kb(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status ("VmHWM", "VmRSS"), in KiB; None
    where it cannot be read (not Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_kb() -> int:
    """This process's peak resident memory, in KiB.

    On Linux, VmHWM: the high-water mark of this process's own address space. Not ru_maxrss,
    which for a process started by exec begins at the high-water mark of the process that
    started it (a child of a 250 MB web process would report 250 MB before doing anything).
    """
    peak = status_kb("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


class _Collect(logging.Handler):
    """Keeps WeasyPrint's warnings and errors, to be logged again by the web process."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []
        self.dropped = 0

    def emit(self, record):
        if len(self.records) < MAX_RELAYED_RECORDS:
            self.records.append((record.name, record.levelno, record.getMessage()))
        else:
            self.dropped += 1

    def result(self) -> list[tuple[str, int, str]]:
        if self.dropped:
            return [
                *self.records,
                ("weasyprint", logging.WARNING, f"... and {self.dropped} more messages"),
            ]
        return self.records


def child_main(html: str, conn, late_image_urls: tuple[str, ...] = ()) -> None:
    """Runs in the child: render `html` and send the outcome down `conn` (one pickled tuple).

    ("ok", pdf bytes, log records, peak KiB, CPU ms) or ("error", "Type: message", traceback,
    log records, peak KiB). The web process turns the second into `pdf.PdfRenderError`.

    `late_image_urls`: this document's late images. For each one WeasyPrint reaches, the child
    sends ("late-image", address) down `conn` and waits for ("late-image", SVG bytes).
    """
    cpu_started = time.process_time()
    gc.set_threshold(CHILD_GC_THRESHOLD, *gc.get_threshold()[1:])
    collect = _Collect()
    weasyprint_logger = logging.getLogger("weasyprint")
    weasyprint_logger.addHandler(collect)
    try:
        try:
            if late_image_urls:
                pdf = write_pdf(html, {url: _asker(conn, url) for url in late_image_urls})
            else:
                pdf = write_pdf(html)
        except Exception as exc:
            conn.send(
                (
                    "error",
                    f"{type(exc).__name__}: {exc}",
                    traceback.format_exc(),
                    collect.result(),
                    peak_rss_kb(),
                )
            )
        else:
            cpu_ms = (time.process_time() - cpu_started) * 1000
            conn.send(("ok", pdf, collect.result(), peak_rss_kb(), cpu_ms))
    finally:
        weasyprint_logger.removeHandler(collect)
        conn.close()


def _asker(conn, url: str):
    """A function that asks the web process for the late image at `url` and returns its SVG."""

    def ask() -> bytes:
        conn.send(("late-image", url))
        kind, svg = conn.recv()
        if kind != "late-image":  # pragma: no cover (the web process only answers this way)
            raise LateImageMissing(f"Unexpected answer {kind!r} for {url}")
        return svg

    return ask
