"""Decode the Kubernetes protobuf request bodies kubectl sends for built-in types (`k8s\\0` + runtime.Unknown),
for the few kinds the lab's API stand-in accepts. Field numbers are those of the upstream generated.proto.

Decoding only: the stand-in always answers in JSON, which kubectl accepts.
"""
from __future__ import annotations

MAGIC = b"k8s\x00"

# message -> field number -> (json name, type); type is "str", "bool", "int", a message name,
# "[type]" for repeated, "{}" for map<string,string>
SCHEMAS: dict[str, dict[int, tuple[str, str]]] = {
    "TypeMeta": {1: ("apiVersion", "str"), 2: ("kind", "str")},
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "bytes"), 3: ("contentEncoding", "str"),
                4: ("contentType", "str")},
    "ObjectMeta": {1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
                   6: ("resourceVersion", "str"), 11: ("labels", "{}"), 12: ("annotations", "{}")},
    "Subject": {1: ("kind", "str"), 2: ("apiGroup", "str"), 3: ("name", "str"), 4: ("namespace", "str")},
    "RoleRef": {1: ("apiGroup", "str"), 2: ("kind", "str"), 3: ("name", "str")},
    "PolicyRule": {1: ("verbs", "[str]"), 2: ("apiGroups", "[str]"), 3: ("resources", "[str]"),
                   4: ("resourceNames", "[str]"), 5: ("nonResourceURLs", "[str]")},
    "ClusterRoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "[Subject]"), 3: ("roleRef", "RoleRef")},
    "ClusterRole": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[PolicyRule]")},
    "ResourceAttributes": {1: ("namespace", "str"), 2: ("verb", "str"), 3: ("group", "str"), 4: ("version", "str"),
                           5: ("resource", "str"), 6: ("subresource", "str"), 7: ("name", "str")},
    "NonResourceAttributes": {1: ("path", "str"), 2: ("verb", "str")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta")},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "{}")},
    "Namespace": {1: ("metadata", "ObjectMeta")},
}
SCHEMAS["RoleBinding"] = SCHEMAS["ClusterRoleBinding"]
SCHEMAS["Role"] = SCHEMAS["ClusterRole"]


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i:i + size], i + size
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


def _value(kind: str, raw):
    if kind == "str":
        return raw.decode()
    if kind == "bytes":
        return raw
    if kind in ("int", "bool"):
        return bool(raw) if kind == "bool" else raw
    return decode_message(kind, raw)


def decode_message(name: str, buf: bytes) -> dict:
    schema, out = SCHEMAS[name], {}
    for number, raw in _fields(buf):
        if number not in schema:
            continue
        key, kind = schema[number]
        if kind == "{}":
            entry = {n: v.decode() for n, v in _fields(raw)}
            out.setdefault(key, {})[entry.get(1, "")] = entry.get(2, "")
        elif kind.startswith("["):
            out.setdefault(key, []).append(_value(kind[1:-1], raw))
        elif raw != b"":      # Go omits empty strings and empty messages from the JSON form
            out[key] = _value(kind, raw)
    return out


def decode(body: bytes) -> dict:
    """A `k8s\\0`-framed protobuf object as the JSON object it stands for."""
    if not body.startswith(MAGIC):
        raise ValueError("not a Kubernetes protobuf body")
    unknown = decode_message("Unknown", body[len(MAGIC):])
    kind = unknown.get("typeMeta", {}).get("kind", "")
    if kind not in SCHEMAS:
        raise ValueError(f"the lab cannot decode protobuf {kind or 'objects without a kind'}")
    obj = decode_message(kind, unknown.get("raw", b""))
    return {"apiVersion": unknown["typeMeta"].get("apiVersion", ""), "kind": kind, **obj}
