"""Issue 13: mappings between framework versions — a documented file format, loaded and
checked like a framework; change between rounds on different versions only through one."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.test import TestCase
from django.utils import timezone

from diagnostic.analytics import queries
from diagnostic.analytics.comparison import comparable_rounds
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.assessments.testing import create_open_round
from diagnostic.frameworks.loaders import load_framework_data, load_framework_file
from diagnostic.frameworks.mappings import correspondence, load_mapping_file
from diagnostic.frameworks.models import ValueCode, ValueCodeCorrespondence, VersionMapping
from diagnostic.lib.problems import InvalidFile
from diagnostic.testing import create_personas

DATA = Path(__file__).resolve().parent / "data"


def later_data() -> dict:
    """The 4-level test framework's next version: OV1 renumbered GV1, OV3 dropped."""
    data = yaml.safe_load((DATA / "four-levels.yaml").read_text(encoding="utf-8"))
    data["version"] = {"label": "2025", "name": "CMCR 2025"}
    area = data["themes"][0]["key_areas"][0]
    area["value_codes"][0]["code"] = "GV1"
    del area["value_codes"][2]
    return data


PAIRS = {"OV1": "GV1", "OV2": "OV2", "PF1": "PF1", "PF2": "PF2", "VL1": "VL1", "VL2": "VL2"}


class MappingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.earlier = load_framework_file(DATA / "four-levels.yaml").version
        cls.later = load_framework_data(later_data()).version

    def write(self, data, *, end=True) -> Path:
        path = Path("/tmp") / (self.id().replace(".", "_") + ".yaml")
        path.write_text(yaml.safe_dump(data, explicit_end=end, sort_keys=False), encoding="utf-8")
        return path

    def mapping(self, **over) -> dict:
        data = {
            "mapping": {"from": {"framework": "contract-capability", "version": "2024"},
                        "to": {"framework": "contract-capability", "version": "2025"},
                        "description": "CMCR 2024 to 2025"},
            "value_codes": dict(PAIRS),
        }  # fmt: skip
        data.update(over)
        return data

    def refused(self, path) -> list[tuple[str, str]]:
        with self.assertRaises(InvalidFile) as caught:
            load_mapping_file(path)
        self.assertFalse(VersionMapping.objects.exists())
        self.assertFalse(ValueCodeCorrespondence.objects.exists())
        return [(p.where, p.message) for p in caught.exception.problems]

    def test_without_a_mapping_two_versions_do_not_correspond(self):
        self.assertIsNone(correspondence(self.earlier.pk, self.later.pk))
        same = correspondence(self.later.pk, self.later.pk)
        self.assertEqual(len(same), 6)
        self.assertTrue(all(a == b for a, b in same.items()))

    def test_a_mapping_loads_and_says_which_codes_correspond(self):
        mapping = load_mapping_file(self.write(self.mapping()))
        self.assertEqual(mapping.description, "CMCR 2024 to 2025")
        pairs = correspondence(self.earlier.pk, self.later.pk)
        code = dict(ValueCode.objects.values_list("pk", "code"))
        self.assertEqual({code[a]: code[b] for a, b in pairs.items()}, PAIRS)
        self.assertIsNone(correspondence(self.later.pk, self.earlier.pk))  # one direction

    def test_every_problem_is_listed_and_nothing_stored(self):
        data = self.mapping()
        data["value_codes"] = {**PAIRS, "OV3": "GV1", "XX1": "PF1", "VL2": "NOPE"}
        data["mapping"]["owner"] = "me"
        found = self.refused(self.write(data))
        self.assertIn(("value_codes.OV3", "'GV1' is already the match of 'OV1'; each value code "
                       "corresponds to one other"), found)  # fmt: skip
        self.assertIn(("value_codes.XX1", "'XX1' is not a value code of CMCR 2024"), found)
        self.assertIn(("value_codes.VL2", "'NOPE' is not a value code of CMCR 2025"), found)
        self.assertIn(("mapping.owner", "is not a field (known: from, to, description)"), found)

    def test_unknown_versions_the_same_version_and_a_file_cut_short(self):
        data = self.mapping()
        data["mapping"]["to"]["version"] = "2099"
        self.assertIn(
            ("mapping.to", "no loaded framework version 'contract-capability' '2099'"),
            self.refused(self.write(data)),
        )
        data = self.mapping()
        data["mapping"]["to"]["version"] = "2024"
        self.assertIn(
            ("mapping.to", "is the same version as mapping.from"), self.refused(self.write(data))
        )
        found = self.refused(self.write(self.mapping(), end=False))
        self.assertEqual(found[0][0], "(end of file)")

    def test_versions_with_different_levels_cannot_be_mapped(self):
        six = load_framework_file(DATA / "six-levels.yaml").version
        data = self.mapping()
        data["mapping"]["to"] = {"framework": "community-wealth", "version": "v3"}
        data["value_codes"] = {"OV1": "SP1"}
        found = self.refused(self.write(data))
        self.assertIn(("mapping", "the versions have 4 and 6 levels: a mapping can only join "
                       "versions with the same levels (a level means the same in both)"), found)  # fmt: skip
        self.assertEqual(six.levels.count(), 6)

    def test_a_second_mapping_for_the_same_pair_is_refused(self):
        load_mapping_file(self.write(self.mapping()))
        with self.assertRaises(InvalidFile) as caught:
            load_mapping_file(self.write(self.mapping(value_codes={"OV1": "GV1"})))
        self.assertIn("is loaded already", str(caught.exception.problems))
        self.assertEqual(VersionMapping.objects.count(), 1)


class ChangeAcrossVersionsTests(TestCase):
    """Rounds on different versions are compared only through a mapping, by value code."""

    @classmethod
    def setUpTestData(cls):
        people = create_personas()
        cls.earlier_v = load_framework_file(DATA / "four-levels.yaml").version
        cls.later_v = load_framework_data(later_data()).version
        orgs = [people["council_a"], people["council_b"]]
        cls.before, before = create_open_round(cls.earlier_v, orgs, name="CMCR 2024 round")
        cls.now, now = create_open_round(cls.later_v, orgs, name="CMCR 2025 round")
        Round.objects.filter(pk=cls.before.pk).update(
            opens_on=cls.before.opens_on.replace(year=2024)
        )
        for responses, version, level in ((before, cls.earlier_v, 1), (now, cls.later_v, 3)):
            Answer.objects.bulk_create(
                Answer(response=r, value_code=vc, current_level=level, version=1)
                for r in responses
                for vc in ValueCode.objects.filter(version=version)
            )
        Response.objects.update(status="submitted", submitted_at=timezone.now())

    def test_no_comparison_without_a_mapping(self):
        self.assertEqual(list(comparable_rounds(self.now)), [])
        with self.assertRaises(queries.NotComparable):
            queries.change_between(queries.Scope(self.now.pk), self.before.pk)

    def test_with_a_mapping_each_key_area_is_compared_over_its_mapped_value_codes(self):
        path = Path("/tmp") / (self.id().replace(".", "_") + ".yaml")
        path.write_text(yaml.safe_dump({
            "mapping": {"from": {"framework": "contract-capability", "version": "2024"},
                        "to": {"framework": "contract-capability", "version": "2025"}},
            "value_codes": {"OV1": "GV1", "PF1": "PF1", "PF2": "PF2"},
        }, explicit_end=True), encoding="utf-8")  # fmt: skip
        load_mapping_file(path)
        self.assertEqual(list(comparable_rounds(self.now)), [self.before])
        rows = {r["code"]: r for r in
                queries.change_between(queries.Scope(self.now.pk), self.before.pk)}  # fmt: skip
        self.assertEqual((rows["OV"]["mean_before"], rows["OV"]["mean_now"]), (1, 3))
        self.assertEqual(rows["OV"]["change"], 2)
        self.assertEqual(rows["PF"]["change"], 2)
        # Value for money has no mapped value code: no earlier figure, no change.
        self.assertEqual((rows["VL"]["mean_before"], rows["VL"]["change"]), (None, None))
