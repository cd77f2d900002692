#!/usr/bin/env python3
"""check_compat.py on the repository's schemas, on fixtures, and on mutations of the real v1.

fixtures/compat/<case>/ each hold a toy subject whose current files change its release 1.0; the
case name says whether the change must pass (ok_*) or be rejected (bad_*). The mutation tests
do the same to a copy of schemas/record: a 1.1 that adds an optional field passes, and each
breaking change is rejected by both the JSON Schema and the Avro checks.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parent
sys.path.insert(0, str(SCHEMAS))

import check_compat  # noqa: E402


def quiet(*_):
    pass


class RepositorySchemasTest(unittest.TestCase):
    def test_every_subject_is_compatible(self):
        problems = check_compat.check_root(SCHEMAS, log=quiet)
        self.assertEqual(problems, [])

    def test_current_v1_is_released(self):
        # 1.0 is frozen; the current files equal it until someone starts 1.1.
        for name in ("record.schema.json", "record.avsc"):
            current = json.loads((SCHEMAS / "record" / "v1" / name).read_text())
            frozen = json.loads((SCHEMAS / "record" / "v1" / "released" / "1.0" / name).read_text())
            self.assertEqual(current, frozen, name)


class FixtureTest(unittest.TestCase):
    def test_fixtures(self):
        cases = sorted((HERE / "fixtures" / "compat").iterdir())
        self.assertTrue(any(c.name.startswith("ok_") for c in cases))
        self.assertTrue(any(c.name.startswith("bad_") for c in cases))
        for case in cases:
            with self.subTest(case.name):
                problems = check_compat.check_root(case, log=quiet)
                if case.name.startswith("ok_"):
                    self.assertEqual(problems, [])
                else:
                    self.assertTrue(problems, f"{case.name} was not rejected")
                    if case.name != "bad_edited_release":
                        # A breaking change is caught by both checkers.
                        self.assertTrue(any(".schema.json" in p for p in problems), problems)
                        self.assertTrue(any(".avsc" in p for p in problems), problems)

    def test_main_exit_codes(self):
        root = HERE / "fixtures" / "compat"
        self.assertEqual(check_compat.main(["--root", str(root / "ok_additive"), "--quiet"]), 0)
        self.assertEqual(
            check_compat.main(["--root", str(root / "bad_new_required_field"), "--quiet"]), 1)


class RecordMutationTest(unittest.TestCase):
    """Starts a 1.1 of the real record schema in a temporary copy and checks the verdict."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        shutil.copytree(SCHEMAS / "record", self.root / "record")
        self.v1 = self.root / "record" / "v1"
        self.json = json.loads((self.v1 / "record.schema.json").read_text())
        self.avro = json.loads((self.v1 / "record.avsc").read_text())
        self.json["x-sf-version"] = "1.1"
        self.avro["sf_version"] = "1.1"

    def tearDown(self):
        self.tmp.cleanup()

    def verdict(self) -> list[str]:
        (self.v1 / "record.schema.json").write_text(json.dumps(self.json))
        (self.v1 / "record.avsc").write_text(json.dumps(self.avro))
        return check_compat.check_root(self.root, log=quiet)

    @staticmethod
    def has(problems: list[str], file: str, text: str) -> bool:
        return any(file in p and text in p for p in problems)

    def avro_field(self, name: str, record: dict | None = None) -> dict:
        record = record or self.avro
        return next(f for f in record["fields"] if f["name"] == name)

    def alarm_avro(self) -> dict:
        return self.avro_field("alarm")["type"][1]

    def test_unchanged_1_1_passes(self):
        self.assertEqual(self.verdict(), [])

    def test_additive_optional_field_passes(self):
        self.json["properties"]["sequence"] = {"type": "integer", "minimum": 0}
        self.avro["fields"].append({"name": "sequence", "type": ["null", "long"], "default": None})
        alarm_props = self.json["$defs"]["AlarmInfo"]["properties"]
        alarm_props["shelved_until_ns"] = {"$ref": "#/$defs/int64"}
        self.alarm_avro()["fields"].append(
            {"name": "shelved_until_ns", "type": ["null", "long"], "default": None})
        self.assertEqual(self.verdict(), [])

    def test_new_enum_value_passes(self):
        self.json["$defs"]["AlarmInfo"]["properties"]["condition"]["enum"].append("deviation")
        self.alarm_avro()["fields"][1]["type"]["symbols"].append("deviation")
        self.assertEqual(self.verdict(), [])

    def test_new_required_field_is_rejected(self):
        self.json["properties"]["line"] = {"type": "string"}
        self.json["required"].append("line")
        self.avro["fields"].append({"name": "line", "type": "string"})
        problems = self.verdict()
        self.assertTrue(self.has(problems, "record.schema.json", "/line: newly required"), problems)
        self.assertTrue(self.has(problems, "record.avsc", "line"), problems)

    def test_removed_enum_value_is_rejected(self):
        self.json["properties"]["value_type"]["enum"].remove("bytes_array")
        self.avro_field("value_type")["type"]["symbols"].remove("bytes_array")
        problems = self.verdict()
        self.assertTrue(self.has(problems, "record.schema.json", "bytes_array"), problems)
        self.assertTrue(self.has(problems, "record.avsc", "bytes_array"), problems)

    def test_changed_type_is_rejected(self):
        self.json["$defs"]["AlarmInfo"]["properties"]["severity"] = {"type": "string"}
        self.alarm_avro()["fields"][2]["type"] = "string"
        problems = self.verdict()
        self.assertTrue(self.has(problems, "record.schema.json", "severity"), problems)
        self.assertTrue(any("record.avsc" in p for p in problems), problems)

    def test_tightened_bound_is_rejected(self):
        self.json["$defs"]["AlarmInfo"]["properties"]["severity"]["maximum"] = 999
        problems = self.verdict()
        self.assertTrue(any("maximum" in p for p in problems), problems)

    def test_removed_field_is_rejected(self):
        del self.json["properties"]["unit"]
        self.json["required"].remove("unit")
        problems = self.verdict()
        self.assertTrue(any("/unit: property removed" in p for p in problems), problems)

    def test_new_constraint_is_rejected(self):
        self.json["allOf"].append({"required": ["site"], "properties": {"site": {"minLength": 1}}})
        problems = self.verdict()
        self.assertTrue(any("new constraint" in p for p in problems), problems)

    def test_changed_pattern_is_rejected(self):
        self.json["properties"]["gateway"]["pattern"] = "^[a-z0-9]*$"
        problems = self.verdict()
        self.assertTrue(any("pattern changed" in p for p in problems), problems)

    def test_editing_a_release_is_rejected(self):
        self.json["x-sf-version"] = "1.0"
        self.avro["sf_version"] = "1.0"
        self.json["properties"]["site"]["description"] = "edited"
        problems = self.verdict()
        self.assertTrue(any("frozen" in p for p in problems), problems)

    def test_version_markers_must_agree(self):
        self.avro["sf_version"] = "1.2"
        problems = self.verdict()
        self.assertTrue(any("disagree" in p for p in problems), problems)

    def test_widening_passes(self):
        self.json["$defs"]["AlarmInfo"]["properties"]["severity"]["maximum"] = 10000
        self.alarm_avro()["fields"][2]["type"] = "long"  # int -> long: an Avro promotion
        self.json["properties"]["gateway"].pop("minLength")
        self.assertEqual(self.verdict(), [])

    def test_new_major_is_not_compared(self):
        v2 = self.root / "record" / "v2"
        v2.mkdir()
        j2 = copy.deepcopy(self.json)
        a2 = copy.deepcopy(self.avro)
        j2["x-sf-version"] = "2.0"
        a2["sf_version"] = "2.0"
        a2["namespace"] = "sf.record.v2"
        j2["required"].append("line")  # would be breaking within a major
        j2["properties"]["line"] = {"type": "string"}
        (v2 / "record.schema.json").write_text(json.dumps(j2))
        (v2 / "record.avsc").write_text(json.dumps(a2))
        self.json["x-sf-version"] = "1.0"
        self.avro["sf_version"] = "1.0"
        self.assertEqual(self.verdict(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
