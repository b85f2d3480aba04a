"""Anonymise a (redacted) bundle for a ticket: account ids, ARNs' resource names, cluster names and
endpoints become stable pseudonyms (bundle spec, Redaction), so the problem's structure survives.

Pure. Same input → same pseudonym within a bundle (numbered in order of first sight over sorted
keys, then spread out: no hashes, which a 12-digit account id could be brute-forced from). Two
pseudonyms of a kind differ in at least three characters, so no "one character off" near miss is
invented, and names equal but for case stay so (aws-auth compares case-insensitively). Structure is kept: an ARN
stays a valid ARN of the same partition, service, region and type; a role path keeps its number of
segments; `AWSReservedSSO_<set>_<hex>` names and `aws-reserved/sso.amazonaws.com/<region>/` paths,
AWS-owned ARNs (`…::aws:…`), regions and service names stay as they are. It never touches secrets:
redact first.
"""
from __future__ import annotations

import copy
import ipaddress
import re
from urllib.parse import urlsplit

_ARN = re.compile(r"arn:(aws[a-z-]*):([a-z0-9-]*):([a-z0-9-]*):(\d{12}|aws|):([^\s\"'<>|,;\\()\[\]{}]+)")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_EKS_HOST = re.compile(r"^([A-Za-z0-9]{8,64})\.([a-z0-9]{2,5})\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com(\.cn)?$", re.I)
_SSO = re.compile(r"^AWSReservedSSO_(.+)_([0-9a-fA-F]{16})$")
_UUIDISH = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$|^[0-9a-f-]{20,}$", re.I)
_URL = re.compile(r"https?://[^\s\"'<>/|,;\\()]+", re.I)

# Path segments and names that are AWS's or Kubernetes' vocabulary, not the customer's.
KEEP = {
    "aws-reserved", "sso.amazonaws.com", "aws-service-role", "service-role", "role", "user", "root",
    "EKSGetTokenAuth", "aws", "iam", "eks", "sts", "admin", "cluster", "default", "system", "kube-system",
    "kube-public", "kube-node-lease", "namespace", "nodes", "masters", "edit", "view", "exec", "shell",
    "aws-auth", "configmaps", "pods", "deployments", "services", "secrets", "api", "version", "probe",
    "unknown-cluster", "moto", "kubernetes", "kubernetes-admin",
}


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _spread(n: int, alphabet: str, width: int) -> str:
    """The n-th of a scattered sequence of `width`-character words (a bijection mod len**width)."""
    size = len(alphabet) ** width
    value = (n * 48271 * 2654435761 + 12345) % size
    out = []
    for _ in range(width):
        value, digit = divmod(value, len(alphabet))
        out.append(alphabet[digit])
    return "".join(out)


def _far(word: str, others) -> bool:
    return all(sum(a != b for a, b in zip(word, o)) >= 3 for o in others if len(o) == len(word))


def _case_like(original: str, pseudonym: str) -> str:
    if original.isupper():
        return pseudonym.upper()
    return pseudonym[:1].upper() + pseudonym[1:] if original[:1].isupper() else pseudonym


class Pseudonyms:
    """value → pseudonym, one numbering per kind, fixed at first sight."""

    def __init__(self) -> None:
        self.table: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._words: dict[str, list[str]] = {}
        self._folded: dict[str, str] = {}

    def _word(self, kind: str, alphabet: str, width: int) -> str:
        """A fresh word for this kind, at least three characters from every earlier one."""
        used = self._words.setdefault(kind, [])
        while True:
            word = _spread(self._next(kind), alphabet, width)
            if _far(word, used):
                used.append(word)
                return word

    def pattern(self) -> re.Pattern | None:
        """Matches any known value as a whole word (longest first); rebuilt when the table grows."""
        if getattr(self, "_pattern_size", -1) != len(self.table):
            known = sorted((k for k in self.table if len(k) >= 3), key=len, reverse=True)
            self._pattern = re.compile(r"(?<![\w@.-])(?:" + "|".join(map(re.escape, known)) + r")(?![\w@-]|\.\w)") if known else None
            self._pattern_size = len(self.table)
        return self._pattern

    def _next(self, kind: str) -> int:
        self._counts[kind] = self._counts.get(kind, 0) + 1
        return self._counts[kind]

    def account(self, value: str) -> str:
        if value not in self.table:
            self.table[value] = "9" + self._word("account", "0123456789", 11)
        return self.table[value]

    def name(self, value: str, kind: str) -> str:
        if not value or value in KEEP or _REGION.match(value) or value.endswith(".amazonaws.com"):
            return value
        if value.startswith("AWSServiceRoleFor"):  # service-linked role names are AWS's
            return value
        if value not in self.table:
            folded = value.casefold()
            if folded not in self._folded:
                self._folded[folded] = self._fresh(value, kind)
            new = _case_like(value, self._folded[folded])
            if "@" in value:
                self.table.setdefault(value.replace("@", "-"), new.replace("@", "-"))  # {{SessionName}} form
            self.table[value] = new
        return self.table[value]

    def _fresh(self, value: str, kind: str) -> str:
        sso = _SSO.match(value)
        if sso:
            return f"AWSReservedSSO_{self.name(sso.group(1), 'PermissionSet')}_{self._word('ssohex', '0123456789abcdef', 16)}"
        if "@" in value:
            return f"{kind}-{self._word(kind, _LETTERS, 6)}@example.invalid"
        if re.fullmatch(r"i-[0-9a-f]{8,17}", value, re.I):
            return "i-" + self._word("instance", "0123456789abcdef", len(value) - 2)
        return f"{kind}-{self._word(kind, _LETTERS, 6)}"

    def host(self, host: str) -> str:
        if host in self.table:
            return self.table[host]
        eks = _EKS_HOST.match(host)
        if eks:
            label = self._word("endpoint", "0123456789ABCDEF", len(eks.group(1)))
            new = f"{label}.{eks.group(2)}.{eks.group(3)}.eks.amazonaws.com{eks.group(4) or ''}"
        else:
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                ip = None
            if ip is not None and (ip.is_private or ip.is_loopback):
                return host  # says "private endpoint" without naming anyone
            new = f"203.0.113.{self._next('ip')}" if ip is not None else f"endpoint-{self._word('host', _LETTERS, 6)}.example.invalid"
        self.table[host] = new
        return new


def _segment(p: Pseudonyms, value: str, kind: str) -> str:
    if re.fullmatch(r"\d{12}", value):
        return p.account(value)
    if _UUIDISH.match(value):
        return value
    return p.name(value, kind)


def anonymize_arn(p: Pseudonyms, text: str) -> str:
    match = _ARN.fullmatch(text)
    if match is None:
        return text
    partition, service, region, account, resource = match.groups()
    if account in ("aws", ""):
        return text  # AWS-owned: managed policies, access policies
    parts = resource.split("/")
    kind = parts[0]
    if service == "iam" and kind in ("role", "user", "instance-profile", "policy", "group"):
        path = [_segment(p, s, "path") for s in parts[1:-1]]
        parts = [kind, *path, p.name(parts[-1], "role" if kind == "instance-profile" else kind)] if len(parts) > 1 else parts
    elif service == "sts" and kind == "assumed-role" and len(parts) >= 3:
        parts = [kind, *(p.name(s, "role") for s in parts[1:-1]), p.name(parts[-1], "session")]
    elif service == "sts" and kind == "federated-user" and len(parts) == 2:
        parts = [kind, p.name(parts[1], "user")]
    elif service == "eks":
        parts = [kind, *(_segment(p, s, "cluster" if i == 0 else "name") for i, s in enumerate(parts[1:]))]
    else:
        parts = [_scrub(p, s) for s in parts]
    return f"arn:{partition}:{service}:{region}:{p.account(account)}:{'/'.join(parts)}"


def _host(url: str) -> str:
    """The host as written (urlsplit's hostname would lowercase it)."""
    netloc = urlsplit(url).netloc.rsplit("@", 1)[-1]
    return netloc.split("]")[0].lstrip("[") if netloc.startswith("[") else netloc.split(":")[0]


def _register(p: Pseudonyms, data) -> None:
    """First pass: give every ARN, cluster name and endpoint its pseudonym, in document order."""
    def walk(value, key=""):
        if isinstance(value, dict):
            for k in sorted(value, key=str):
                walk(value[k], str(k))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, key)
                if item in ("--cluster-name", "--cluster-id", "-i") and i + 1 < len(value) and isinstance(value[i + 1], str):
                    p.name(value[i + 1], "cluster")  # exec plugin args name the cluster the token is for
        elif isinstance(value, str):
            for match in _ARN.finditer(value):
                anonymize_arn(p, match.group(0).rstrip("."))
            if key in ("cluster", "clusterName", "x-k8s-aws-id") and not value.startswith("arn:"):
                p.name(value, "cluster")
            for url in _URL.finditer(value):
                host = _host(url.group(0))
                if key in ("endpoint", "server") or _EKS_HOST.match(host):
                    p.host(host)
    target = data.get("target") if isinstance(data.get("target"), dict) else {}
    if isinstance(target.get("cluster"), str):
        p.name(target["cluster"], "cluster")
    for record in (data.get("aws") or {}).get("eks:DescribeCluster") or []:
        cluster = (record.get("response") or {}).get("cluster") if isinstance(record, dict) else None
        if isinstance(cluster, dict) and isinstance(cluster.get("name"), str):
            p.name(cluster["name"], "cluster")
    walk(data)


def _scrub(p: Pseudonyms, text: str) -> str:
    """Replace every known account, name and host in free text (whole words only)."""
    pattern = p.pattern()
    return pattern.sub(lambda m: p.table[m.group(0)], text) if pattern else text


def _string(p: Pseudonyms, text: str) -> str:
    out, last = [], 0
    for match in _ARN.finditer(text):
        arn = match.group(0).rstrip(".")
        out.append(_scrub(p, text[last:match.start()]))
        out.append(anonymize_arn(p, arn))
        last = match.start() + len(arn)
    out.append(_scrub(p, text[last:]))
    return "".join(out)


def anonymize_bundle(data: dict) -> dict:
    """An anonymised deep copy; `redaction.anonymized` says so."""
    p = Pseudonyms()
    _register(p, data)

    def walk(value):
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return _string(p, value)
        return value

    result = walk(copy.deepcopy(data))
    result.setdefault("redaction", {})
    if isinstance(result["redaction"], dict):
        result["redaction"]["anonymized"] = True
    return result
