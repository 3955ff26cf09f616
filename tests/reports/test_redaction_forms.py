"""A seed phrase is shown as its first letters and its true word count, whatever list form it is written in
(issue 17, item 18). Through the `crypto-key-guard` process."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_key_guard.engine.examples import expand

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("template, count", [
    ("{mnemonic:24,numbered}", 24),
    ("words:\n  - {mnemonic:15,bullets}\n", 15),
    ("WORDS = [{mnemonic:24,json}]", 24),
    ("const words = [\n    {mnemonic:15,jsonlines}\n];", 15),
    ("SEED={mnemonic:21,comma}", 21),
    ('seed_phrase = "{mnemonic:12}"', 12),
])
def test_mnemonic_redaction_counts_words_not_list_marks(tmp_path: Path, rng, template: str, count: int) -> None:
    text = expand(template, rng)
    (tmp_path / "wallet.txt").write_text(text)
    result = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--format", "json", "wallet.txt"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    [finding] = json.loads(result.stdout)["findings"]
    first_word = re.findall(r"[a-z]+", text.split("=", 1)[-1].split(":", 1)[-1])[0]
    assert re.fullmatch(r"[a-z]{1,4}\u2026\(%d words\)" % count, finding["redacted"]), finding["redacted"]
    assert first_word.startswith(finding["redacted"].split("\u2026")[0])
