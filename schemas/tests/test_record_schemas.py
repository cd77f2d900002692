#!/usr/bin/env python3
"""The record schemas (schemas/record/v1) against the C++ model, which is the reference.

- Every sample record the C++ model makes (record_samples_tool: every class, value type, enum
  value and edge value) validates against record.schema.json, also in a strict mode that rejects
  undeclared properties, so the C++ output never carries a field the schema does not declare.
- The JSON Schema and the C++ parser agree on a list of malformed documents.
- The enums of the C++ model, the JSON Schema and the Avro schema are the same lists.
- record.avsc declares the same fields as record.schema.json, with matching optionality and types.
- Every sample converts to an Avro datum, is written by fastavro, read back by fastavro and by
  Apache Avro, and converts back to the same JSON document: nothing is lost either way.

Run by ctest as: test_record_schemas.py --tool <record_samples_tool> [unittest args]
"""

from __future__ import annotations

import argparse
import base64
import copy
import decimal
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

try:
    import avro.io
    import avro.schema
    import fastavro
    import jsonschema
except ImportError as e:  # pragma: no cover
    print(f"{e}: run pip install -r schemas/requirements-test.txt", file=sys.stderr)
    sys.exit(1)

HERE = Path(__file__).resolve().parent
V1 = HERE.parent / "record" / "v1"
TOOL: str | None = os.environ.get("SF_RECORD_TOOL")

JSON_SCHEMA = json.loads((V1 / "record.schema.json").read_text())
AVRO_TEXT = (V1 / "record.avsc").read_text()
AVRO_SCHEMA = json.loads(AVRO_TEXT)


def run_tool(*args: str) -> str:
    out = subprocess.run([TOOL, *args], check=True, capture_output=True, text=True)
    return out.stdout


def strict(schema: dict) -> dict:
    """A copy that rejects properties it does not declare (top level and $defs objects)."""
    s = copy.deepcopy(schema)
    s["additionalProperties"] = False
    for d in s["$defs"].values():
        if d.get("type") == "object" and "properties" in d:
            d["additionalProperties"] = False
    return s


def same(a, b) -> bool:
    """Deep equality that tells int from float from bool, and -0.0 from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


# --- JSON <-> Avro datum (docs/RECORD.md, "Avro") ---------------------------------------------

SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _scalar_to_avro(kind: str, v):
    if kind == "uint64":
        return decimal.Decimal(v)
    if kind == "double":
        return SPECIAL_DOUBLES[v] if isinstance(v, str) else float(v)
    if kind == "bytes":
        return base64.b64decode(v, validate=True)
    return v


def _scalar_from_avro(kind: str, v):
    if kind == "uint64":
        assert isinstance(v, decimal.Decimal) and v == v.to_integral_value(), v
        return int(v)
    if kind == "double":
        assert isinstance(v, float), v
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if kind == "bytes":
        assert isinstance(v, bytes), v
        return base64.b64encode(v).decode()
    if kind == "int64":
        assert isinstance(v, int) and not isinstance(v, bool), v
    return v


def value_to_avro(value_type: str, v):
    if value_type.endswith("_array"):
        return [_scalar_to_avro(value_type[:-6], x) for x in v]
    return None if value_type == "null" else _scalar_to_avro(value_type, v)


def value_from_avro(value_type: str, v):
    if value_type.endswith("_array"):
        return [_scalar_from_avro(value_type[:-6], x) for x in v]
    return None if value_type == "null" else _scalar_from_avro(value_type, v)


def to_avro(doc: dict) -> dict:
    datum = {}
    for f in AVRO_SCHEMA["fields"]:
        name = f["name"]
        if name == "value":
            datum[name] = value_to_avro(doc["value_type"], doc["value"])
        else:
            datum[name] = copy.deepcopy(doc.get(name))
    if datum["alarm"] is not None:
        datum["alarm"].setdefault("limit", None)
        if datum["alarm"]["limit"] is not None:
            datum["alarm"]["limit"] = float(datum["alarm"]["limit"])
    return datum


def from_avro(datum: dict) -> dict:
    doc = {}
    for f in AVRO_SCHEMA["fields"]:
        name = f["name"]
        v = datum[name]
        if name == "value":
            v = value_from_avro(datum["value_type"], v)
        elif v is None and f.get("default", "required") is None:
            continue  # optional and absent
        doc[name] = v
    if "alarm" in doc and doc["alarm"].get("limit") is None:
        doc["alarm"].pop("limit", None)
    return doc


def avro_enums(schema) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}

    def walk(s):
        if isinstance(s, list):
            for x in s:
                walk(x)
        elif isinstance(s, dict):
            if s.get("type") == "enum":
                found[s["name"]] = s["symbols"]
            for k in ("fields", "items", "values", "type"):
                if k in s:
                    walk(s[k])

    walk(schema)
    return found


class RecordSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not TOOL:
            raise unittest.SkipTest("no --tool (record_samples_tool) given")
        cls.tmp = tempfile.TemporaryDirectory()
        tmp = Path(cls.tmp.name)
        run_tool("records", str(tmp / "samples.jsonl"))
        run_tool("enums", str(tmp / "enums.json"))
        # Not splitlines(): it also splits at U+2028, which JSON strings may hold raw.
        lines = (tmp / "samples.jsonl").read_text(encoding="utf-8").split("\n")
        cls.samples = [json.loads(line) for line in lines if line]
        cls.enums = json.loads((tmp / "enums.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_schema_is_valid_2020_12(self):
        jsonschema.Draft202012Validator.check_schema(JSON_SCHEMA)
        self.assertEqual(JSON_SCHEMA["$schema"], "https://json-schema.org/draft/2020-12/schema")

    def test_samples_cover_every_class_and_value_type(self):
        self.assertGreater(len(self.samples), 100)
        self.assertEqual({s["class"] for s in self.samples}, set(self.enums["record_class"]))
        self.assertEqual({s["value_type"] for s in self.samples}, set(self.enums["value_type"]))
        self.assertTrue(any("id" not in s for s in self.samples))

    def test_samples_validate(self):
        for validator in (jsonschema.Draft202012Validator(JSON_SCHEMA),
                          jsonschema.Draft202012Validator(strict(JSON_SCHEMA))):
            for i, doc in enumerate(self.samples):
                errors = sorted(validator.iter_errors(doc), key=lambda e: e.path)
                self.assertFalse(errors, f"sample {i}: {[e.message for e in errors][:3]}\n{doc}")

    def test_examples_validate(self):
        validator = jsonschema.Draft202012Validator(strict(JSON_SCHEMA))
        examples = sorted((V1 / "examples").glob("*.json"))
        self.assertEqual([p.stem for p in examples], sorted(self.enums["record_class"]))
        for path in examples:
            doc = json.loads(path.read_text())
            self.assertEqual(doc["class"], path.stem)
            validator.validate(doc)

    def test_enums_match_cpp(self):
        props = JSON_SCHEMA["properties"]
        defs = JSON_SCHEMA["$defs"]
        json_enums = {
            "record_class": props["class"]["enum"],
            "value_type": props["value_type"]["enum"],
            "quality_level": defs["Quality"]["properties"]["level"]["enum"],
            "alarm_condition": defs["AlarmInfo"]["properties"]["condition"]["enum"],
            "alarm_state": defs["AlarmInfo"]["properties"]["state"]["enum"],
            "alarm_transition": defs["AlarmInfo"]["properties"]["transition"]["enum"],
            "severity_band": defs["AlarmInfo"]["properties"]["severity_band"]["enum"],
            "log_level": defs["LogInfo"]["properties"]["level"]["enum"],
        }
        avro_names = {
            "record_class": "RecordClass", "value_type": "ValueType",
            "quality_level": "QualityLevel", "alarm_condition": "AlarmCondition",
            "alarm_state": "AlarmState", "alarm_transition": "AlarmTransition",
            "severity_band": "SeverityBand", "log_level": "LogLevel",
        }
        found_avro = avro_enums(AVRO_SCHEMA)
        self.assertEqual(set(self.enums), set(json_enums))
        self.assertEqual(set(found_avro), set(avro_names.values()))
        for key, names in self.enums.items():
            self.assertEqual(json_enums[key], names, key)
            self.assertEqual(found_avro[avro_names[key]], names, key)

    def test_avro_declares_the_same_fields(self):
        defs = JSON_SCHEMA["$defs"]

        def resolve(node):
            if "$ref" in node:
                target = defs[node["$ref"].split("/")[-1]]
                return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return node

        def check(json_obj: dict, avro_record: dict, path: str):
            props = json_obj["properties"]
            required = set(json_obj["required"])
            fields = {f["name"]: f for f in avro_record["fields"]}
            self.assertEqual(list(props), list(fields), f"{path}: field names or order differ")
            for name, f in fields.items():
                where = f"{path}/{name}"
                t = f["type"]
                nullable = (isinstance(t, list) and t[0] == "null" and "default" in f
                            and f["default"] is None)
                if name != "value":
                    self.assertEqual(name not in required, nullable,
                                     f"{where}: optionality differs")
                if nullable:
                    t = t[1]
                j = resolve(props[name])
                if "enum" in j:
                    self.assertEqual(t["type"], "enum", where)
                    self.assertEqual(t["symbols"], j["enum"], where)
                elif j.get("type") == "object" and "properties" in j:
                    self.assertEqual(t["type"], "record", where)
                    check(j, t, where)
                elif j.get("type") == "object":
                    self.assertEqual(t, {"type": "map", "values": "string"}, where)
                elif name == "value":
                    self.assertEqual(
                        t[:6], ["null", "boolean", "long", "double", "string", "bytes"], where)
                else:
                    expected = {"string": "string", "boolean": "boolean", "number": "double"}
                    jt = j.get("type")
                    if "const" in j:
                        jt = "string"
                    if jt == "integer":
                        fits_int = (j.get("maximum", 2**63) <= 2**31 - 1
                                    and j.get("minimum", -1) >= -2**31)
                        self.assertEqual(t, "int" if fits_int else "long", where)
                    else:
                        self.assertEqual(t, expected[jt], where)

        check(JSON_SCHEMA, AVRO_SCHEMA, "")

    def test_avro_round_trip_is_lossless(self):
        parsed = fastavro.parse_schema(json.loads(AVRO_TEXT))
        apache = avro.schema.parse(AVRO_TEXT)
        for i, doc in enumerate(self.samples):
            datum = to_avro(doc)
            fastavro.validation.validate(datum, parsed, raise_errors=True)
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, parsed, datum)
            data = buf.getvalue()

            back = fastavro.schemaless_reader(io.BytesIO(data), parsed)
            # "ts" is derived, everything else must survive as is.
            self.assertTrue(same(from_avro(back), doc),
                            f"sample {i} (fastavro):\n{doc}\n{from_avro(back)}")

            reader = avro.io.DatumReader(apache)
            back2 = reader.read(avro.io.BinaryDecoder(io.BytesIO(data)))
            self.assertTrue(same(from_avro(back2), doc),
                            f"sample {i} (apache avro):\n{doc}\n{from_avro(back2)}")

    def test_schema_and_cpp_parser_agree(self):
        tele = json.loads((V1 / "examples" / "telemetry.json").read_text())
        alarm = json.loads((V1 / "examples" / "alarm.json").read_text())
        no_offset = copy.deepcopy(tele)
        del no_offset["id"], no_offset["offset"]

        def edit(base, fn):
            doc = copy.deepcopy(base)
            fn(doc)
            return doc

        def put(path, value):
            def fn(doc):
                *parents, last = path
                for p in parents:
                    doc = doc[p]
                doc[last] = value
            return fn

        def drop(*path):
            def fn(doc):
                *parents, last = path
                for p in parents:
                    doc = doc[p]
                del doc[last]
            return fn

        def typed(value_type, value):
            return edit(tele, lambda d: d.update(value_type=value_type, value=value))

        # (name, document, valid per JSON Schema, valid per C++ fromJson)
        cases = [
            ("example", tele, True, True),
            ("unknown field ignored", edit(tele, put(["x_new"], {"a": 1})), True, True),
            ("NaN double", edit(tele, put(["value"], "NaN")), True, True),
            ("int for double", edit(tele, put(["value"], 3)), True, True),
            ("no alarm limit", edit(alarm, drop("alarm", "limit")), True, True),
            ("no offset, no id", no_offset, True, True),
            ("nan lowercase", edit(tele, put(["value"], "nan")), False, False),
            ("alarm without alarm", edit(alarm, drop("alarm")), False, False),
            ("telemetry with event",
             edit(tele, put(["event"], {"type": "x", "from": "", "to": ""})), False, False),
            ("severity 0", edit(alarm, put(["alarm", "severity"], 0)), False, False),
            ("severity 1001", edit(alarm, put(["alarm", "severity"], 1001)), False, False),
            ("alarm limit NaN", edit(alarm, put(["alarm", "limit"], "NaN")), False, False),
            ("int64 1.5", typed("int64", 1.5), False, False),
            ("int64 2^63", typed("int64", 2**63), False, False),
            ("uint64 -1", typed("uint64", -1), False, False),
            ("uint64 2^64", typed("uint64", 2**64), False, False),
            ("uint64 max", typed("uint64", 2**64 - 1), True, True),
            ("bad base64", typed("bytes", "YWI"), False, False),
            ("null with value", edit(tele, put(["value_type"], "null")), False, False),
            ("bool_array mixed", typed("bool_array", [True, 1]), False, False),
            ("class metric", edit(tele, put(["class"], "metric")), False, False),
            ("schema 2", edit(tele, put(["schema"], "sf.record/2")), False, False),
            ("id without offset", edit(tele, drop("offset")), False, False),
            ("offset without id", edit(tele, drop("id")), False, False),
            ("empty stream with offset", edit(tele, lambda d: d.update(stream="", id="gw1//42")),
             False, False),
            ("gateway with slash", edit(no_offset, put(["gateway"], "a/b")), False, False),
            ("empty gateway", edit(no_offset, put(["gateway"], "")), False, False),
            ("telemetry without tag", edit(tele, put(["tag"], "")), False, False),
            ("missing unit", edit(tele, drop("unit")), False, False),
            ("quality code 2^32", edit(tele, put(["quality", "code"], 2**32)), False, False),
            ("quality level ok", edit(tele, put(["quality", "level"], "ok")), False, False),
            ("attribute not string", edit(tele, put(["attributes", "n"], 1)), False, False),
            ("ts as float", edit(tele, put(["source_ts_ns"], 1.5)), False, False),
            ("log level warn", edit(json.loads((V1 / "examples" / "log.json").read_text()),
                                    put(["log", "level"], "warn")), False, False),
            ("event without type", edit(json.loads((V1 / "examples" / "event.json").read_text()),
                                        put(["event", "type"], "")), False, False),
            # Known, documented differences: the schema cannot compare fields with each other
            # (id vs gateway/stream/offset); C++ ignores the derived fields ts and severity_band.
            ("id disagrees", edit(tele, put(["id"], "gw1/main/43")), True, False),
            ("wrong severity_band", edit(alarm, put(["alarm", "severity_band"], "low")),
             False, True),
            ("missing ts", edit(tele, drop("ts")), False, True),
            ("malformed ts", edit(tele, put(["ts"], "yesterday")), False, True),
        ]

        validator = jsonschema.Draft202012Validator(JSON_SCHEMA)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for _, doc, _, _ in cases:
                f.write(json.dumps(doc, separators=(",", ":")) + "\n")
            path = f.name
        try:
            verdicts = run_tool("parse", path).rstrip("\n").split("\n")
        finally:
            os.unlink(path)
        self.assertEqual(len(verdicts), len(cases))
        for (name, doc, schema_ok, cpp_ok), verdict in zip(cases, verdicts):
            with self.subTest(name):
                self.assertEqual(validator.is_valid(doc), schema_ok, f"JSON Schema on '{name}'")
                self.assertEqual(verdict == "ok", cpp_ok, f"C++ fromJson on '{name}': {verdict}")


def main():
    global TOOL
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--tool")
    args, rest = parser.parse_known_args()
    if args.tool:
        TOOL = args.tool
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
