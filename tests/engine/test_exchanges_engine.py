"""The engine features the exchange rules rely on: `context_after`, and ranking by the nearest context."""
from __future__ import annotations

import textwrap

import pytest

from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.errors import ConfigError
from crypto_key_guard.engine.rules import load_rules

TOKEN = "Zq7LmN4pR8sT2vW6xY0b"  # pragma: allowlist secret  (20 random-looking characters, no real service)


def scanner(tmp_path, rules_yaml: str) -> Scanner:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules:\n" + textwrap.indent(textwrap.dedent(rules_yaml), "  "))
    return Scanner(load_rules([path], include_builtin=False))


def rules_found(sc: Scanner, text: str) -> list[str]:
    return [f.rule for f in sc.scan_bytes(text.encode())]


AFTER_ONLY = """
- id: acme-key
  description: ACME key
  regex: 'key = "([A-Za-z0-9]{20})"'
  context_after: '(?i)acme'
  context_after_window: 40
"""


@pytest.mark.parametrize("text,found", [
    (f'key = "{TOKEN}"  # acme', ["acme-key"]),
    (f'key = "{TOKEN}"\nprovider = "ACME"', ["acme-key"]),
    (f'key = "{TOKEN}"' + " " * 50 + "acme", []),      # beyond the window
    (f'acme\nkey = "{TOKEN}"', []),                     # only after counts for this rule
    (f'key = "{TOKEN}"', []),
])
def test_context_after_alone_is_required(tmp_path, text: str, found: list) -> None:
    assert rules_found(scanner(tmp_path, AFTER_ONLY), text) == found


def test_context_before_or_after_either_suffices(tmp_path) -> None:
    sc = scanner(tmp_path, """
        - id: acme-key
          description: ACME key
          regex: 'key = "([A-Za-z0-9]{20})"'
          context: '(?i)acme'
          context_window: 30
          context_after: '(?i)acme'
          context_after_window: 30
        """)
    assert rules_found(sc, f'# acme\nkey = "{TOKEN}"') == ["acme-key"]
    assert rules_found(sc, f'key = "{TOKEN}"  # acme') == ["acme-key"]
    assert rules_found(sc, f'# other\nkey = "{TOKEN}"  # other') == []


def test_context_after_window_starts_at_the_value_end(tmp_path) -> None:
    # `^` is the end of the value: "the very next thing after the value"
    sc = scanner(tmp_path, """
        - id: acme-key
          description: ACME key
          regex: '"([A-Za-z0-9]{20})'
          context_after: '^", *"acme"'
        """)
    assert rules_found(sc, f'["{TOKEN}", "acme"]') == ["acme-key"]
    assert rules_found(sc, f'["{TOKEN}", "other", "acme"]') == []


TWO_VENUES = """
- id: alpha-key
  description: Alpha key
  regex: 'KEY=([A-Za-z0-9]{20})'
  context: '(?i)alpha'
  context_window: 300
- id: beta-key
  description: Beta key
  regex: 'KEY=([A-Za-z0-9]{20})'
  context: '(?i)beta'
  context_window: 300
"""


def test_nearest_context_wins(tmp_path) -> None:
    sc = scanner(tmp_path, TWO_VENUES)
    text = f"ALPHA_KEY={TOKEN}\nBETA_KEY={TOKEN[::-1]}\nALPHA_KEY={TOKEN.lower()}1\n"
    assert rules_found(sc, text) == ["alpha-key", "beta-key", "alpha-key"]


def test_rule_with_context_outranks_one_without(tmp_path) -> None:
    sc = scanner(tmp_path, """
        - id: plain-key
          description: any key
          regex: 'KEY=([A-Za-z0-9]{20})'
          severity: critical
        - id: acme-key
          description: ACME key
          regex: 'KEY=([A-Za-z0-9]{20})'
          context: '(?i)acme'
          severity: critical
        """)
    assert rules_found(sc, f"ACME_KEY={TOKEN}") == ["acme-key"]
    assert rules_found(sc, f"OTHER_KEY={TOKEN}") == ["plain-key"]


@pytest.mark.parametrize("extra,reason", [
    ("context_after: '(?<=x)acme'", "invalid regex"),
    ("context_after: ''", "'context_after' must be a regex string"),
    ("context_after: 'acme'\n  context_after_window: 9000", "'context_after_window' must be an integer"),
    ("context_after_window: -1", "'context_after_window' must be an integer"),
    ("keywords_at_word_start: 'yes'", "'keywords_at_word_start' must be true or false"),
])
def test_bad_context_after_is_a_config_error(tmp_path, extra: str, reason: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(f"rules:\n- id: acme-key\n  description: d\n  regex: '(x)'\n  {extra}\n")
    with pytest.raises(ConfigError) as err:
        load_rules([path], include_builtin=False)
    assert err.value.rule == "acme-key" and reason in err.value.reason


def test_a_name_before_the_value_ranks_ahead_of_a_name_after_it(tmp_path) -> None:
    # .env naming two venues: the next line's name is nearer than the value's own, yet the own name wins
    sc = scanner(tmp_path, """
        - id: alpha-key
          description: Alpha key
          regex: 'KEY=([A-Za-z0-9]{20})'
          context: '(?i)alpha'
          context_after: '(?i)alpha'
        - id: beta-key
          description: Beta key
          regex: 'KEY=([A-Za-z0-9]{20})'
          context: '(?i)beta'
          context_after: '(?i)beta'
        """)
    assert rules_found(sc, f"ALPHA_KEY={TOKEN}\nBETA_KEY={TOKEN[::-1]}\n") == ["alpha-key", "beta-key"]
    assert rules_found(sc, f"KEY={TOKEN}  # beta\n") == ["beta-key"]


def test_a_user_rule_with_keywords_at_word_start(tmp_path) -> None:
    """A user's names rule may say its venue keyword counts only where a word starts: `ACME_KEY` is read, the
    rule does not run around `macmeter` (acme inside a word)."""
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n- id: acme-key\n  description: ACME key\n  names: {venue: [acme], credential: [key]}\n"
                    "  value: '[A-Za-z0-9]{20}'\n  keywords_at_word_start: true\n")
    sc = Scanner(load_rules([path], include_builtin=False))
    assert rules_found(sc, f"ACME_KEY={TOKEN}\n") == ["acme-key"]
    assert rules_found(sc, f"acmeKey = '{TOKEN}'\n") == ["acme-key"]
    # acme inside a word opens no region: the rule does not run there at all
    assert sc._active().runnable(f"macmeter_key = '{TOKEN}'\n".encode()) == []
    assert [r.id for r in sc._active().runnable(f"ACME_KEY={TOKEN}\n".encode())] == ["acme-key"]
