"""Names as words: `BINANCE_API_KEY_PROD`, `kucoinToken`, `exchanges.binance.secret`, `X-MBX-APIKEY` and
`okx-pass` become lower-case tokens, and a word is found in a name when it equals one token or several adjacent
tokens joined ("squashed" matching, as docs/venues.md describes): `apikey` is found in `api_key`, `apiKey`,
`APIKEY` and `X-MBX-APIKEY`; `gate` is never found in `gateway`.
"""
from __future__ import annotations

import re

_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
MAX_RUN = 4          # a word spans at most this many tokens (api_key_id, private_key_signer)
_CACHE: dict[str, tuple[tuple[str, ...], frozenset]] = {}
_CACHE_LIMIT = 4096


def squash(word: str) -> str:
    """How words are compared: lower case without separators (`gate.io`, `GATE_IO`, `gateIo` -> `gateio`)."""
    return re.sub(r"[^a-z0-9]", "", word.lower())


def tokens(name: str) -> tuple[str, ...]:
    """The words of a name in order, lower case, as written: camelCase, snake_case, kebab, dotted and UPPER names
    alike."""
    return tuple(t.lower() for t in _SPLIT.findall(name))


def singular(token: str) -> str:
    """A plural token's singular (`keys` -> `key`, `secrets` -> `secret`): a list of keys is named in the plural
    (PRIVATE_KEYS, apiSecrets). Short tokens (`ids`, `pks`) and `-ss` words (`pass`, `address`) are kept."""
    return token[:-1] if len(token) >= 4 and token[-1] == "s" and token[-2] != "s" else token


def _runs(toks: tuple, runs: set) -> None:
    for i in range(len(toks)):
        joined = ""
        for j in range(i, min(len(toks), i + MAX_RUN)):
            joined += toks[j]
            runs.add(joined)


def words_of(name: str) -> tuple[tuple[str, ...], frozenset]:
    """(tokens, every run of up to MAX_RUN adjacent tokens squashed): what a word is compared against. Tokens
    are singular; the runs hold both the written and the singular forms."""
    hit = _CACHE.get(name)
    if hit is not None:
        return hit
    written = tuple(t.lower() for t in _SPLIT.findall(name))
    toks = tuple(singular(t) for t in written)
    runs: set = set()
    _runs(toks, runs)
    if toks != written:
        _runs(written, runs)
    hit = (toks, frozenset(runs))
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[name] = hit
    return hit


def written_runs(name: str) -> frozenset:
    """The runs of a name's tokens as written, without the singular forms (`PRIVATE_KEYS`: privatekeys, not
    privatekey)."""
    runs: set = set()
    _runs(tuple(t.lower() for t in _SPLIT.findall(name)), runs)
    return frozenset(runs)


def suffix_runs(name: str, strip: frozenset = frozenset()) -> frozenset:
    """The squashed runs that end a name (after dropping trailing tokens in `strip`): a callee is named by its
    last words (`ethers.Wallet`, `Account.from_key`), not by any word inside it (`getWalletBalance`). A callee
    is compared as written (`Credentials.create`) and in the singular."""
    runs: set = set()
    for toks in {words_of(name)[0], tokens(name)}:
        toks = list(toks)
        while toks and toks[-1] in strip:
            toks.pop()
        joined = ""
        for t in reversed(toks[-MAX_RUN:]):
            joined = t + joined
            runs.add(joined)
    return frozenset(runs)


MAX_MINIFIED = 4  # a minifier's identifiers (v8w.apiKey) are this short; a dotted secret's parts are longer


def random_run(part: str) -> bool:
    """A letter straight after a digit that starts no camel-case word (`95a3` in a UUID or `a1b2c3`, not `v2`,
    `web3Provider`, `KEY_2`): random text, not words."""
    after_digit = False
    for i, ch in enumerate(part):
        if ch.isdigit():
            after_digit = True
        elif ch.isalpha():
            if after_digit and not (ch.isupper() and part[i + 1:i + 2].islower()):
                return True
            after_digit = False
        else:
            after_digit = False
    return False


def _name_part(part: str) -> bool:
    """An identifier as people name things: words, with digits only closing one (v2, l2_key, web3Provider,
    KEY_1), or as minifiers do (v8w, e4K). A letter straight after a digit, not starting a camel-case word,
    in a longer part is random text (a1b2c3)."""
    if not part or not (part[0].isalpha() or part[0] in "_$"):
        return False
    if len(part) <= MAX_MINIFIED:
        return part.replace("$", "_").isidentifier()
    return all(ch.isalnum() or ch in "_$" for ch in part) and not random_run(part)


def dotted_reference(text: str) -> bool:
    """A dotted name (settings.API_KEY, process.env.KEY, config.exchange.l2_key), not a value that holds dots
    (a JWT, `Ab3x.9fQ2`): every part is a name."""
    return "." in text and all(_name_part(part) for part in text.split("."))
