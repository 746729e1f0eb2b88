"""Stand-ins for `pdf_child.child_main`, run in the PDF rendering child by the tests.

They are looked up by name in the child, so this module must not import Django either.
"""

import os
import signal
import sys
import time

from diagnostic.reports import pdf_child


def hang(html, conn):
    time.sleep(600)


def die(html, conn):
    os.kill(os.getpid(), signal.SIGKILL)


def weasyprint_fails(html, conn):
    def broken(html):
        raise RuntimeError("the layout went wrong")

    pdf_child.write_pdf = broken  # in this child only
    pdf_child.child_main(html, conn)


def loaded_modules(html, conn):
    """Sends back, in place of a PDF, the names of the modules loaded in the child."""
    conn.send(("ok", "\n".join(sorted(sys.modules)).encode(), [], pdf_child.peak_rss_kb()))
    conn.close()
