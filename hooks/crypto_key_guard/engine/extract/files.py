"""Files that hold bare values, named by the file (issue 14): `kraken.key` (krakenex: the key on line 1, the
secret on line 2), an `api.txt` read line by line, `keys/secret.key`, `data/wallets.txt` (one private key a
line), `.privateKeys.json` (a JSON array of keys). The value has no name in the file: the file's name is its
name. Such a file is rewritten as NAME=value lines (or `NAME = [...]`) and scanned as that, with positions mapped
back to the file; only small files whose every line is one token qualify, so the cost is a few cheap checks."""
from __future__ import annotations

import bisect
import re

from crypto_key_guard.engine.extract.names import written_runs, words_of

MAX_VALUES_FILE = 16384
MAX_LINES = 64
# extensions of a file that may hold bare values (none at all counts: `credentials`, `API_KEY`)
_EXTENSIONS = frozenset(("", "txt", "key", "keys", "secret", "secrets", "json", "dat", "pk", "priv", "token"))
# words of a file name that say what its values are
_NAMING_WORDS = frozenset(("api", "apikey", "key", "secret", "token", "credential", "cred", "auth", "wallet",
                           "private", "privatekey", "priv", "privkey", "pk", "passphrase", "password", "mnemonic",
                           "seed", "signer", "account"))
_TOKEN_LINES = re.compile(rb"(?:[ \t]*[A-Za-z0-9+/=_.:~\-]{16,512}[ \t]*\r?\n|[ \t]*\r?\n)*"
                          rb"(?:[ \t]*[A-Za-z0-9+/=_.:~\-]{16,512}[ \t]*)?\r?\n?")
_JSON_ARRAY = re.compile(rb"[ \t\r\n]*\[[ \t\r\n]*\"")
# a file of two or three values without a list name: key, secret and passphrase in that order (krakenex's
# load_key, the api.txt of ccxt tutorials)
_POSITIONAL = ("api_key", "api_secret", "api_passphrase")


class ValuesFile:
    """A values file rewritten as named entries: `text` to scan, `original(offset)` maps an offset back."""

    def __init__(self, text: bytes, starts: list, origins: list) -> None:
        self.text = text
        self._starts = starts      # where each rewritten line starts in text
        self._origins = origins    # (where that line's value starts in the file, where it starts in text)

    def original(self, offset: int) -> int:
        i = max(0, bisect.bisect_right(self._starts, offset) - 1)
        file_at, text_at = self._origins[i]
        return file_at + max(0, offset - text_at)


def values_file(path: str, data: bytes, venue_words: frozenset) -> ValuesFile | None:
    if not path or len(data) > MAX_VALUES_FILE or not data.strip():
        return None
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.lstrip(".").rpartition(".")
    if not dot:
        stem, ext = base.lstrip("."), ""
    if ext.lower() not in _EXTENSIONS:
        return None
    toks, runs = words_of(stem)
    if runs.isdisjoint(_NAMING_WORDS) and runs.isdisjoint(venue_words):
        return None
    name = "_".join(words_of(base.lstrip("."))[0][:6]) if ext in ("key", "secret", "token", "pk") else "_".join(toks)
    name = name or "value"
    if _JSON_ARRAY.match(data):
        prefix = name.encode() + b" = "
        return ValuesFile(prefix + data, [0], [(0, len(prefix))])
    if _TOKEN_LINES.fullmatch(data) is None:
        return None
    lines = data.split(b"\n")
    values = [(i, line) for i, line in enumerate(lines) if line.strip()]
    if not values or len(values) > MAX_LINES:
        return None
    plural = written_runs(stem) != runs  # `wallets.txt`, `private_keys`: one value a line, each named by the file
    positional = not plural and 2 <= len(values) <= 3
    out, starts, origins = [], [], []
    file_at = text_at = 0
    k = 0
    for line in lines:
        if line.strip():
            label = f"{name}_{_POSITIONAL[k]}" if positional else name
            k += 1
            prefix = label.encode() + b"="
            starts.append(text_at)
            origins.append((file_at, text_at + len(prefix)))
            out.append(prefix + line)
            text_at += len(prefix) + len(line) + 1
        else:
            starts.append(text_at)
            origins.append((file_at, text_at))
            out.append(line)
            text_at += len(line) + 1
        file_at += len(line) + 1
    return ValuesFile(b"\n".join(out), starts, origins)
