"""Loading framework files: the shipped NPS 2018 file, idempotence, versions, rejections."""

import copy
from collections import Counter
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import CommandError, call_command
from django.test import TestCase

from diagnostic.frameworks.loaders import NPS_2018, load_framework_data, load_framework_file
from diagnostic.frameworks.models import (
    Enabler,
    FrameworkVersion,
    KeyArea,
    Level,
    LevelDescriptor,
    PublishedVersionIsImmutable,
    Theme,
    ValueCode,
)
from diagnostic.lib.problems import InvalidFile

THEMES = ["Showing leadership", "Behaving commercially", "Achieving community benefits"]
KEY_AREAS = {
    "Showing leadership": [
        "Engaging councillors",
        "Engaging senior managers",
        "Working with partners",
        "Engaging strategic suppliers",
    ],
    "Behaving commercially": [
        "Creating commercial opportunities",
        "Managing contracts and relationships",
        "Managing strategic risk",
    ],
    "Achieving community benefits": [
        "Obtaining social value",
        "Engaging local SMEs and micro-businesses",
        "Enabling VCSE engagement",
    ],
}
ENABLERS = [
    "Developing talent",
    "Exploiting digital technology",
    "Enabling innovation",
    "Embedding change",
]
LEVELS = ["Minimum", "Developing", "Mature", "Leader", "Innovator"]


def shipped() -> dict:
    return yaml.safe_load(NPS_2018.read_text(encoding="utf-8"))


class ShippedFrameworkTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.version = load_framework_file(NPS_2018).version

    def test_it_has_the_three_themes_in_order(self):
        names = list(Theme.objects.filter(version=self.version).values_list("name", flat=True))
        self.assertEqual(names, THEMES)

    def test_it_has_the_ten_key_areas_under_their_themes(self):
        for theme in Theme.objects.filter(version=self.version):
            names = list(theme.key_areas.order_by("position").values_list("name", flat=True))
            self.assertEqual(names, KEY_AREAS[theme.name])
        self.assertEqual(KeyArea.objects.filter(version=self.version).count(), 10)

    def test_it_has_the_four_enablers_and_five_levels(self):
        self.assertEqual(
            list(Enabler.objects.filter(version=self.version).values_list("name", flat=True)),
            ENABLERS,
        )
        levels = Level.objects.filter(version=self.version).order_by("number")
        self.assertEqual([(lv.number, lv.name) for lv in levels], list(enumerate(LEVELS, start=1)))

    def test_it_has_59_value_codes_each_with_five_descriptors_and_an_enabler(self):
        codes = ValueCode.objects.filter(version=self.version)
        self.assertEqual(codes.count(), 59)
        for vc in codes.prefetch_related("descriptors__level", "enablers"):
            levels = sorted(d.level.number for d in vc.descriptors.all())
            self.assertEqual(levels, [1, 2, 3, 4, 5], vc.code)
            self.assertGreaterEqual(vc.enablers.count(), 1, vc.code)
            self.assertTrue(vc.guidance.strip(), vc.code)
            # every key area has several value codes
        per_area = Counter(codes.values_list("key_area__name", flat=True))
        self.assertTrue(all(n >= 4 for n in per_area.values()), per_area)

    def test_no_descriptor_or_title_is_repeated(self):
        texts = list(LevelDescriptor.objects.values_list("text", flat=True))
        self.assertEqual(len(texts), 59 * 5)
        self.assertEqual(len(set(texts)), len(texts))
        titles = list(ValueCode.objects.values_list("title", flat=True))
        self.assertEqual(len(set(titles)), 59)

    def test_no_sentence_is_repeated_across_descriptors(self):
        sentences = Counter()
        for text in LevelDescriptor.objects.values_list("text", flat=True):
            for sentence in text.split(". "):
                if len(sentence) > 30:
                    sentences[sentence.strip(". ")] += 1
        repeated = [s for s, n in sentences.items() if n > 1]
        self.assertEqual(repeated, [])

    def test_loading_the_same_file_again_changes_nothing(self):
        counts = (FrameworkVersion.objects.count(), ValueCode.objects.count())
        result = load_framework_file(NPS_2018)
        self.assertFalse(result.created)
        self.assertEqual(result.version, self.version)
        self.assertEqual((FrameworkVersion.objects.count(), ValueCode.objects.count()), counts)

    def test_a_changed_file_becomes_a_new_revision_and_leaves_the_old_one_alone(self):
        data = shipped()
        original = data["themes"][0]["key_areas"][0]["value_codes"][0]["title"]
        data["themes"][0]["key_areas"][0]["value_codes"][0]["title"] = "A reworded title"
        result = load_framework_data(data, source_name="edited.yaml")
        self.assertTrue(result.created)
        self.assertEqual((result.version.label, result.version.revision), ("2018", 2))
        self.assertEqual(result.version.slug, "2018-r2")
        old = ValueCode.objects.get(version=self.version, code="EC1")
        new = ValueCode.objects.get(version=result.version, code="EC1")
        self.assertEqual(old.title, original)
        self.assertEqual(new.title, "A reworded title")
        self.assertEqual(ValueCode.objects.filter(version=result.version).count(), 59)

    def test_a_published_version_cannot_be_edited(self):
        vc = ValueCode.objects.get(version=self.version, code="EC1")
        vc.title = "Changed in place"
        with self.assertRaises(PublishedVersionIsImmutable):
            vc.save()
        with self.assertRaises(PublishedVersionIsImmutable):
            vc.delete()
        descriptor = vc.descriptors.first()
        descriptor.text = "Changed"
        with self.assertRaises(PublishedVersionIsImmutable):
            descriptor.save()


class RejectedFileTests(TestCase):
    def assertRejected(self, data, *expected: tuple[str, str]):
        with self.assertRaises(InvalidFile) as caught:
            load_framework_data(data)
        found = [(p.where, p.message) for p in caught.exception.problems]
        for where, fragment in expected:
            self.assertTrue(
                any(w == where and fragment in m for w, m in found),
                f"expected {where}: …{fragment}… in {found}",
            )
        self.assertEqual(FrameworkVersion.objects.count(), 0)
        self.assertEqual(ValueCode.objects.count(), 0)
        return found

    def test_it_lists_a_duplicate_value_code_with_both_places(self):
        data = shipped()
        data["themes"][2]["key_areas"][0]["value_codes"][1]["code"] = "EC1"
        self.assertRejected(
            data,
            (
                "themes[2].key_areas[0].value_codes[1].code",
                "duplicate value code code 'EC1' (first used at themes[0].key_areas[0].value_codes[0])",
            ),
        )

    def test_it_names_a_missing_level_descriptor(self):
        data = shipped()
        del data["themes"][1]["key_areas"][2]["value_codes"][3]["levels"][4]
        self.assertRejected(
            data,
            ("themes[1].key_areas[2].value_codes[3].levels", "missing level(s) 4"),
        )

    def test_it_names_an_unknown_enabler(self):
        data = shipped()
        data["themes"][0]["key_areas"][1]["value_codes"][0]["enablers"] = ["talent", "magic"]
        self.assertRejected(
            data, ("themes[0].key_areas[1].value_codes[0].enablers", "unknown enabler 'magic'")
        )

    def test_it_reports_a_wrong_level_count_for_every_value_code(self):
        data = shipped()
        data["levels"].append({"number": 6, "name": "Beyond", "colour": "#000000"})
        found = self.assertRejected(
            data, ("themes[0].key_areas[0].value_codes[0].levels", "the framework has 6 levels")
        )
        self.assertEqual(len([f for f in found if "missing level(s) 6" in f[1]]), 59)

    def test_it_reports_a_descriptor_for_a_level_that_does_not_exist(self):
        data = shipped()
        data["themes"][0]["key_areas"][0]["value_codes"][0]["levels"][7] = "Too far"
        self.assertRejected(
            data, ("themes[0].key_areas[0].value_codes[0].levels.7", "there is no level 7")
        )

    def test_it_collects_several_problems_at_once(self):
        data = shipped()
        data["framework"]["code"] = "Not A Slug"
        data["levels"][0]["colour"] = "red"
        data["themes"][0]["key_areas"][0]["value_codes"][0]["title"] = ""
        data["themes"][1]["key_areas"][0]["code"] = "EC"
        self.assertRejected(
            data,
            ("framework.code", "is not a valid code"),
            ("levels[0].colour", "'red' is not a hex colour"),
            ("themes[0].key_areas[0].value_codes[0].title", "is missing or empty"),
            ("themes[1].key_areas[0].code", "duplicate key area code 'EC'"),
        )

    def test_it_rejects_missing_sections_and_wrong_shapes(self):
        self.assertRejected({"framework": {"code": "x", "name": "X"}}, ("version", "must be a mapping"),
                            ("levels", "is missing"), ("themes", "is missing"))  # fmt: skip
        self.assertRejected(["not", "a", "mapping"], ("(file)", "must be a mapping"))
        data = shipped()
        data["themes"][0]["key_areas"] = "none"
        self.assertRejected(data, ("themes[0].key_areas", "must be a list"))

    def test_it_rejects_duplicate_level_numbers_and_gaps(self):
        data = shipped()
        data["levels"][1]["number"] = 1
        self.assertRejected(data, ("levels", "level number 1 appears 2 times"))
        data = shipped()
        data["levels"][4]["number"] = 9
        self.assertRejected(data, ("levels", "must run without gaps"))

    def test_it_rejects_a_file_that_is_not_yaml(self):
        path = Path(self.id().replace(".", "_") + ".yaml")
        tmp = Path("/tmp") / path
        tmp.write_text("framework: [unclosed\n  - nope: : :\n", encoding="utf-8")
        with self.assertRaises(InvalidFile) as caught:
            load_framework_file(tmp)
        self.assertIn("not valid YAML or JSON", caught.exception.problems[0].message)
        self.assertTrue(caught.exception.problems[0].where.startswith("line "))

    def test_a_json_file_in_the_same_shape_loads(self):
        import json

        tmp = Path("/tmp") / (self.id().replace(".", "_") + ".json")
        data = shipped()
        tmp.write_text(json.dumps(data), encoding="utf-8")
        result = load_framework_file(tmp)
        self.assertEqual(result.version.valuecodes.count(), 59)


class LoadFrameworkCommandTests(TestCase):
    def test_it_loads_the_shipped_file_by_default_and_says_so(self):
        out = StringIO()
        call_command("load_framework", stdout=out)
        self.assertIn(
            "Loaded NPS 2018: 3 themes, 10 key areas, 59 value codes, 5 levels, 4 enablers",
            out.getvalue(),
        )
        out = StringIO()
        call_command("load_framework", stdout=out)
        self.assertIn("already loaded", out.getvalue())
        self.assertEqual(FrameworkVersion.objects.count(), 1)

    def test_it_fails_with_every_problem_listed(self):
        data = copy.deepcopy(shipped())
        data["themes"][0]["key_areas"][0]["value_codes"][0]["enablers"] = ["nope"]
        del data["themes"][0]["key_areas"][0]["value_codes"][1]["levels"][5]
        tmp = Path("/tmp") / (self.id().replace(".", "_") + ".yaml")
        tmp.write_text(yaml.safe_dump(data, explicit_end=True), encoding="utf-8")
        with self.assertRaises(CommandError) as caught:
            call_command("load_framework", str(tmp), stdout=StringIO())
        message = str(caught.exception)
        self.assertIn("2 problem(s) found; nothing was stored", message)
        self.assertIn(
            "themes[0].key_areas[0].value_codes[0].enablers: unknown enabler 'nope'", message
        )
        self.assertIn("themes[0].key_areas[0].value_codes[1].levels: has 4 descriptor(s)", message)
        self.assertEqual(FrameworkVersion.objects.count(), 0)

    def test_it_reports_a_missing_file(self):
        with self.assertRaises(CommandError) as caught:
            call_command("load_framework", "/nonexistent/framework.yaml", stdout=StringIO())
        self.assertIn("cannot be read", str(caught.exception))
