"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises (decision 0016).

Raw HTML in the Markdown is not passed through by the renderer (it comes out as text), and
whatever the renderer produces is then cleaned by nh3 with a short allow-list, so a script,
an iframe, an event attribute or a `javascript:` link can never reach a page, whichever of the
two layers a trick gets past.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

# CommonMark with tables; raw HTML off (shown as text), no typographer or linkify surprises.
_md = MarkdownIt("commonmark", {"html": False}).enable("table")


def _headings_down(tokens) -> None:
    """A heading in a case study sits under the page's own h1/h2: # becomes h3, ## h4, …"""
    for t in tokens:
        if t.type in ("heading_open", "heading_close"):
            t.tag = f"h{min(6, int(t.tag[1]) + 2)}"


def render_markdown(text: str) -> SafeString:
    """Markdown written by a council, as HTML safe to put in a page."""
    if not text:
        return mark_safe("")
    env: dict = {}
    tokens = _md.parse(text, env)
    _headings_down(tokens)
    html = _md.renderer.render(tokens, _md.options, env)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 - cleaned by nh3 just above


def plain_text(text: str) -> str:
    """The words of a Markdown text without markup (for feeds and search snippets)."""
    return nh3.clean(str(render_markdown(text)), tags=set()).strip()
