#!/usr/bin/env python3
"""Checks YAML documents against schema/syncwright.schema.json with the reference
JSON Schema validator. Usage: check-json-schema.py SCHEMA.json FILE.yaml...
Exit status 0 when every file conforms, 1 when one doesn't, 2 on usage errors."""
import json
import sys

try:
    import jsonschema
    import yaml
    if not yaml.__with_libyaml__:
        raise ImportError("PyYAML was built without libyaml")
except ImportError as error:
    print(f"error: {error}; install with: python3 -m pip install jsonschema pyyaml", file=sys.stderr)
    sys.exit(2)


def main(arguments):
    if len(arguments) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(arguments[0], encoding="utf-8") as handle:
        schema = json.load(handle)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failures = 0
    for path in arguments[1:]:
        with open(path, encoding="utf-8") as handle:
            # libyaml reads YAML exactly as Syncwright does (Yams wraps the same library);
            # the pure-Python loader rejects `{ phone: string? }`, which is valid YAML.
            document = yaml.load(handle, Loader=yaml.CSafeLoader)
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
        for error in errors:
            location = "/".join(str(part) for part in error.absolute_path) or "(root)"
            print(f"{path}: {location}: {error.message}")
        failures += 1 if errors else 0
    print(f"{len(arguments) - 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
