"""Charts are drawn in a child process of the web process, kept between charts (decision 0038)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.test import SimpleTestCase, override_settings

from diagnostic.analytics import chart_child, chart_process, charts
from diagnostic.analytics.tests import chart_targets


def bar_spec(*labels: str) -> str:
    rows = [{"label": label, "value": i + 1} for i, label in enumerate(labels)]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "x": {"field": "label", "type": "nominal"},
            "y": {"field": "value", "type": "quantitative"},
        },
    }
    return json.dumps(spec)


def alive(pid: int) -> bool:
    """Whether `pid` is a running process (not a zombie waiting to be collected)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, seconds=10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@override_settings(
    CHARTS_DRAW_IN_SUBPROCESS=True, CHARTS_DRAW_TIMEOUT=30,
    CHARTS_PROCESS_IDLE_SECONDS=300, CHARTS_PROCESS_MAX_MB=2000,
)  # fmt: skip
class ChartProcessTests(SimpleTestCase):
    def setUp(self):
        chart_process.stop()
        self.addCleanup(chart_process.stop)

    def test_a_chart_is_drawn_in_a_child_that_is_kept_for_the_next(self):
        with self.assertLogs("diagnostic.analytics.chart_process", level="DEBUG") as logs:
            first = chart_process.draw_svg(bar_spec("Alpha", "Beta"))
            pid = chart_process.child_pid()
            second = chart_process.draw_svg(bar_spec("Gamma"))
        self.assertIsNotNone(pid)
        self.assertNotEqual(pid, os.getpid())
        self.assertEqual(chart_process.child_pid(), pid)  # the same child drew both
        self.assertIn("<svg", first)
        self.assertIn(">Alpha<", first)
        self.assertIn(">Beta<", first)
        self.assertIn(">Gamma<", second)
        self.assertNotIn(">Alpha<", second)
        # The child reports its own peak memory: V8 and vl-convert, tens of MB.
        self.assertGreater(logs.records[0].chart_child_peak_kb, 30_000)

    def test_the_child_draws_the_same_chart_as_the_web_process_would(self):
        text = bar_spec("North East", "South West", "London")
        with override_settings(CHARTS_DRAW_IN_SUBPROCESS=False):
            here = chart_process.draw_svg(text)
        self.assertIsNone(chart_process.child_pid())  # none was started for it
        self.assertEqual(chart_process.draw_svg(text), here)

    def test_the_child_loads_vl_convert_and_not_django(self):
        with mock.patch.object(chart_child, "child_main", chart_targets.loaded_modules):
            modules = chart_process.draw_svg(bar_spec("A")).split("\n")
        self.assertIn("vl_convert", modules)
        self.assertNotIn("django", modules)
        self.assertFalse([m for m in modules if m.startswith("django.")])

    def test_a_spec_vl_convert_cannot_draw_is_a_clear_error_and_the_child_lives_on(self):
        chart_process.draw_svg(bar_spec("A"))
        pid = chart_process.child_pid()
        bad = json.dumps({"data": {"values": []}, "mark": "no-such-mark"})
        with self.assertRaisesMessage(chart_process.ChartDrawError, "conversion failed"):
            chart_process.draw_svg(bad)
        self.assertEqual(chart_process.child_pid(), pid)
        self.assertIn(">B<", chart_process.draw_svg(bar_spec("B")))

    def test_a_kept_child_that_has_gone_is_replaced_without_an_error(self):
        chart_process.draw_svg(bar_spec("A"))
        pid = chart_process.child_pid()
        os.kill(pid, signal.SIGKILL)
        # Gone as its parent sees it: /proc shows a zombie while V8's threads still end, and
        # only then can it be collected.
        self.assertTrue(wait_until(lambda: chart_process.child_pid() is None))
        self.assertIn(">B<", chart_process.draw_svg(bar_spec("B")))
        self.assertNotIn(chart_process.child_pid(), (None, pid))

    def test_a_kept_child_that_ends_as_the_chart_is_sent_is_asked_again_once(self):
        with override_settings(CHARTS_PROCESS_IDLE_SECONDS=0.3):
            chart_process.draw_svg(bar_spec("A"))
            first = chart_process._drawer
            pid = first.process.pid
            self.assertTrue(wait_until(lambda: not alive(pid)))  # stopped for idleness
            # ...but looked alive when checked: the chart is sent to a child that has gone.
            with mock.patch.object(chart_process._Drawer, "alive", return_value=True):
                svg = chart_process.draw_svg(bar_spec("B"))
        self.assertIn(">B<", svg)
        self.assertIsNot(chart_process._drawer, first)
        self.assertEqual(first.exitcode, 0)
        self.assertNotIn(chart_process._drawer.process.pid, (None, pid))

    def test_a_kept_child_that_crashed_on_the_chart_is_not_asked_again(self):
        chart_process.draw_svg(bar_spec("A"))
        pid = chart_process.child_pid()
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: not alive(pid)))
        with (
            mock.patch.object(chart_process._Drawer, "__init__", side_effect=AssertionError),
            mock.patch.object(chart_process._Drawer, "alive", return_value=True),
            self.assertRaisesMessage(chart_process.ChartDrawError, "exit code -9"),
        ):
            chart_process.draw_svg(bar_spec("B"))
        self.assertIsNone(chart_process._drawer)
        self.assertIn(">C<", chart_process.draw_svg(bar_spec("C")))

    def test_a_chart_interrupted_while_waiting_does_not_give_its_answer_to_the_next(self):
        chart_process.draw_svg(bar_spec("A"))
        first = chart_process._drawer
        with (
            mock.patch.object(first.conn, "recv", side_effect=KeyboardInterrupt),
            self.assertRaises(KeyboardInterrupt),
        ):
            chart_process.draw_svg(bar_spec("B"))  # its answer is left unread in the pipe
        self.assertTrue(first.stopped)
        svg = chart_process.draw_svg(bar_spec("C"))
        self.assertIn(">C<", svg)
        self.assertNotIn(">B<", svg)

    def test_a_fresh_child_that_ends_without_a_result_is_a_clear_error_not_a_loop(self):
        started = time.monotonic()
        with (
            mock.patch.object(chart_child, "child_main", chart_targets.die),
            self.assertRaisesMessage(chart_process.ChartDrawError, "exit code -9"),
        ):
            chart_process.draw_svg(bar_spec("A"))
        self.assertLess(time.monotonic() - started, 10)
        self.assertIsNone(chart_process.child_pid())
        # The next chart gets a working child.
        self.assertIn(">A<", chart_process.draw_svg(bar_spec("A")))

    def test_a_chart_that_takes_too_long_stops_its_child_with_a_clear_error(self):
        # A fresh child's first chart takes V8's start (tenths of a second): far over 1 ms.
        with (
            override_settings(CHARTS_DRAW_TIMEOUT=0.001),
            self.assertRaisesMessage(chart_process.ChartDrawError, "longer than 0.001 s"),
        ):
            chart_process.draw_svg(bar_spec("A"))
        self.assertIsNone(chart_process.child_pid())
        self.assertIn(">A<", chart_process.draw_svg(bar_spec("A")))

    def test_an_idle_child_stops_and_the_next_chart_starts_another(self):
        with override_settings(CHARTS_PROCESS_IDLE_SECONDS=0.3):
            chart_process.draw_svg(bar_spec("A"))
            pid = chart_process._drawer.process.pid
            self.assertIsNotNone(pid)
            self.assertTrue(wait_until(lambda: not alive(pid)))
            self.assertTrue(wait_until(lambda: chart_process.child_pid() is None))
            self.assertIn(">B<", chart_process.draw_svg(bar_spec("B")))
        self.assertNotIn(chart_process.child_pid(), (None, pid))

    def test_a_child_past_its_memory_limit_answers_then_stops(self):
        with override_settings(CHARTS_PROCESS_MAX_MB=1):
            svg = chart_process.draw_svg(bar_spec("A"))
            pid = chart_process._drawer.process.pid
            self.assertIn(">A<", svg)
            self.assertTrue(wait_until(lambda: not alive(pid)))
            self.assertIsNone(chart_process.child_pid())
            self.assertIn(">B<", chart_process.draw_svg(bar_spec("B")))

    def test_a_child_inherited_from_a_parent_process_is_neither_used_nor_stopped(self):
        import multiprocessing.util

        chart_process.draw_svg(bar_spec("A"))
        parents = chart_process.child_pid()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the forked process, as a gunicorn worker is forked from its master
            try:
                os.close(read)
                forgot = chart_process._drawer is None
                svg = chart_process.draw_svg(bar_spec("Forked"))
                own = chart_process.child_pid()
                chart_process.stop()
                multiprocessing.util._exit_function()  # what multiprocessing does at exit
                result = {"forgot": forgot, "drawn": ">Forked<" in svg, "own": own}
                os.write(write, json.dumps(result).encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            result = json.loads(pipe.read() or "{}")
        os.waitpid(pid, 0)
        self.assertEqual(result.get("forgot"), True)
        self.assertEqual(result.get("drawn"), True)
        self.assertNotIn(result.get("own"), (None, parents))
        # The parent's child was neither used nor stopped by the forked process.
        self.assertEqual(chart_process.child_pid(), parents)
        self.assertTrue(alive(parents))
        self.assertIn(">B<", chart_process.draw_svg(bar_spec("B")))
        self.assertEqual(chart_process.child_pid(), parents)

    def test_threads_drawing_at_once_each_get_their_own_chart(self):
        results: dict[int, str] = {}

        def draw(i):
            results[i] = chart_process.draw_svg(bar_spec(f"Label{i}"))

        threads = [threading.Thread(target=draw, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(sorted(results), list(range(6)))
        for i, svg in results.items():
            self.assertIn(f">Label{i}<", svg)


class WebProcessTests(SimpleTestCase):
    def test_a_web_process_that_draws_charts_never_loads_vl_convert(self):
        # A fresh process, as a web worker is: it draws a chart (through the cache, as pages
        # do) and reports whether V8's module was loaded in it.
        script = textwrap.dedent("""
            import json, sys, django
            django.setup()
            from django.test.utils import override_settings
            from diagnostic.analytics import chart_process, charts
            caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
            spec = {"data": {"values": [{"a": "Alpha", "b": 1}]}, "mark": "bar",
                    "encoding": {"x": {"field": "a", "type": "nominal"},
                                 "y": {"field": "b", "type": "quantitative"}}}
            with override_settings(CACHES=caches, CHARTS_DRAW_IN_SUBPROCESS=True):
                svg = charts.render_svg(spec)
                child = chart_process.child_pid()
                chart_process.stop()
            print(json.dumps({"drawn": ">Alpha<" in svg, "child": child,
                              "vl_convert": "vl_convert" in sys.modules}))
        """)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "diagnostic.settings"}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR,
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertTrue(result["drawn"])
        self.assertIsNotNone(result["child"])
        self.assertFalse(result["vl_convert"])

    def test_render_svg_hands_the_child_the_same_json_its_cache_key_is_made_from(self):
        spec = json.loads(bar_spec("A"))
        with (
            override_settings(
                CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
            ),
            mock.patch.object(chart_process, "draw_svg", return_value="<svg/>") as draw,
        ):
            self.assertEqual(charts.render_svg(spec), "<svg/>")
        self.assertEqual(draw.call_args.args[0], json.dumps(spec, sort_keys=True))
