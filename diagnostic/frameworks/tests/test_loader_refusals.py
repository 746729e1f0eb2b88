"""Issue 13: what the framework loader refuses, with a precise message and nothing stored.

A file cut short, a key given twice, a field the format does not have (at any depth), a level
key that is not a level number, and levels not numbered from 1. A quoted level key ('1':) is
the same level as 1: it loads, without a traceback. Text is stored trimmed, as it was checked.
"""

from __future__ import annotations

from pathlib import Path

from django.test import TestCase

from diagnostic.frameworks.loaders import load_framework_file
from diagnostic.frameworks.models import (
    Framework,
    FrameworkVersion,
    LevelDescriptor,
    ValueCode,
)
from diagnostic.lib.problems import InvalidFile

FOUR = Path(__file__).resolve().parent / "data" / "four-levels.yaml"


class LoaderRefusalTests(TestCase):
    def write(self, text: str) -> Path:
        path = Path("/tmp") / (self.id().replace(".", "_") + ".yaml")
        path.write_text(text, encoding="utf-8")
        return path

    def refused(self, text: str) -> list[tuple[str, str]]:
        before = (FrameworkVersion.objects.count(), ValueCode.objects.count())
        with self.assertRaises(InvalidFile) as caught:
            load_framework_file(self.write(text))
        self.assertEqual((FrameworkVersion.objects.count(), ValueCode.objects.count()), before)
        return [(p.where, p.message) for p in caught.exception.problems]

    def source(self) -> str:
        return FOUR.read_text(encoding="utf-8")

    def test_a_file_cut_short_mid_descriptor_is_refused_and_no_revision_is_made(self):
        load_framework_file(FOUR)
        text = self.source()
        cut = text.index("Spend analysis is shared") + len("Spend analysis is")
        found = self.refused(text[:cut])  # still valid YAML: the last descriptor is cut short
        self.assertEqual(len(found), 1, found)
        where, message = found[0]
        self.assertEqual(where, "(end of file)")
        self.assertIn("the last line must be '...'", message)
        self.assertIn("may have been cut short", message)
        self.assertEqual(FrameworkVersion.objects.count(), 1)  # no "2024-r2"

    def test_a_key_given_twice_is_refused_with_both_lines(self):
        text = self.source().replace(
            "            title: Risks are reviewed\n",
            "            title: Risks are reviewed\n            title: Risks are checked\n",
        )
        found = self.refused(text)
        line = text.splitlines().index("            title: Risks are checked") + 1
        self.assertIn(
            (f"line {line}, column 13",
             f"the key 'title' is given twice in the same place (first on line {line - 1}); keep one"),
            found,
        )  # fmt: skip

    def test_a_duplicate_top_level_section_is_refused(self):
        found = self.refused(self.source().replace("enablers:\n", "levels: []\nenablers:\n", 1))
        self.assertTrue(any("the key 'levels' is given twice" in m for _, m in found), found)

    def test_unknown_fields_are_refused_at_every_depth(self):
        text = (
            self.source()
            .replace("            title: Exit plans exist\n",
                     "            title: Exit plans exist\n            guidence: Look for tests.\n")
            .replace("    name: Basic\n", "    name: Basic\n    color: \"#000000\"\n")
            .replace("  name: CMCR 2024\n", "  name: CMCR 2024\n  year: 2024\n")
            .replace("        name: Oversight\n", "        name: Oversight\n        owner: Jo\n")
            .replace("    name: Governance\n", "    name: Governance\n    colour: \"#000000\"\n")
        )  # fmt: skip
        found = dict(self.refused(text))
        self.assertEqual(
            found["themes[0].key_areas[0].value_codes[2].guidence"],
            "is not a field of a value code (known: code, title, description, guidance, "
            "enablers, levels); did you mean 'guidance'?",
        )
        self.assertIn("did you mean 'colour'?", found["levels[0].color"])
        self.assertIn("is not a field of a version", found["version.year"])
        self.assertIn("is not a field of a key area", found["themes[0].key_areas[0].owner"])
        self.assertIn("is not a field of a theme", found["themes[0].colour"])

    def test_a_quoted_level_key_is_the_same_level_and_loads_without_a_traceback(self):
        plain = load_framework_file(FOUR).version
        text = self.source().replace(
            "              1: Owners are unknown", "              '1': Owners are unknown"
        )
        result = load_framework_file(self.write(text))
        self.assertFalse(result.created)  # the same content: already loaded
        self.assertEqual(result.version, plain)
        text = text.replace("name: Contract Management Capability Review", "name: CMCR quoted")
        version = load_framework_file(self.write(text)).version
        self.assertEqual(
            LevelDescriptor.objects.get(value_code__version=version, value_code__code="OV1",
                                        level__number=1).text,
            "Owners are unknown for many contracts.",
        )  # fmt: skip

    def test_a_level_key_that_is_not_a_level_number_is_refused(self):
        for key, message in [
            ("'01'", "'01' is not a level number"),
            ("one", "'one' is not a level number"),
            ("1.5", "'1.5' is not a level number"),
        ]:
            with self.subTest(key):
                text = self.source().replace(
                    "              1: Owners are unknown",
                    f"              {key}: Owners are unknown",
                )
                found = self.refused(text)
                self.assertIn(("themes[0].key_areas[0].value_codes[0].levels", message), found)

    def test_a_level_given_twice_as_1_and_quoted_1_is_refused(self):
        text = self.source().replace(
            "              1: Owners are unknown for many contracts.\n",
            "              1: Owners are unknown for many contracts.\n              '1': Again.\n",
        )
        found = self.refused(text)
        self.assertIn(
            ("themes[0].key_areas[0].value_codes[0].levels.1",
             "level 1 has more than one descriptor"),
            found,
        )  # fmt: skip

    def test_levels_must_be_numbered_from_1(self):
        text = self.source()
        for n in (4, 3, 2, 1):
            text = text.replace(f"  - number: {n}\n", f"  - number: {n - 1}\n")
            text = text.replace(f"              {n}: ", f"              {n - 1}: ")
        found = self.refused(text)
        self.assertIn(
            (
                "levels[0].number",
                "must be a whole number of 1 or more (0 means 'not yet assessed')",
            ),
            found,
        )

    def test_text_is_stored_trimmed_as_it_was_checked(self):
        title = "T" * 200
        text = (
            self.source()
            .replace("title: Contracts have named owners", f'title: "  {title}  "')
            .replace("name: Oversight", 'name: "  Oversight  "')
        )
        version = load_framework_file(self.write(text)).version
        vc = ValueCode.objects.get(version=version, code="OV1")
        self.assertEqual(vc.title, title)
        self.assertEqual(vc.key_area.name, "Oversight")
        found = self.refused(
            self.source()
            .replace("name: Contract Management Capability Review", "name: Other")
            .replace("title: Contracts have named owners", f'title: "  {title}x  "')
        )
        self.assertIn(
            ("themes[0].key_areas[0].value_codes[0].title", "is longer than 200 characters"),
            found,
        )
        self.assertEqual(Framework.objects.count(), 1)
