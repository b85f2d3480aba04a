"""yamlread.safe_load gives exactly what PyYAML's safe_load gives (values and errors), on every aws-auth
text the project ships and on generated texts near the line reader's shape."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksdoctor.model import yamlread

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))


def corpus() -> list[str]:
    """Every aws-auth section text the project ships: fixtures, examples, lab scenarios, the benchmark's."""
    from lab.scenario import SCENARIOS
    from scale import aws_auth_data
    texts = []
    for path in [*ROOT.glob("fixtures/*/bundle.json"), *ROOT.glob("eksdoctor/examples/*.json")]:
        doc = json.loads(path.read_text())
        for record in (doc.get("kubernetes") or {}).get("configmaps/kube-system/aws-auth") or []:
            texts += [v for v in ((record.get("response") or {}).get("data") or {}).values() if isinstance(v, str)]
    for scenario in SCENARIOS.values():
        texts += [v for v in (scenario.aws_auth or {}).values()]
    texts += list(aws_auth_data(40).values())
    return texts


CORPUS = corpus()


def pure(text: str):
    try:
        return "ok", yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return "error", str(exc)


def ours(text: str):
    try:
        return "ok", yamlread.safe_load(text)
    except yaml.YAMLError as exc:
        return "error", str(exc)


def test_the_corpus_is_large_and_mostly_takes_the_line_reader():
    assert len(CORPUS) > 40
    simple = [t for t in CORPUS if yamlread.simple_rows(t) is not None]
    assert len(simple) > len(CORPUS) / 2


@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_every_shipped_aws_auth_text_reads_the_same(index):
    assert ours(CORPUS[index]) == pure(CORPUS[index])


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")
def test_libyaml_is_no_drop_in_replacement():
    """Why yamlread does not use CSafeLoader: it reads texts PyYAML refuses, and its nodes differ."""
    assert pure("0\t:")[0] == "error"
    assert yaml.load("0\t:", Loader=yaml.CSafeLoader) == {0: None}
    fast, slow = yaml.compose("a: b", Loader=yaml.CSafeLoader), yaml.compose("a: b")
    assert (fast.value[0][1].style, slow.value[0][1].style) == ("", None)
    assert (fast.end_mark.line, slow.end_mark.line) == (1, 0)


def test_a_yaml_error_is_the_pure_parsers_whatever_is_installed():
    broken = "- rolearn: arn:aws:iam::111122223333:role/dev\n  username: dev\n   groups:\n    - devs\n"
    with pytest.raises(yaml.YAMLError) as ours_error:
        yamlread.safe_load(broken)
    with pytest.raises(yaml.YAMLError) as pure_error:
        yaml.safe_load(broken)
    assert str(ours_error.value) == str(pure_error.value)


# Generated texts near the line reader's shape: indentation, quoting, flow lists, comments, YAML's
# other meanings of plain words (yes, 1:20, ~, 0x1F, 2001-01-01), indicators, tabs and odd line breaks.
WORDS = ["rolearn", "userarn", "username", "groups", "sso", "yes", "No", "null", "~", "on", "1:20", "0x1F", "012",
         "2001-01-01", "1e3", ".inf", "=", "<<", "...", "---", "arn:aws:iam::111122223333:role/dev",
         "system:node:{{EC2PrivateDNSName}}", "dev:{{SessionName}}", "{{SessionName}}", "a b", "a  b", "x#y", "x #y",
         "a: b", "a:", ":a", "-a", "- a", "?a", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a", "'a'", '"a"', "'a", '"a',
         "'it''s'", '"a\\tb"', "[a]", "[a, b]", "[]", "[ ]", "[a, ]", "[a, [b]]", "{a: b}", "a,b", "a]", "a?b", "",
         "é", "a\tb", "a\rb", "a\x85b", "a\u2028b", "\ufeffa"]
word = st.sampled_from(WORDS) | st.text(alphabet="ab:-#{}[]'\" ,?&*!|>%@`~.019\t\r", max_size=8)
indent = st.sampled_from(["", " ", "  ", "   ", "    ", "      "])
line = st.one_of(
    st.builds(lambda i, s, k, v: f"{i}-{s}{k}:{v}", indent, st.sampled_from([" ", "  ", "   ", ""]), word,
              st.one_of(st.just(""), word.map(lambda w: " " + w))),
    st.builds(lambda i, k, v: f"{i}{k}:{v}", indent, word, st.one_of(st.just(""), word.map(lambda w: " " + w))),
    st.builds(lambda i, w: f"{i}- {w}", indent, word),
    st.builds(lambda i, w: f"{i}{w}", indent, word),
    st.builds(lambda i: f"{i}# a comment", indent),
    st.just(""),
)
texts = st.lists(line, min_size=1, max_size=12).map("\n".join) | st.lists(line, min_size=1, max_size=12).map("\r\n".join)


@st.composite
def row_lists(draw):
    """Rows like people write them (block or flow lists, quoted or plain), with tricky words, and now
    and then one line moved, dropped in or broken."""
    good = st.sampled_from(["arn:aws:iam::111122223333:role/dev", "dev:{{SessionName}}", "system:masters", "a b", "x#y"])
    value = st.one_of(good, good, word)
    lines = []
    base = draw(st.sampled_from(["", "", " ", "  "]))
    for _ in range(draw(st.integers(1, 4))):
        gap = draw(st.sampled_from([" ", " ", "   "]))
        key_pad = base + " " * (1 + len(gap))
        keys = draw(st.lists(st.sampled_from(["rolearn", "username", "groups", "userarn", '"groups"', "'k'", "yes"]) | word,
                             min_size=1, max_size=4))
        for i, key in enumerate(keys):
            prefix = f"{base}-{gap}" if i == 0 else key_pad
            shape = draw(st.integers(0, 3))
            if shape == 0:
                lines.append(f"{prefix}{key}: {draw(value)}")
            elif shape == 1:
                lines.append(f"{prefix}{key}: [{', '.join(draw(st.lists(value, max_size=3)))}]")
            else:
                lines.append(f"{prefix}{key}:")
                item_pad = key_pad + draw(st.sampled_from(["", "  ", "    "]))
                lines += [f"{item_pad}- {draw(value)}" for _ in range(draw(st.integers(0, 3)))]
    if lines and draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(line))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts | row_lists())
def test_generated_texts_read_the_same(text):
    rows = yamlread.simple_rows(text)
    if rows is not None:
        assert pure(text) == ("ok", rows)
    assert ours(text) == pure(text)


def tree(node):
    """A node as plain data: tag, style, value, and the line and column where it starts and ends."""
    if node is None:
        return None
    where = (node.start_mark.line, node.start_mark.column, node.end_mark.line, node.end_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.style, node.value, where)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, [tree(n) for n in node.value], where)
    return ("map", node.tag, [(tree(k), tree(v)) for k, v in node.value], where)


def pure_trees(text: str):
    try:
        return "ok", [tree(n) for n in yaml.compose_all(text)]
    except yaml.YAMLError as exc:
        return "error", str(exc)


def our_trees(text: str):
    try:
        return "ok", [tree(n) for n in yamlread.compose_all(text)]
    except yaml.YAMLError as exc:
        return "error", str(exc)


def manifest(sections: dict, header: str = "|", indent: str = "    ") -> str:
    """A ConfigMap as `kubectl get configmap aws-auth -o yaml` writes it, sections as literal blocks."""
    out = "apiVersion: v1\ndata:\n"
    for key, text in sections.items():
        out += f"  {key}: {header}\n" + "".join(indent + line if line else "" for line in text.splitlines(keepends=True))
    return out + "kind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n"


@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_every_shipped_aws_auth_text_composes_the_same_inside_a_manifest(index):
    text = manifest({"mapRoles": CORPUS[index], "mapUsers": CORPUS[-1]})
    assert our_trees(text) == pure_trees(text)


ordinary = st.sampled_from(["- rolearn: a", "  username: b", "  groups:", "    - c", "", "- f: |", "x: |", "  - h"])
odd = st.sampled_from([" ", "\t- d", "  e  ", "# g", "\u2028", "k: v", "  - i: |"]) | st.text(alphabet="ab :-#|\t'\"", max_size=6)


@st.composite
def block(draw):
    """A literal block, mostly ordinary (the fast path's case), sometimes with one odd line."""
    lines = draw(st.lists(ordinary, min_size=1, max_size=8))
    if draw(st.integers(0, 3)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(odd))
    header = draw(st.sampled_from(["|", "|", "|", "|-", "|-", "|+", "|2", "| # c", ">"]))
    pad = draw(st.sampled_from(["    ", "    ", "    ", "   ", "  ", " ", ""]))
    return header, pad, lines


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(block(), min_size=1, max_size=3), st.sampled_from(["", "\n", "\n\n", "trailer: x\n", "  nested: y\n"]),
       st.booleans())
def test_generated_manifests_compose_the_same(blocks, tail, quoted_before):
    text = "apiVersion: v1\n" + ('note: "a\n  x: |\n  b"\n' if quoted_before else "") + "data:\n"
    for i, (header, pad, lines) in enumerate(blocks):
        text += f"  k{i}: {header}\n" + "".join(f"{pad}{line}\n" if line else "\n" for line in lines)
    text += tail
    assert our_trees(text) == pure_trees(text)
