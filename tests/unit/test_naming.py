"""Naming rules (SPEC section 4), driven by tests/unit/cases/naming_rules.json."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dpn import naming
from dpn.naming.rules import ATHENA_RESERVED, RULES

CASES = json.loads((Path(__file__).parent / "cases" / "naming_rules.json").read_text("utf-8"))


def _expand(name: str) -> str:
    """@@LONG<n>@@ is a valid-looking name of n characters; @@EURO<n>@@ n euro signs."""
    if name.startswith("@@LONG"):
        n = int(name[6:-2])
        return "a" + "b" * (n - 1)
    if name.startswith("@@EURO"):
        return "\u20ac" * int(name[6:-2])
    return name


@pytest.mark.parametrize(("rtype", "name", "problem"), CASES["check"],
                         ids=[f"{c[0]}:{c[1][:20]!r}" for c in CASES["check"]])
def test_check(rtype: str, name: str, problem: str | None) -> None:
    problems = naming.check(rtype, _expand(name))
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(("rtype", "pattern", "values", "expected"), CASES["render"])
def test_render(rtype: str, pattern: str, values: dict[str, str], expected: str) -> None:
    generated = naming.render(rtype, pattern, values)
    assert generated.name == expected
    assert not generated.truncated
    assert naming.check(rtype, generated.name) == []


def test_every_type_has_a_passing_and_a_failing_case() -> None:
    for rtype in RULES:
        results = {_expected is None for t, _n, _expected in CASES["check"] if t == rtype}
        assert results == {True, False}, rtype


@pytest.mark.parametrize("rtype", sorted(RULES))
def test_truncation_is_deterministic_and_fits(rtype: str) -> None:
    rule = RULES[rtype]
    long_value = "x" * (rule.max_len + 50)
    generated = naming.render(rtype, "{org}-{purpose}", {"org": "acme", "purpose": long_value})
    assert generated.truncated
    full = generated.full_name
    digest = hashlib.sha256(full.encode()).hexdigest()[:6]
    assert generated.name.endswith(rule.delimiter + digest)
    assert len(generated.name.encode()) <= rule.max_len
    assert generated.name == naming.render(rtype, "{org}-{purpose}",
                                           {"org": "acme", "purpose": long_value}).name
    assert naming.check(rtype, generated.name) == []


def test_truncation_keeps_names_that_fit() -> None:
    assert naming.truncate("aws.s3_bucket", "a" * 63) == "a" * 63
    cut = naming.truncate("aws.s3_bucket", "a" * 64)
    assert len(cut) == 63 and cut.startswith("a" * 56 + "-")


def test_missing_token_names_the_field() -> None:
    with pytest.raises(naming.MissingToken) as info:
        naming.render("aws.s3_bucket", "{org}-{purpose}", {"org": "acme"})
    assert info.value.token == "purpose"


@pytest.mark.parametrize(("pattern", "problem"), [
    ("{org}-{colour}", "unknown token '{colour}'"),
    ("{org}-{env", "unbalanced"),
    ("static-name", "has no {token}"),
])
def test_pattern_problems(pattern: str, problem: str) -> None:
    assert any(problem in p for p in naming.pattern_problems(pattern))


def test_pattern_without_problems() -> None:
    assert naming.pattern_problems("{org}-{env}-{project}-{region}") == []


def test_athena_reserved_words_cover_both_lists() -> None:
    for word in ("select", "table", "database", "partition", "date", "timestamp", "unnest",
                 "json_table", "with", "values"):
        assert word in ATHENA_RESERVED
