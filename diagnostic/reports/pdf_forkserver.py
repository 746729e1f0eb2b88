"""Preloaded by the fork server that starts PDF rendering processes (see `pdf.py`).

The fork server is a small process of its own (no Django) that imports this module once, so
WeasyPrint is loaded and warmed there; each rendering process is forked from it and starts
warm, in milliseconds, instead of paying about a second to import and warm up WeasyPrint.
"""

import contextlib

from diagnostic.reports import pdf_child

# If warming fails, each rendering process fails with the real error, which reaches the web
# process as PdfRenderError; the fork server itself must not die here.
with contextlib.suppress(Exception):
    pdf_child.warm()
