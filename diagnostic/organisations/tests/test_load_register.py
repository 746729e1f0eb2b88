"""Loading the shipped register, and asking which organisations existed on a date."""

import csv
import datetime as dt
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import TestCase

from diagnostic.lib.problems import InvalidFile
from diagnostic.organisations.loaders import DATA_DIR, load_register
from diagnostic.organisations.models import CombinedAuthority, Organisation, Region
from diagnostic.organisations.queries import counts_by_region_and_type, register_on

ASSESSMENT_DAY_2018 = dt.date(2018, 7, 1)
TODAY = dt.date(2026, 11, 25)

# The tables in the data README: region -> (county, district, unitary, met, london, city, scilly)
TYPES = [
    "county", "non_metropolitan_district", "unitary", "metropolitan_borough",
    "london_borough", "city_of_london", "isles_of_scilly",
]  # fmt: skip
ENGLAND_2018 = {
    "North East": (0, 0, 7, 5, 0, 0, 0),
    "North West": (2, 18, 6, 15, 0, 0, 0),
    "Yorkshire and The Humber": (1, 7, 5, 9, 0, 0, 0),
    "East Midlands": (5, 36, 4, 0, 0, 0, 0),
    "West Midlands": (3, 19, 4, 7, 0, 0, 0),
    "East of England": (5, 41, 6, 0, 0, 0, 0),
    "London": (0, 0, 0, 0, 32, 1, 0),
    "South East": (7, 55, 12, 0, 0, 0, 0),
    "South West": (4, 25, 11, 0, 0, 0, 1),
}
ENGLAND_NOW = {
    "North East": (0, 0, 7, 5, 0, 0, 0),
    "North West": (1, 12, 8, 15, 0, 0, 0),
    "Yorkshire and The Humber": (0, 0, 6, 9, 0, 0, 0),
    "East Midlands": (4, 29, 6, 0, 0, 0, 0),
    "West Midlands": (3, 19, 4, 7, 0, 0, 0),
    "East of England": (5, 39, 6, 0, 0, 0, 0),
    "London": (0, 0, 0, 0, 32, 1, 0),
    "South East": (6, 51, 13, 0, 0, 0, 0),
    "South West": (2, 14, 12, 0, 0, 0, 1),
}


def as_table(counts: dict) -> dict:
    return {region: tuple(row.get(t, 0) for t in TYPES) for region, row in counts.items()}


class ShippedRegisterTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.result = load_register()

    def test_it_loads_every_council_and_region(self):
        self.assertEqual(Organisation.objects.count(), 430)
        self.assertEqual(Region.objects.count(), 12)
        self.assertEqual(self.result.created, 430)
        self.assertEqual(CombinedAuthority.objects.count(), 23)

    def test_353_english_councils_existed_on_1_july_2018(self):
        self.assertEqual(register_on(ASSESSMENT_DAY_2018, nations=["England"]).count(), 353)
        self.assertEqual(register_on(ASSESSMENT_DAY_2018, nations=["Wales"]).count(), 22)
        self.assertEqual(register_on(ASSESSMENT_DAY_2018, nations=["Northern Ireland"]).count(), 11)

    def test_317_english_councils_exist_now(self):
        self.assertEqual(register_on(TODAY, nations=["England"]).count(), 317)
        self.assertEqual(Organisation.objects.current().filter(nation="England").count(), 317)

    def test_counts_by_region_and_type_match_the_data_readme_in_2018(self):
        self.assertEqual(as_table(counts_by_region_and_type(ASSESSMENT_DAY_2018)), ENGLAND_2018)

    def test_counts_by_region_and_type_match_the_data_readme_now(self):
        self.assertEqual(as_table(counts_by_region_and_type(TODAY)), ENGLAND_NOW)

    def test_reorganisations_are_reflected_by_date(self):
        dorset_county = Organisation.objects.get(short_name="Dorset County")
        self.assertTrue(dorset_county.existed_on(dt.date(2019, 3, 31)))
        self.assertFalse(dorset_county.existed_on(dt.date(2019, 4, 1)))
        barnsley = Organisation.objects.get(gss_code="E08000038")
        self.assertEqual(barnsley.gss_code_2018, "E08000016")

    def test_districts_point_at_their_county_and_welsh_names_are_kept(self):
        self.assertEqual(
            Organisation.objects.get(short_name="Forest Heath").parent.short_name, "Suffolk"
        )
        self.assertEqual(Organisation.objects.get(gss_code="W06000015").name_cy, "Caerdydd")

    def test_combined_authority_membership_has_dates(self):
        wigan = Organisation.objects.get(gss_code="E08000010")
        names = [ca.ca_id for ca in wigan.combined_authorities_on(TODAY)]
        self.assertEqual(names, ["GMCA"])

    def test_loading_again_updates_in_place_without_duplicates(self):
        result = load_register()
        self.assertEqual((result.created, result.updated), (0, 0))
        self.assertEqual(Organisation.objects.count(), 430)


class RejectedRegisterTests(TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        for name in ["regions.csv", "councils.csv", "combined_authorities.csv",
                     "combined_authority_members.csv"]:  # fmt: skip
            shutil.copy(DATA_DIR / name, self.dir / name)
        self.addCleanup(shutil.rmtree, self.dir)

    def set_cell(self, name: str, row: int, column: str, value: str) -> None:
        """Change one cell; `row` counts as a spreadsheet does (the header is row 1)."""
        path = self.dir / name
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        rows[row - 2][column] = value
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def test_it_lists_every_bad_row_and_stores_nothing(self):
        self.set_cell("councils.csv", 2, "gss_code", "X06000001")
        self.set_cell("councils.csv", 3, "type", "unitarian")
        self.set_cell("councils.csv", 3, "region_code", "E12000099")
        self.set_cell("councils.csv", 3, "start_date", "2024-13-01")
        self.set_cell("councils.csv", 4, "nation", "Wales")
        self.set_cell("councils.csv", 5, "name", "")
        with self.assertRaises(InvalidFile) as caught:
            load_register(self.dir)
        problems = [str(p) for p in caught.exception.problems]
        self.assertEqual(
            problems,
            [
                "councils.csv row 2, column gss_code: 'X06000001' is not a GSS code",
                "councils.csv row 3, column type: unknown type 'unitarian'",
                "councils.csv row 3, column region_code: unknown region 'E12000099'",
                "councils.csv row 3, column start_date: '2024-13-01' is not a date (YYYY-MM-DD)",
                "councils.csv row 4, column nation: 'Wales' does not match region North East (England)",
                "councils.csv row 5, column name: must not be blank",
                # Hartlepool's code no longer exists, so its combined-authority row breaks too.
                "combined_authority_members.csv row 109, column council_gss_code: "
                "no council E06000001",
            ],
        )
        self.assertEqual(Organisation.objects.count(), 0)
        self.assertEqual(Region.objects.count(), 0)

    def test_a_bad_file_does_not_disturb_a_loaded_register(self):
        load_register(self.dir)
        before = list(Organisation.objects.order_by("pk").values_list("gss_code", "name"))
        self.set_cell("councils.csv", 2, "name", "Renamed Council")
        self.set_cell("combined_authority_members.csv", 2, "ca_id", "NOPE")
        with self.assertRaises(InvalidFile) as caught:
            load_register(self.dir)
        self.assertEqual(
            [str(p) for p in caught.exception.problems],
            ["combined_authority_members.csv row 2, column ca_id: unknown authority NOPE"],
        )
        after = list(Organisation.objects.order_by("pk").values_list("gss_code", "name"))
        self.assertEqual(before, after)

    def test_it_rejects_duplicates_unknown_parents_and_reversed_dates(self):
        self.set_cell("councils.csv", 3, "gss_code", "E06000001")
        self.set_cell("councils.csv", 71, "parent_gss_code", "E10000099")
        self.set_cell("councils.csv", 29, "start_date", "2020-01-01")  # Bournemouth ended 2019
        with self.assertRaises(InvalidFile) as caught:
            load_register(self.dir)
        self.assertEqual(
            [str(p) for p in caught.exception.problems],
            [
                "councils.csv row 3, column gss_code: duplicate code E06000001",
                "councils.csv row 29, column end_date: is before start_date",
                "councils.csv row 71, column parent_gss_code: no council E10000099",
                "combined_authority_members.csv row 110, column council_gss_code: "
                "no council E06000002",
            ],
        )

    def test_it_rejects_a_file_with_missing_columns(self):
        (self.dir / "regions.csv").write_text("code,name\nE12000001,North East\n", encoding="utf-8")
        with self.assertRaises(InvalidFile) as caught:
            load_register(self.dir)
        self.assertEqual(
            str(caught.exception.problems[0]),
            "regions.csv header: missing column(s): region_code, region, nation",
        )

    def test_the_command_fails_with_the_problems_listed(self):
        (self.dir / "councils.csv").unlink()
        with self.assertRaises(CommandError) as caught:
            call_command("load_organisations", str(self.dir), stdout=StringIO())
        self.assertIn("councils.csv: file not found", str(caught.exception))

    def test_the_command_reports_what_it_loaded(self):
        out = StringIO()
        call_command("load_organisations", str(self.dir), stdout=out)
        self.assertIn("12 regions, 430 organisations created, 0 updated", out.getvalue())
