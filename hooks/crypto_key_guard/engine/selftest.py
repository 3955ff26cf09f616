"""A user's rule must pass its own examples: run each rule alone on its match and no_match examples."""
from __future__ import annotations

from typing import Any

from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.rules import Rule, RuleSet
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.errors import ConfigError


def verify_examples(rule: Rule, placeholders: list[Any], not_credential: frozenset = frozenset(),
                    owner_words: frozenset = frozenset()) -> None:
    """A user's rule must pass its own examples: a match example that finds nothing is a broken rule."""
    scanner = Scanner(RuleSet([rule], placeholders, [rule.source], not_credential=not_credential,
                              owner_words=owner_words))
    for kind in ("match", "no_match"):
        for i, template in enumerate(rule.examples.get(kind) or []):
            text = expand(template, seeded(f"{rule.id}-{i}"))
            hit = any(f.rule == rule.id for f in scanner.scan_bytes(text.encode("utf-8")))
            if hit != (kind == "match"):
                verdict = "finds nothing in" if kind == "match" else "matches"
                raise ConfigError(rule.source, f"the rule {verdict} its own {kind} example #{i + 1}", rule.id)
