"""The WeasyPrint step runs in a short-lived child process (docs/decisions/0010)."""

import http.server
import io
import logging
import multiprocessing
import threading
import time
from unittest import mock

from django.test import SimpleTestCase, override_settings
from pypdf import PdfReader

from diagnostic.reports import pdf, pdf_child
from diagnostic.reports.tests import child_targets

SMALL = (
    "<!doctype html><html lang='en-GB'><body><h1>Hello</h1><p>A small document.</p></body></html>"
)


def rendering_children():
    return [p for p in multiprocessing.active_children() if p.name == "pdf-render"]


@override_settings(PDF_RENDER_IN_SUBPROCESS=True, PDF_RENDER_TIMEOUT=30)
class ChildProcessTests(SimpleTestCase):
    def test_the_pdf_is_rendered_in_a_child_process_that_then_exits(self):
        # The parent's WeasyPrint step is broken here; the child's is not, so the PDF comes
        # from the child.
        with (
            mock.patch.object(pdf_child, "write_pdf", side_effect=AssertionError("in parent")),
            self.assertLogs("diagnostic.reports.pdf", level="DEBUG") as logs,
        ):
            out = pdf.html_to_pdf(SMALL)
        self.assertTrue(out.startswith(b"%PDF"))
        self.assertGreater(logs.records[-1].pdf_child_peak_kb, 10_000)
        self.assertEqual(rendering_children(), [])

    def test_the_child_loads_weasyprint_and_not_django(self):
        with mock.patch.object(pdf_child, "child_main", child_targets.loaded_modules):
            modules = pdf.html_to_pdf(SMALL).decode().split("\n")
        self.assertIn("weasyprint", modules)
        self.assertNotIn("django", modules)
        self.assertFalse([m for m in modules if m.startswith("django.")])

    def test_a_child_that_takes_too_long_is_stopped_with_a_clear_error(self):
        started = time.monotonic()
        with (
            mock.patch.object(pdf_child, "child_main", child_targets.hang),
            override_settings(PDF_RENDER_TIMEOUT=0.5),
            self.assertRaisesMessage(pdf.PdfRenderError, "took longer than 0.5 s"),
        ):
            pdf.html_to_pdf(SMALL)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(rendering_children(), [])

    def test_a_real_document_over_a_tiny_timeout_is_stopped(self):
        big = SMALL.replace("<p>A small document.</p>", "<p>Line of text.</p>" * 3000)
        with (
            override_settings(PDF_RENDER_TIMEOUT=0.01),
            self.assertRaisesMessage(pdf.PdfRenderError, "took longer than 0.01 s"),
        ):
            pdf.html_to_pdf(big)
        self.assertEqual(rendering_children(), [])

    def test_a_child_that_dies_gives_a_clear_error(self):
        with (
            mock.patch.object(pdf_child, "child_main", child_targets.die),
            self.assertRaisesMessage(pdf.PdfRenderError, "ended without a result (exit code -9"),
        ):
            pdf.html_to_pdf(SMALL)

    def test_an_error_in_the_child_is_raised_with_its_traceback(self):
        with (
            mock.patch.object(pdf_child, "child_main", child_targets.weasyprint_fails),
            self.assertRaises(pdf.PdfRenderError) as raised,
        ):
            pdf.html_to_pdf(SMALL)
        message = str(raised.exception)
        self.assertIn(
            "failed in the rendering process: RuntimeError: the layout went wrong", message
        )
        self.assertIn("Traceback in the rendering process", message)

    @override_settings(PDF_RENDER_IN_SUBPROCESS=False)
    def test_it_can_render_in_the_web_process_instead(self):
        with mock.patch.object(pdf, "render_in_child", side_effect=AssertionError("no child")):
            self.assertTrue(pdf.html_to_pdf(SMALL).startswith(b"%PDF"))


class Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self):
        Recorder.paths.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


class FetcherTests(SimpleTestCase):
    """QUALITY: PDF rendering fetches nothing from URLs found in user text, in either process."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)

    def html(self):
        base = f"http://127.0.0.1:{self.server.server_port}"
        svg = pdf_child.WARM_HTML.split('src="', 1)[1].split('"', 1)[0]  # one of our own charts
        return (
            f'<html><head><link rel="stylesheet" href="{base}/style.css">'
            f"<style>p {{ background: url({base}/bg.png) }}</style></head><body>"
            f'<img src="{base}/tracker.png"><img src="file:///etc/passwd">'
            f'<img src="data:image/png;base64,iVBORw0KGgo="><img alt="chart" src="{svg}">'
            "<p>hi</p></body></html>"
        )

    def render(self, in_subprocess: bool):
        Recorder.paths = []
        with (
            override_settings(PDF_RENDER_IN_SUBPROCESS=in_subprocess, PDF_RENDER_TIMEOUT=30),
            self.assertLogs("weasyprint", level="WARNING") as logs,
        ):
            out = pdf.html_to_pdf(self.html())
        self.assertTrue(out.startswith(b"%PDF"))
        refusals = [r.getMessage() for r in logs.records if "does not fetch URLs" in r.getMessage()]
        return refusals

    def test_the_child_refuses_every_url_but_our_inline_svg_and_says_so(self):
        refusals = self.render(in_subprocess=True)
        self.assertEqual(Recorder.paths, [])  # nothing reached the server
        self.assertEqual(len(refusals), 5, refusals)  # relayed from the child's log
        self.assertFalse([r for r in refusals if "image/svg+xml" in r])

    def test_the_web_process_refuses_the_same_urls(self):
        refusals = self.render(in_subprocess=False)
        self.assertEqual(Recorder.paths, [])
        self.assertEqual(len(refusals), 5, refusals)

    def test_the_fetcher_itself_refuses(self):
        fetcher = pdf_child.url_fetcher()
        for url in ("http://127.0.0.1:9/x", "file:///etc/passwd", "data:text/css,p{}"):
            with self.subTest(url=url), self.assertRaises(pdf_child.BlockedFetch):
                fetcher.fetch(url)


class ChildLogRelayTests(SimpleTestCase):
    def test_weasyprint_warnings_from_the_child_are_logged_in_the_web_process(self):
        with (
            override_settings(PDF_RENDER_IN_SUBPROCESS=True, PDF_RENDER_TIMEOUT=30),
            self.assertLogs("weasyprint", level="WARNING") as logs,
        ):
            pdf.html_to_pdf("<p style='colour: red; width: banana'>x</p>")
        self.assertTrue(logs.records)
        self.assertTrue(all(r.levelno >= logging.WARNING for r in logs.records))


LATE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">'
    '<text x="5" y="20" font-family="DejaVu Sans" font-size="12px">{label}</text></svg>'
)


class LateImageTests(SimpleTestCase):
    """Charts drawn by the web process while the PDF renders (pdf.LateImages)."""

    def render(self, in_subprocess: bool):
        late, drawn = pdf.LateImages(), []

        def chart(label):
            return lambda: drawn.append(label) or LATE_SVG.format(label=label)

        first, second = late.add(chart("First chart")), late.add(chart("Second chart"))
        # The second is shown first: the web process draws them in the document's order.
        html = (
            f"<!doctype html><html lang='en-GB'><body><h1>Report</h1>"
            f'<img alt="Second" src="{second}"><p>Between.</p><img alt="First" src="{first}">'
            "</body></html>"
        )
        with override_settings(PDF_RENDER_IN_SUBPROCESS=in_subprocess, PDF_RENDER_TIMEOUT=30):
            out = pdf.html_to_pdf(html, late_images=late)
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out)).pages)
        return text, drawn

    def test_the_child_gets_each_chart_from_the_web_process(self):
        text, drawn = self.render(in_subprocess=True)
        self.assertIn("Second chart", text)
        self.assertIn("First chart", text)
        self.assertEqual(drawn, ["Second chart", "First chart"])  # once each, in page order
        self.assertEqual(rendering_children(), [])

    def test_the_web_process_draws_them_when_it_renders_itself(self):
        text, drawn = self.render(in_subprocess=False)
        self.assertIn("Second chart", text)
        self.assertEqual(sorted(drawn), ["First chart", "Second chart"])

    def test_a_chart_that_cannot_be_drawn_fails_the_pdf(self):
        def broken():
            raise ValueError("no chart today")

        for in_subprocess in (True, False):
            late = pdf.LateImages()
            html = f'<html lang="en-GB"><body><img alt="x" src="{late.add(broken)}"></body></html>'
            with (
                self.subTest(in_subprocess=in_subprocess),
                override_settings(PDF_RENDER_IN_SUBPROCESS=in_subprocess, PDF_RENDER_TIMEOUT=30),
                self.assertRaisesRegex(Exception, "no chart today"),
            ):
                pdf.html_to_pdf(html, late_images=late)
        self.assertEqual(rendering_children(), [])

    def test_only_this_documents_late_images_are_fetched(self):
        fetcher = pdf_child.url_fetcher({"late-image:1": lambda: b"<svg/>"})
        self.assertEqual(fetcher.fetch("late-image:1").read(), b"<svg/>")
        for url in ("late-image:2", "late-image:1x"):
            with self.subTest(url=url), self.assertRaises(pdf_child.BlockedFetch):
                fetcher.fetch(url)
        with self.assertRaises(pdf_child.BlockedFetch):
            pdf_child.url_fetcher().fetch("late-image:1")
