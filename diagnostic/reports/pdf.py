"""HTML → PDF with WeasyPrint, fetching nothing from the network.

User text (comments, names) is escaped by the template engine, and the URL fetcher refuses
every URL, so a link or image address typed into a comment is never requested (QUALITY:
"PDF rendering fetches nothing from URLs found in user text"). Stylesheets are inlined by
the templates themselves.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class BlockedFetch(Exception):
    pass


def _fetcher():
    from weasyprint.urls import URLFetcher

    class RefuseAllURLs(URLFetcher):
        """WeasyPrint logs the refusal and leaves the resource out; nothing reaches the network."""

        def fetch(self, url, headers=None):
            # data: URIs are the charts we embed ourselves; they need no network.
            if url.startswith("data:image/svg+xml;base64,") and len(url) < 5_000_000:
                return super().fetch(url, headers)
            raise BlockedFetch(f"PDF rendering does not fetch URLs ({url[:80]})")

    return RefuseAllURLs()


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=_fetcher(), base_url="about:blank").write_pdf(
        pdf_tags=True, pdf_identifier=False
    )


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
