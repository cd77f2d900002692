#!/usr/bin/env python3
"""Checks real payloads (what a forwarder put on Kafka) against schemas/record/v1.

Usage: validate_payloads.py FILE [FILE ...]

Each FILE holds one JSON document per line (a Kafka message value). Every document must
- validate against record.schema.json, also in the strict form that rejects undeclared
  properties (the C++ output never carries a field the schema does not declare), and
- convert to an Avro datum of record.avsc that fastavro and Apache Avro write and read back to
  the same document (docs/RECORD.md, "Avro").

Prints one line per failing document (the first 20) and a summary; exits 1 when any fails, 2 on
usage errors. Integration tests call it on the messages they consume (tests/harness/schemas.h).
"""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_record_schemas as rs  # noqa: E402  (shares the JSON <-> Avro mapping)

MAX_REPORTED = 20


def check(doc, validators, parsed, apache) -> str | None:
    """None when the document passes, else why not."""
    for name, validator in validators:
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/" + "/".join(str(p) for p in e.path)
            return f"{name} JSON Schema at {where}: {e.message}"
    try:
        datum = rs.to_avro(doc)
        rs.fastavro.validation.validate(datum, parsed, raise_errors=True)
        buf = io.BytesIO()
        rs.fastavro.schemaless_writer(buf, parsed, datum)
        data = buf.getvalue()
        back = rs.fastavro.schemaless_reader(io.BytesIO(data), parsed)
        back2 = rs.avro.io.DatumReader(apache).read(rs.avro.io.BinaryDecoder(io.BytesIO(data)))
    except Exception as e:  # noqa: BLE001 (any failure of the conversion is the finding)
        return f"Avro: {type(e).__name__}: {e}"
    if not rs.same(rs.from_avro(back), doc):
        return "Avro round trip (fastavro) changed the document"
    if not rs.same(rs.from_avro(back2), doc):
        return "Avro round trip (Apache Avro) changed the document"
    return None


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    validators = [
        ("", rs.jsonschema.Draft202012Validator(rs.JSON_SCHEMA)),
        ("strict", rs.jsonschema.Draft202012Validator(rs.strict(rs.JSON_SCHEMA))),
    ]
    parsed = rs.fastavro.parse_schema(json.loads(rs.AVRO_TEXT))
    apache = rs.avro.schema.parse(rs.AVRO_TEXT)
    total, failed = 0, 0
    classes: Counter[str] = Counter()
    for name in argv:
        # Not splitlines(): it also splits at U+2028, which JSON strings may hold raw.
        lines = Path(name).read_text(encoding="utf-8").split("\n")
        for n, line in enumerate(lines, start=1):
            if not line:
                continue
            total += 1
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as e:
                why = f"not JSON: {e}"
            else:
                why = check(doc, validators, parsed, apache)
                if why is None:
                    classes[doc.get("class", "?")] += 1
            if why is not None:
                failed += 1
                if failed <= MAX_REPORTED:
                    print(f"{name}:{n}: {why}: {line[:300]}")
    per_class = ", ".join(f"{c} {k}" for k, c in sorted(classes.items()))
    print(f"{total} payload(s), {total - failed} valid ({per_class or 'none'}), {failed} invalid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
