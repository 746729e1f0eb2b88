"""Markdown written by councils comes out as inert HTML (ASVS 1.2.1, 1.3.1, 3.2.2)."""

from html.parser import HTMLParser

from django.test import SimpleTestCase

from diagnostic.practice.markdown import plain_text, render_markdown


def tags_and_attributes(html: str) -> list[tuple[str, list[str]]]:
    """Each element a browser would build from the HTML, with its attribute names."""
    found, hrefs = [], []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, [name for name, _ in attrs]))
            hrefs.extend(value or "" for name, value in attrs if name in ("href", "src"))

    Collect().feed(str(html))
    return found, hrefs


class MarkdownTests(SimpleTestCase):
    def test_ordinary_markdown_is_rendered(self):
        html = render_markdown("# Results\n\n- **61%** to *88%*\n- [guide](https://example.org/a)")
        self.assertIn("<h3>Results</h3>", html)
        self.assertIn("<strong>61%</strong>", html)
        self.assertIn("<em>88%</em>", html)
        self.assertIn(
            '<a href="https://example.org/a" rel="noopener noreferrer nofollow">guide</a>', html
        )

    def test_a_script_tag_is_shown_as_text_never_run(self):
        html = render_markdown("Hello <script>alert(1)</script> there")
        self.assertNotIn("<script", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)

    def test_a_block_of_raw_html_is_text(self):
        html = render_markdown('<div onclick="x()">\n<script>alert(1)</script>\n</div>\n')
        self.assertNotIn("<script", html)
        self.assertNotIn("<div", html)

    def test_an_iframe_is_inert(self):
        html = render_markdown('<iframe src="https://evil.example/"></iframe>')
        self.assertNotIn("<iframe", html)

    def test_javascript_links_lose_their_target(self):
        for link in [
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](  javascript:alert(1))",
            "[click](data:text/html;base64,PHNjcmlwdD4=)",
            "[click](vbscript:msgbox)",
            "<javascript:alert(1)>",
        ]:
            with self.subTest(link=link):
                html = render_markdown(link)
                _, hrefs = tags_and_attributes(html)
                self.assertFalse(
                    [h for h in hrefs if not h.startswith(("https:", "http:", "mailto:"))], html
                )

    def test_event_attributes_are_removed(self):
        for text in [
            '<img src="x" onerror="alert(1)">',
            '<a href="https://example.org" onmouseover="alert(1)">x</a>',
            '![x" onerror="alert(1)](https://example.org/x.png)',
            '[x](https://example.org "t\\" onclick=\\"alert(1)")',
        ]:
            with self.subTest(text=text):
                html = render_markdown(text)
                for tag, attributes in tags_and_attributes(html)[0]:
                    self.assertNotEqual(tag, "img")
                    self.assertFalse([a for a in attributes if a.startswith("on")], html)

    def test_images_and_styles_are_not_allowed(self):
        html = render_markdown("![chart](https://example.org/c.png)\n\n<style>body{}</style>")
        self.assertNotIn("<img", html)
        self.assertNotIn("<style", html)

    def test_plain_text_has_no_markup(self):
        self.assertEqual(plain_text("**Bold** and <b>x</b>"), "Bold and &lt;b&gt;x&lt;/b&gt;")

    def test_empty_text_is_empty(self):
        self.assertEqual(render_markdown(""), "")
