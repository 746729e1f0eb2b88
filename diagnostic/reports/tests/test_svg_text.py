"""Plain SVG text (chart labels) drawn as whole runs (diagnostic/reports/svg_text.py)."""

import base64
import io
from unittest import mock

import weasyprint
import weasyprint.svg
from django.test import SimpleTestCase
from pypdf import PdfReader

from diagnostic.reports import pdf_child, svg_text

# Labels as Vega writes them (placed by a transform, anchored at the start, middle or end),
# plus one placed character by character, which WeasyPrint's own drawer must still handle.
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120">
<g transform="translate(10,20)">
<text transform="translate(5,10)" font-family="DejaVu Sans" font-size="11px">Engaging councillors AV</text>
<text transform="translate(150,40)" text-anchor="middle" font-family="DejaVu Sans" font-size="12px" font-weight="bold">Share of answers</text>
<text x="280" y="80" text-anchor="end" font-family="DejaVu Sans" font-size="9px" fill="#0b0c0c">EC1: 4</text>
<text x="10 20 30" y="100" font-family="DejaVu Sans" font-size="9px">xyz</text>
</g></svg>"""  # noqa: E501
HTML = (
    '<!doctype html><html lang="en-GB"><body><img alt="A chart" src="data:image/svg+xml;base64,'
    + base64.b64encode(SVG.encode()).decode()
    + '"></body></html>'
)


def text_runs(pdf: bytes) -> tuple[str, list]:
    runs = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            runs.append((text, [round(v, 2) for v in cm], [round(v, 2) for v in tm]))

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return text, runs


class SvgTextTests(SimpleTestCase):
    def test_the_one_run_drawer_is_used_with_this_weasyprint(self):
        self.assertTrue(
            svg_text.install(),
            f"WeasyPrint {weasyprint.__version__} is not in svg_text.SUPPORTED: compare its "
            "weasyprint/svg/text.py with svg_text._draw_plain_text, then add the version",
        )
        self.assertIs(weasyprint.svg.TAGS["text"], weasyprint.svg.text)
        self.assertIs(weasyprint.svg.text.original, weasyprint.svg.TAGS["text"].original)

    def test_labels_are_drawn_as_weasyprint_draws_them_and_only_plain_ones_take_the_shortcut(self):
        svg_text.install()
        own_drawer = weasyprint.svg.text.original
        with mock.patch.object(
            svg_text, "_draw_plain_text", wraps=svg_text._draw_plain_text
        ) as shortcut:
            shortcut_pdf = pdf_child.write_pdf(HTML)
        # The text placed character by character went to WeasyPrint's own drawer.
        self.assertEqual(
            [c.args[1].text for c in shortcut.call_args_list],
            ["Engaging councillors AV", "Share of answers", "EC1: 4"],
        )
        with (
            mock.patch.object(weasyprint.svg, "text", own_drawer),
            mock.patch.dict(weasyprint.svg.TAGS, {"text": own_drawer, "tspan": own_drawer}),
        ):
            own_pdf = pdf_child.write_pdf(HTML)

        shortcut_text, shortcut_runs = text_runs(shortcut_pdf)
        own_text, own_runs = text_runs(own_pdf)
        self.assertEqual(
            shortcut_text.split("\n"),
            ["Engaging councillors AV", "Share of answers", "EC1: 4", "x y z"],
        )
        self.assertEqual(shortcut_text, own_text)
        self.assertEqual(shortcut_runs, own_runs)  # each label starts in the same place
