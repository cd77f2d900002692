#!/usr/bin/env python3
"""Checks that the payload schemas under schemas/ evolve compatibly (rules: schemas/README.md).

Layout, per subject (e.g. record):
    <root>/<subject>/v<N>/<name>.schema.json   the current JSON Schema of major N
    <root>/<subject>/v<N>/<name>.avsc          the current Avro schema of major N
    <root>/<subject>/v<N>/released/<N>.<M>/    frozen copies of every released minor version

Each file names its version: "x-sf-version" (JSON Schema) and "sf_version" (Avro), "<N>.<M>".

Within a major, every version must be BACKWARD compatible with every earlier one (transitive):
    - Avro: a reader with the later schema reads data written with the earlier one
      (Apache Avro's own ReaderWriterCompatibilityChecker).
    - JSON Schema: the later schema accepts every document the earlier one accepts, except that
      new optional properties may constrain keys the earlier one left open (that is how an
      optional field is added). The check is structural and conservative: a change it cannot
      prove safe (an edited pattern, a new "not", a changed "if") is reported.
A released version must never change: the current files carry a version above the latest release,
or are identical to it. A new major (a new v<N+1> folder) starts a new line and is not compared
with the previous one.

Usage: check_compat.py [--root DIR] [--quiet]; exit 0 when compatible, 1 with problems, 2 on
missing tools (pip install -r schemas/requirements-test.txt).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import avro.schema
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
    import jsonschema
except ImportError as e:  # pragma: no cover - environment problem, not a schema problem
    print(f"check_compat.py: {e}; run: pip install -r schemas/requirements-test.txt",
          file=sys.stderr)
    sys.exit(2)

JSON_SUFFIX = ".schema.json"
AVRO_SUFFIX = ".avsc"
VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")

# Keywords that only annotate: changing them never changes what validates.
ANNOTATIONS = {
    "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated",
    "readOnly", "writeOnly", "contentEncoding", "contentMediaType", "format", "$defs",
}


# --- JSON Schema -----------------------------------------------------------------------------


class JsonCompat:
    """Proves, keyword by keyword, that `new` accepts everything `old` accepts."""

    def __init__(self, old_root: dict, new_root: dict):
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []
        self._seen: set[tuple[str, str]] = set()

    def _resolve(self, root: dict, node):
        hops = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref are supported, got {ref}")
            target = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **rest} if rest else target
            hops += 1
            if hops > 64:
                raise ValueError(f"$ref loop at {ref}")
        return node

    def problem(self, path: str, what: str):
        self.problems.append(f"{path or '/'}: {what}")

    def check(self) -> list[str]:
        self.compare(self.old_root, self.new_root, "")
        return self.problems

    def compare(self, old, new, path: str):
        key = (json.dumps(old, sort_keys=True), json.dumps(new, sort_keys=True))
        if key in self._seen:
            return
        self._seen.add(key)
        old = self._resolve(self.old_root, old)
        new = self._resolve(self.new_root, new)
        if new is True or new == {}:
            return
        if old is False:
            return
        if new is False:
            self.problem(path, "now rejects everything")
            return
        if old is True:
            old = {}

        keys = (set(old) | set(new)) - ANNOTATIONS
        for k in sorted(keys):
            if k.startswith("x-"):
                continue
            o, n = old.get(k), new.get(k)
            handler = getattr(self, "_kw_" + k.replace("$", ""), None)
            if handler is not None:
                handler(o, n, old, new, path)
            elif n is not None and o != n:
                self.problem(path, f"'{k}' changed; cannot prove compatible")

    # Each _kw_ handler: o, n are the keyword's old/new values (None when absent).

    def _kw_type(self, o, n, old, new, path):
        if n is None:
            return
        new_types = set([n] if isinstance(n, str) else n)
        if o is None:
            # Old accepted any type unless enum/const pinned it.
            pinned = old.get("enum")
            if pinned is None and "const" in old:
                pinned = [old["const"]]
            if pinned is None or not all(_json_type_ok(v, new_types) for v in pinned):
                self.problem(path, f"type narrowed to {sorted(new_types)}")
            return
        for t in [o] if isinstance(o, str) else o:
            if t not in new_types and not (t == "integer" and "number" in new_types):
                self.problem(path, f"type '{t}' no longer accepted")

    def _kw_enum(self, o, n, old, new, path):
        if n is None:
            return
        olds = o if o is not None else ([old["const"]] if "const" in old else None)
        if olds is None:
            self.problem(path, "enum added")
            return
        for v in olds:
            if not any(_json_equal(v, x) for x in n):
                self.problem(path, f"enum value {json.dumps(v)} removed")

    def _kw_const(self, o, n, old, new, path):
        if n is None:
            return
        olds = [o] if o is not None else old.get("enum")
        if olds is None or not all(_json_equal(v, n) for v in olds):
            self.problem(path, f"const {json.dumps(n)} narrows what was accepted")

    def _kw_required(self, o, n, old, new, path):
        added = set(n or []) - set(o or [])
        for name in sorted(added):
            self.problem(f"{path}/{name}", "newly required")

    def _kw_dependentRequired(self, o, n, old, new, path):
        for name, deps in (n or {}).items():
            extra = set(deps) - set((o or {}).get(name, []))
            if extra:
                self.problem(f"{path}/{name}", f"now requires {sorted(extra)} alongside")

    def _kw_properties(self, o, n, old, new, path):
        o, n = o or {}, n or {}
        for name, sub in n.items():
            if name in o:
                self.compare(o[name], sub, f"{path}/{name}")
            # A new property is the additive change the rules allow.
        for name in o:
            if name not in n:
                self.problem(f"{path}/{name}", "property removed")

    def _kw_additionalProperties(self, o, n, old, new, path):
        if n is None:
            return
        if o is None:
            o = True
        self.compare(o, n, f"{path}/*")

    def _kw_items(self, o, n, old, new, path):
        if n is None:
            return
        self.compare(o if o is not None else True, n, f"{path}[]")

    def _kw_prefixItems(self, o, n, old, new, path):
        o, n = o or [], n or []
        for i, sub in enumerate(n):
            self.compare(o[i] if i < len(o) else True, sub, f"{path}[{i}]")

    def _bound(self, o, n, path, name, lower: bool):
        if n is None:
            return
        if o is None or (n > o if lower else n < o):
            self.problem(path, f"'{name}' tightened from {o} to {n}")

    def _kw_minimum(self, o, n, old, new, path):
        self._bound(o, n, path, "minimum", True)

    def _kw_exclusiveMinimum(self, o, n, old, new, path):
        self._bound(o, n, path, "exclusiveMinimum", True)

    def _kw_minLength(self, o, n, old, new, path):
        self._bound(o, n, path, "minLength", True)

    def _kw_minItems(self, o, n, old, new, path):
        self._bound(o, n, path, "minItems", True)

    def _kw_minProperties(self, o, n, old, new, path):
        self._bound(o, n, path, "minProperties", True)

    def _kw_maximum(self, o, n, old, new, path):
        self._bound(o, n, path, "maximum", False)

    def _kw_exclusiveMaximum(self, o, n, old, new, path):
        self._bound(o, n, path, "exclusiveMaximum", False)

    def _kw_maxLength(self, o, n, old, new, path):
        self._bound(o, n, path, "maxLength", False)

    def _kw_maxItems(self, o, n, old, new, path):
        self._bound(o, n, path, "maxItems", False)

    def _kw_maxProperties(self, o, n, old, new, path):
        self._bound(o, n, path, "maxProperties", False)

    def _kw_pattern(self, o, n, old, new, path):
        if n is not None and o != n:
            self.problem(path, f"pattern changed to {n!r}; cannot prove it accepts what {o!r} did")

    def _kw_allOf(self, o, n, old, new, path):
        o = o or []
        for i, sub in enumerate(n or []):
            if any(_json_equal(sub, x) for x in o):
                continue
            if i < len(o):
                self.compare(o[i], sub, f"{path}/allOf[{i}]")
            else:
                self.problem(f"{path}/allOf[{i}]", "new constraint")

    def _any_of(self, o, n, path, name):
        if n is None:
            return
        if o is None:
            self.problem(path, f"'{name}' added")
            return
        for i, sub in enumerate(o):
            ok = False
            for cand in n:
                probe = JsonCompat(self.old_root, self.new_root)
                probe.compare(sub, cand, path)
                if not probe.problems:
                    ok = True
                    break
            if not ok:
                self.problem(f"{path}/{name}[{i}]", "no longer accepted by any branch")

    def _kw_anyOf(self, o, n, old, new, path):
        self._any_of(o, n, path, "anyOf")

    def _kw_oneOf(self, o, n, old, new, path):
        if n is not None and o is not None and len(n) != len(o):
            self.problem(path, "oneOf branches added or removed; cannot prove compatible")
        self._any_of(o, n, path, "oneOf")

    def _kw_not(self, o, n, old, new, path):
        if n is not None and not _json_equal(o, n):
            self.problem(path, "'not' changed; cannot prove compatible")

    def _kw_if(self, o, n, old, new, path):
        if _json_equal(o, n):
            return
        if n is None and "then" not in new and "else" not in new:
            return  # the whole conditional was dropped: a relaxation
        self.problem(path, "'if' changed; cannot prove compatible")

    def _kw_then(self, o, n, old, new, path):
        if n is not None:
            self.compare(o if o is not None else True, n, f"{path}/then")

    def _kw_else(self, o, n, old, new, path):
        if n is not None:
            self.compare(o if o is not None else True, n, f"{path}/else")


def _json_type_ok(value, types: set[str]) -> bool:
    kinds = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }
    return any(kinds.get(t, False) for t in types)


def _json_equal(a, b) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def json_problems(old: dict, new: dict) -> list[str]:
    return JsonCompat(old, new).check()


# --- Avro ------------------------------------------------------------------------------------


def avro_problems(old_text: str, new_text: str) -> list[str]:
    writer = avro.schema.parse(old_text)
    reader = avro.schema.parse(new_text)
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if result.compatibility == SchemaCompatibilityType.compatible:
        return []
    kinds = sorted({getattr(k, "name", str(k)) for k in result.incompatibilities})
    return [f"{', '.join(sorted(result.locations)) or '/'}: {', '.join(kinds)}: "
            f"{'; '.join(sorted(str(m) for m in result.messages))}"]


# --- layout ----------------------------------------------------------------------------------


@dataclass
class Version:
    label: str  # "1.0", or "current"
    number: tuple[int, int]
    directory: Path
    files: dict[str, Path] = field(default_factory=dict)  # file name -> path


def _version_of(path: Path) -> str | None:
    doc = json.loads(path.read_text())
    key = "x-sf-version" if path.name.endswith(JSON_SUFFIX) else "sf_version"
    return doc.get(key) if isinstance(doc, dict) else None


def _schema_files(directory: Path) -> dict[str, Path]:
    return {
        p.name: p
        for p in sorted(directory.iterdir())
        if p.is_file() and (p.name.endswith(JSON_SUFFIX) or p.name.endswith(AVRO_SUFFIX))
    }


def _parse(number: str) -> tuple[int, int] | None:
    m = VERSION_RE.match(number or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


@functools.lru_cache(maxsize=256)
def _check_parses(name: str, text: str) -> None:
    """Raises when the schema does not parse (cached: metaschema validation is slow)."""
    if name.endswith(JSON_SUFFIX):
        doc = json.loads(text)
        jsonschema.validators.validator_for(doc).check_schema(doc)
    else:
        avro.schema.parse(text)


def check_major(major_dir: Path, problems: list[str], log) -> int:
    """Checks one <subject>/v<N> folder. Returns the number of pairs compared."""
    major = int(major_dir.name[1:])
    where = major_dir.as_posix()
    current_files = _schema_files(major_dir)
    if not current_files:
        problems.append(f"{where}: no *{JSON_SUFFIX} or *{AVRO_SUFFIX} files")
        return 0

    # Every file parses and names its version.
    def load(files: dict[str, Path], label: str) -> tuple[int, int] | None:
        numbers = set()
        for name, path in files.items():
            try:
                _check_parses(name, path.read_text())
            except Exception as e:  # noqa: BLE001 - any parse failure is a finding
                problems.append(f"{path}: does not parse: {e}")
                continue
            number = _parse(_version_of(path))
            if number is None:
                problems.append(f"{path}: no version marker <major>.<minor>")
                continue
            if number[0] != major:
                problems.append(f"{path}: version {number[0]}.{number[1]} in folder v{major}")
            numbers.add(number)
        if len(numbers) > 1:
            problems.append(f"{where} ({label}): files disagree on the version: {sorted(numbers)}")
        return next(iter(numbers)) if len(numbers) == 1 else None

    current_number = load(current_files, "current")
    releases: list[Version] = []
    released_dir = major_dir / "released"
    if released_dir.is_dir():
        for d in sorted(released_dir.iterdir()):
            if not d.is_dir():
                continue
            number = _parse(d.name)
            if number is None or number[0] != major:
                problems.append(f"{d}: not a release folder name {major}.<minor>")
                continue
            files = _schema_files(d)
            found = load(files, d.name)
            if found is not None and found != number:
                problems.append(f"{d}: files say version {found[0]}.{found[1]}")
            releases.append(Version(d.name, number, d, files))
    releases.sort(key=lambda v: v.number)

    chain = list(releases)
    if current_number is not None:
        latest = releases[-1] if releases else None
        if latest and current_number < latest.number:
            problems.append(
                f"{where}: current version {current_number} below release {latest.label}")
        elif latest and current_number == latest.number:
            for name, path in current_files.items():
                frozen = latest.files.get(name)
                if frozen is None:
                    problems.append(f"{path}: not in release {latest.label} (bump the minor)")
                elif json.loads(path.read_text()) != json.loads(frozen.read_text()):
                    problems.append(
                        f"{path}: differs from released {latest.label}, which is frozen "
                        f"(bump x-sf-version/sf_version to {major}.{latest.number[1] + 1})")
        else:
            chain.append(Version("current", current_number, major_dir, current_files))

    pairs = 0
    for i, later in enumerate(chain):
        for earlier in chain[:i]:
            for name, new_path in later.files.items():
                old_path = earlier.files.get(name)
                if old_path is None:
                    continue  # a new schema file starts its own history
                if name.endswith(JSON_SUFFIX):
                    found = json_problems(json.loads(old_path.read_text()),
                                          json.loads(new_path.read_text()))
                else:
                    found = avro_problems(old_path.read_text(), new_path.read_text())
                pairs += 1
                tag = f"{name} {earlier.label} -> {later.label}"
                log(f"  {tag}: {'ok' if not found else 'INCOMPATIBLE'}")
                problems.extend(f"{where}/{tag}: {p}" for p in found)
            # A file that disappears within a major breaks its readers.
            for name in earlier.files:
                if name not in later.files:
                    problems.append(f"{where}: {name} removed in {later.label}")
    return pairs


def check_root(root: Path, log=print) -> list[str]:
    problems: list[str] = []
    majors = sorted(p for p in root.glob("*/v*") if p.is_dir() and re.fullmatch(r"v\d+", p.name))
    if not majors:
        problems.append(f"{root}: no <subject>/v<N> folders")
    for major_dir in majors:
        log(f"{major_dir.relative_to(root).as_posix()}:")
        pairs = check_major(major_dir, problems, log)
        if pairs == 0:
            log("  (nothing to compare yet)")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent,
                        help="folder holding <subject>/v<N>/ (default: this script's folder)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    problems = check_root(args.root, log=(lambda *_: None) if args.quiet else print)
    for p in problems:
        print(f"INCOMPATIBLE {p}", file=sys.stderr)
    print(f"check_compat: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
