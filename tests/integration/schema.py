"""schema.py - check JSON values against the schemas of an OpenAPI 3.0
document, standard library only.

Covers what src/api/openapi.json uses: $ref (to #/components/schemas),
allOf, nullable, type, enum, required, properties, additionalProperties,
items, minItems/maxItems, minimum/maximum, minLength, pattern and the
date-time format. Properties a schema does not name are allowed unless
additionalProperties says otherwise, as in OpenAPI. errors() returns every
mismatch as "path: what", so a failing test says where the answer and the
contract part."""
import re

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def resolve(doc, schema):
    while "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
        schema = node
    return schema


def errors(doc, schema, value, path="$"):
    """Every way value breaks schema (a list of sentences; empty if none)."""
    schema = resolve(doc, schema)
    if value is None:
        return [] if schema.get("nullable") else ["%s: null where it may not be" % path]
    found = []
    for sub in schema.get("allOf", []):
        found += errors(doc, sub, value, path)
    kind = schema.get("type")
    if kind and not TYPES[kind](value):
        return found + ["%s: %r is not of type %s" % (path, value, kind)]
    if "enum" in schema and value not in schema["enum"]:
        found.append("%s: %r not in %r" % (path, value, schema["enum"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append("%s: %r below %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            found.append("%s: %r above %r" % (path, value, schema["maximum"]))
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
        if len(value) < schema.get("minLength", 0):
            found.append("%s: %r is too short" % (path, value))
        if schema.get("format") == "date-time" and not DATE_TIME.match(value):
            found.append("%s: %r is not a date-time" % (path, value))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append("%s: %d items" % (path, len(value)))
        for i, item in enumerate(value):
            found += errors(doc, schema.get("items", {}), item, "%s[%d]" % (path, i))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append("%s: missing %r" % (path, name))
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                found += errors(doc, props[name], item, "%s.%s" % (path, name))
            elif extra is False:
                found.append("%s: unexpected %r" % (path, name))
            elif isinstance(extra, dict):
                found += errors(doc, extra, item, "%s.%s" % (path, name))
    return found


def response_schema(doc, path, method, status):
    """The JSON schema of one documented answer."""
    answer = doc["paths"][path][method]["responses"][str(status)]
    return answer["content"]["application/json"]["schema"]
