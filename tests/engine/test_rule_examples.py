"""Every shipped rule carries its own examples; each is run here against that rule alone."""
from __future__ import annotations

import pytest

from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.rules import RuleSet, default_rules

RULESET = default_rules()
CASES = [
    (rule.id, kind, i, template)
    for rule in RULESET.rules
    for kind in ("match", "no_match")
    for i, template in enumerate(rule.examples[kind])
]


def scanner_for(rule_id: str) -> Scanner:
    rule = RULESET.by_id(rule_id)
    return Scanner(RuleSet([rule], RULESET.placeholders, RULESET.files, RULESET.public_test_keys,
                           RULESET.not_credential, RULESET.venue_words, RULESET.owner_words))


def test_every_rule_has_examples() -> None:
    for rule in RULESET.rules:
        assert rule.examples["match"], f"{rule.id} has no match examples"
        assert rule.examples["no_match"], f"{rule.id} has no no_match examples"


@pytest.mark.parametrize("rule_id,kind,index,template", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_rule_example(rule_id: str, kind: str, index: int, template: str) -> None:
    for seed in range(3):  # a few seeded fillings, so one lucky value cannot pass a bad rule
        text = expand(template, seeded(f"{rule_id}-{index}-{seed}"))
        found = [f for f in scanner_for(rule_id).scan_bytes(text.encode("utf-8")) if f.rule == rule_id]
        if kind == "match":
            assert found, f"{rule_id} should match: {text!r}"
            assert all(f.redacted.count("\u2026") == 1 for f in found)
        else:
            assert not found, f"{rule_id} should not match: {text!r}"


def test_every_shipped_regex_compiles() -> None:
    """Shipped rules compile lazily (on first use): prove here that each of their regexes compiles."""
    for rule in RULESET.rules:
        for regex in (rule.regex, rule.value, rule.context, rule.context_after, *rule.placeholders, *rule.allow):
            if regex is not None and hasattr(regex, "compiled"):
                regex.compiled()
        if rule.value is not None:  # a names rule: its value shape is matched whole, it has no capture group
            assert rule.regex is None and (rule.credential or rule.callees), rule.id
            continue
        group = rule.group if rule.group >= 0 else rule.regex.secret_group
        assert group >= 1, rule.id
