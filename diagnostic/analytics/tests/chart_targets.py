"""Stand-ins for `chart_child.child_main`, run in the chart-drawing child by the tests.

They are looked up by name in the child, so this module must not import Django either.
"""

import os
import signal
import sys

from diagnostic.analytics import chart_child


def die(conn, idle_seconds, retire_kb):
    """Ends at once, as a crash would, without answering."""
    os.kill(os.getpid(), signal.SIGKILL)


def loaded_modules(conn, idle_seconds, retire_kb):
    """Draws one chart, then sends back, in place of an SVG, the modules loaded in the child."""
    conn.poll(30)
    _, text = conn.recv()
    import vl_convert as vlc

    vlc.vegalite_to_svg(text)
    conn.send(("ok", "\n".join(sorted(sys.modules)), chart_child.peak_rss_kb(), 0.0, True))
    conn.close()
