"""Faster SVG text in WeasyPrint: a plain `<text>` is laid out and drawn as one run.

WeasyPrint (up to at least 70) lays out and draws every character of an SVG `<text>` on its
own, so that per-character `x`, `y`, `dx`, `dy` and `rotate` lists can be honoured. Our charts
(Vega SVG from vl-convert) use none of those: each label is a `<text>` placed by a
`transform`. For them the per-character work is pure cost: in the council results report the
three charts hold about 180 labels and 1,600 characters, and drawing them took about 0.2 s of
CPU, a tenth of the whole WeasyPrint step (docs/performance.md).

`install()` replaces WeasyPrint's SVG text drawer with one that, when a `<text>` element has
no child elements and none of the per-character attributes, lays out the whole string once
(one Pango layout, one text object in the PDF) and otherwise calls WeasyPrint's own drawer.
This is the shortcut WeasyPrint's maintainers describe in Kozea/WeasyPrint#2249 ("draw the
whole text ... when there's no specified x, y, dx, dy or rotate values"). The same characters
are drawn in the same font, size, colour and place; the only difference is that the font's
kerning now applies between the characters of a label, as in a browser.

It is applied only to the WeasyPrint versions it was checked against (`SUPPORTED`), because it
mirrors WeasyPrint's internal `weasyprint.svg.text.text`; with any other version WeasyPrint is
left as it is (slower, never wrong), and a test says so. Imports no Django: it runs in the PDF
rendering child (`pdf_child`).
"""

from __future__ import annotations

import sys
from math import inf

# Major versions of WeasyPrint whose `svg/text.py` this module mirrors (checked on 70.0).
SUPPORTED = {"70"}
# Attributes that place or stretch characters one by one: WeasyPrint's own drawer handles them.
PER_CHARACTER = ("dx", "dy", "rotate", "letter-spacing", "textLength", "lengthAdjust", "direction")

_installed = False


def supported() -> bool:
    import weasyprint

    return weasyprint.__version__.split(".")[0] in SUPPORTED


def install() -> bool:
    """Use the one-run drawer for plain SVG text; True if it is (now or already) in use."""
    global _installed
    if _installed:
        return True
    if not supported():
        return False
    import weasyprint.svg  # noqa: F401 (loads weasyprint.svg.text)

    svg_package = sys.modules["weasyprint.svg"]
    text_module = sys.modules["weasyprint.svg.text"]
    original = text_module.text

    def text(svg, node, font_size):
        if not _is_plain(node, text_module):
            return original(svg, node, font_size)
        return _draw_plain_text(svg, node, font_size, text_module)

    text.original = original
    # `svg/__init__.py` dispatches through TAGS and compares TAGS entries with its own `text`
    # name (for text-anchor handling), so both are replaced.
    svg_package.text = text
    for tag, drawer in list(svg_package.TAGS.items()):
        if drawer is original:
            svg_package.TAGS[tag] = text
    _installed = True
    return True


def _is_plain(node, text_module) -> bool:
    """A `<text>` with a string, no child elements and nothing placed character by character."""
    if node.tag != "text" or not node.text or next(iter(node), None) is not None:
        return False
    attrib = node.attrib
    if any(name in attrib for name in PER_CHARACTER):
        return False
    for name in ("x", "y"):  # one value places the run; a list places characters one by one
        if name in attrib and len(text_module.normalize(attrib[name]).strip().split(" ")) > 1:
            return False
    return True


def _draw_plain_text(svg, node, font_size, text_module) -> None:
    """WeasyPrint's `svg.text.text` for the plain case, with one layout for the whole string."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.text.line_break import split_first_line

    # The style, as WeasyPrint builds it.
    style = text_module.Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [
        font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")
    ]
    style["font_style"] = node.get("font-style", "normal")
    style["font_weight"] = node.get("font-weight", 400)
    style["font_size"] = font_size
    if style["font_weight"] == "normal":
        style["font_weight"] = 400
    elif style["font_weight"] == "bold":
        style["font_weight"] = 700
    else:
        try:
            style["font_weight"] = int(style["font_weight"])
        except ValueError:
            style["font_weight"] = 400

    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)

    x = y = None
    if "x" in node.attrib:
        x = text_module.size(
            text_module.normalize(node.attrib["x"]).strip(), font_size, svg.inner_width
        )
    if "y" in node.attrib:
        y = text_module.size(
            text_module.normalize(node.attrib["y"]).strip(), font_size, svg.inner_height
        )

    # Vertical alignment, as WeasyPrint does it.
    ascent, descent = font_size * 0.8, font_size * 0.2
    y_align = 0
    display_anchor = node.get("display-anchor")
    alignment_baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        y_align = -height / 2
    elif display_anchor == "top":
        pass
    elif display_anchor == "bottom":
        y_align = -height
    elif alignment_baseline in ("central", "middle"):
        y_align = (ascent + descent) / 2 - descent
    elif alignment_baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        y_align = ascent
    elif alignment_baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        y_align = -descent

    # Position: WeasyPrint's per-character loop, run once for the whole string.
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + y_align
    points = (
        (x_position, y_position - baseline),
        (x_position + width, y_position - baseline + height),
    )
    node.text_bounding_box = text_module.extend_bounding_box(node.text_bounding_box, points)

    # Draw.
    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    text_box = text_module.TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(
        svg.stream, text_box, "none", "none", Matrix(d=-1, e=x_position, f=y_position)
    )
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)
