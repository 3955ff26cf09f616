"""The generic validators: what counts as a code reference or a path rather than a secret."""
from __future__ import annotations

import random
import string

import pytest

from crypto_key_guard.engine.validators import Candidate, is_low_diversity, is_not_identifier, looks_like_path


def cand(value: str) -> Candidate:
    return Candidate(value=value, before="", line="", path="", min_entropy=0)


@pytest.mark.parametrize("value", ["/etc/app/key", "./certs/bot.pem", "../x/y", "~/.config/bot", "/run/secrets/api"])
def test_paths_are_not_secrets(value) -> None:
    assert looks_like_path(value) and not is_not_identifier(cand(value))


@pytest.mark.parametrize("value", ["settings.BINANCE_KEY", "process.env.KEY", "apiKey", "API_SECRET",
                                   "L2_PRIVATE_KEY", "WEB3_PROVIDER_URI", "https://example.org/x", "keys.json"])
def test_references_are_not_secrets(value) -> None:
    assert not is_not_identifier(cand(value))


def test_upper_case_keys_with_underscores_are_kept() -> None:
    # a constant name's segments start with a letter; random upper-case keys cut by '_' have digit-led pieces
    rng = random.Random(11)
    alphabet = string.ascii_uppercase + string.digits
    kept = sum(is_not_identifier(cand("_".join("".join(rng.choice(alphabet) for _ in range(8)) for _ in range(4))))
               for _ in range(500))
    assert kept >= 300


def test_base64_secrets_starting_with_a_slash_are_kept() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "+/"
    kept = 0
    for _ in range(500):
        value = "/" + "".join(rng.choice(alphabet) for _ in range(43))
        kept += is_not_identifier(cand(value))
    assert kept >= 495


@pytest.mark.parametrize("value,low", [("a" * 20, True), ("1a" * 10, True), ("0123456789abcdef", True),
                                       ("k3Jd9sQaZ81xLmP0", False)])
def test_low_diversity(value, low) -> None:
    assert is_low_diversity(value) is low
