#!/usr/bin/env python3
"""Checks recorded HTTP exchanges against docs/openapi.yaml with the reference JSON
Schema validator (draft 2020-12, which OpenAPI 3.1 uses).
Usage: check-openapi.py SPEC.yaml EXCHANGES.json
EXCHANGES.json is a list of {"method", "path", "status", "request"?, "response"}.
Each exchange's route, method and status must be documented, and its request and
response bodies must validate against the documented schemas. Prints one line per
problem; exit status 0 when all conform, 1 when one doesn't, 2 on usage errors."""
import json
import sys

try:
    import jsonschema
    import yaml
except ImportError as error:
    print(f"error: {error}; install with: python3 -m pip install jsonschema pyyaml", file=sys.stderr)
    sys.exit(2)


def pointer(spec, ref):
    target = spec
    for part in ref[2:].split("/"):
        target = target[part]
    return target


def deref(spec, node):
    while isinstance(node, dict) and set(node) == {"$ref"}:
        node = pointer(spec, node["$ref"])
    return node


def validator(spec, schema):
    document = dict(schema)
    document["components"] = spec["components"]
    return jsonschema.Draft202012Validator(document)


def main(arguments):
    if len(arguments) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(arguments[0], encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    with open(arguments[1], encoding="utf-8") as handle:
        exchanges = json.load(handle)
    if not str(spec.get("openapi", "")).startswith("3.1"):
        print(f"{arguments[0]}: not an OpenAPI 3.1 document", file=sys.stderr)
        return 1
    for name, schema in spec["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    problems = 0
    for exchange in exchanges:
        label = f'{exchange["method"]} {exchange["path"]} -> {exchange["status"]}'
        operation = spec["paths"].get(exchange["path"], {}).get(exchange["method"].lower())
        if operation is None:
            print(f"{label}: the route is not documented")
            problems += 1
            continue
        response = operation["responses"].get(str(exchange["status"]))
        if response is None:
            print(f"{label}: the status is not documented")
            problems += 1
            continue
        response = deref(spec, response)
        # A file's bytes (application/octet-stream) or no body at all: nothing to validate.
        content = response.get("content", {})
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            for error in validator(spec, schema).iter_errors(exchange["response"]):
                print(f"{label}: response{''.join(f'[{p!r}]' for p in error.absolute_path)}: {error.message}")
                problems += 1
        elif content and exchange["response"] is not None and "application/octet-stream" not in content:
            print(f"{label}: a body the spec doesn't describe")
            problems += 1
        if "request" in exchange and "application/json" in operation.get("requestBody", {}).get("content", {}):
            request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            for error in validator(spec, request_schema).iter_errors(exchange["request"]):
                print(f"{label}: request{''.join(f'[{p!r}]' for p in error.absolute_path)}: {error.message}")
                problems += 1
    methods = {"get", "put", "post", "patch", "delete", "head", "options"}
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item if method in methods}
    exercised = {(exchange["path"], exchange["method"].upper()) for exchange in exchanges}
    for path, method in sorted(documented - exercised):
        print(f"{method} {path}: documented but not exercised")
        problems += 1
    print(f"{len(exchanges)} exchanges checked against {arguments[0]}: {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
