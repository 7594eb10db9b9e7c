"""ndjson_schema.py - docs/ndjson.schema.json as a check other tests call on the NDJSON lines they get:
problems(rows) -> a list of "line N: message at path" (empty when every line is valid)."""
import json
import os
import sys

try:
    import jsonschema
except ImportError:  # Debian's python3-jsonschema, when python3 is another interpreter
    sys.path.append("/usr/lib/python3/dist-packages")
    import jsonschema

_SCHEMA = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "ndjson.schema.json")))
_VALIDATOR = jsonschema.Draft202012Validator(_SCHEMA, format_checker=jsonschema.FormatChecker())


def problems(rows):
    out = []
    for n, row in enumerate(rows, 1):
        for e in _VALIDATOR.iter_errors(row):
            out.append(f"line {n}: {e.message} at {list(e.path)}")
    return out
