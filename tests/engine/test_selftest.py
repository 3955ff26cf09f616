"""A user's rule file is proven by its own examples when it is loaded (engine/selftest.py), through the hook."""
from __future__ import annotations

from pathlib import Path

import pytest

from crypto_key_guard import crypto_key_patterns

RULE = """\
rules:
- id: acme-token
  description: Acme token
  regex: 'acme_(?P<secret>[a-z]{{12}})'
  examples:
    match: ['{match}']
    no_match: ['{no_match}']
"""


@pytest.mark.parametrize("match,no_match,verdict", [
    ("token = acme_qzxkvmwplrtj", "token = acme_ABC", None),
    ("token = acme_short", "token = acme_ABC", "finds nothing in its own match example #1"),
    ("token = acme_qzxkvmwplrtj", "acme_jvbqxrwzmtkp", "matches its own no_match example #1"),
])
def test_user_rules_must_pass_their_own_examples(tmp_path: Path, capsys, match: str, no_match: str,
                                                verdict: str | None) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format(match=match, no_match=no_match))
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing here\n")
    rc = crypto_key_patterns.main(["--patterns", str(rules), str(clean)])
    err = capsys.readouterr().err
    if verdict is None:
        assert rc == 0, err
    else:
        assert rc == 2 and verdict in err and "acme-token" in err and "rules.yaml" in err
