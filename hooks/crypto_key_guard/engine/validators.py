"""Named checks run on a captured value. Each is a small pure function; rules name them in YAML.

A validator takes a Candidate and returns True when the value still looks like a real secret.
Later checks (checksums, curve ranges, word lists) register here with @validator("name").
"""
from __future__ import annotations

import math
import re
from collections import Counter

from crypto_key_guard.engine.extract.names import dotted_reference
from crypto_key_guard.util.records import record

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Callable


@record
class Candidate:
    value: str          # the captured secret (never printed)
    before: str         # up to the rule's context window of text before the value
    line: str           # the whole line the value starts on
    path: str           # display path of the file (may be "" for in-memory text)
    min_entropy: float  # from the rule


class _lazy_re:
    """A module-level pattern compiled on first use: hooks import this module on every commit."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, *args) -> None:
        self._args, self._compiled = args, None

    def __getattr__(self, name: str):
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


if TYPE_CHECKING:
    Validator = Callable[[Candidate], bool]
VALIDATORS: dict[str, Validator] = {}


def validator(name: str) -> Callable[[Validator], Validator]:
    def register(fn: Validator) -> Validator:
        VALIDATORS[name] = fn
        return fn
    return register


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def is_low_diversity(value: str) -> bool:
    """Fillers such as 'aaaa…', '1a1a1a…', '0123456789abcdef…' are not keys."""
    compact = value.replace("-", "").replace("_", "")
    if len(compact) < 8:
        return False
    if len(set(compact)) <= 3:
        return True
    for unit in range(1, 9):  # a short unit repeated (the first character recurs one unit on, or it is not)
        if len(compact) >= unit * 3 and compact[unit] == compact[0] and \
                compact == (compact[:unit] * (len(compact) // unit + 1))[: len(compact)]:
            return True
    codes = compact.encode("ascii") if compact.isascii() else [ord(ch) for ch in compact]
    runs = sum(1 for a, b in zip(codes, codes[1:]) if b - a == 1)
    return runs >= len(compact) * 0.6  # mostly ascending sequences


@validator("entropy")
def has_entropy(c: Candidate) -> bool:
    return shannon_entropy(c.value) >= c.min_entropy


@validator("mixed_alnum")
def is_mixed_alnum(c: Candidate) -> bool:
    """Random alphanumeric keys mix letters and digits; identifiers and words rarely do."""
    v = c.value
    return any(ch.isdigit() for ch in v) and any(ch.isalpha() for ch in v)


@validator("mixed_case")
def is_mixed_case(c: Candidate) -> bool:
    """Base62 keys of 20+ characters have upper, lower and digits with near certainty."""
    v = c.value
    return any(ch.isupper() for ch in v) and any(ch.islower() for ch in v) and any(ch.isdigit() for ch in v)


# CONSTANT_NAMES may hold digits (L2_PRIVATE_KEY, WEB3_PROVIDER) but every segment starts with a letter
_IDENTIFIER = _lazy_re(r"^(?:[A-Za-z][a-z]*(?:[A-Z][a-z]*)*|[a-z]+(?:[_.\-][a-z]+)+|[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)+)$")
_PATHLIKE = _lazy_re(r"^[a-z]+://|(?:\.(?:py|js|ts|json|ya?ml|toml|txt|env|pem|key|csv|log|html)$)", re.I)
_PATH = _lazy_re(r"^(?:\.{0,2}/|~/)[\w.~/-]*$")


def looks_like_path(value: str) -> bool:
    """/etc/app/key, ./certs/x, ~/.config: mostly lower-case segments. A base64 secret may start with '/'
    too (1 in 64 do), but mixes cases at random."""
    if not _PATH.match(value):
        return False
    letters = [ch for ch in value if ch.isalpha()]
    return not letters or sum(ch.isupper() for ch in letters) <= len(letters) // 4


@validator("not_identifier")
def is_not_identifier(c: Candidate) -> bool:
    """Code references, words, dotted names, URLs and file paths are not literal secrets."""
    v = c.value
    if _IDENTIFIER.match(v) or _PATHLIKE.search(v) or looks_like_path(v):
        return False
    # dotted attribute chains like settings.BINANCE_KEY or process.env.KEY (not a value with dots: a1B2.c3D4)
    if "." in v and dotted_reference(v):
        return False
    return True


# -- wallet secrets: thin wrappers over checksums.py ---------------------------------------------------------------
# checksums is imported inside each function so that importing the hooks stays cheap; the BIP39 word list is
# read only when a mnemonic-shaped candidate exists.
_LOWER_WORD = _lazy_re(r"[a-z]+")
_INTEGER = _lazy_re(r"[0-9]+")


@validator("bip39_mnemonic")
def is_bip39_mnemonic(c: Candidate) -> bool:
    """12-24 English BIP39 words whose checksum verifies. An English sentence or valid words with a wrong
    checksum fail; so does a strictly ascending run (a dump of the word list itself)."""
    return _bip39_phrase(c.value, defer_to_exact=False)


@validator("bip39_mnemonic_wrapped")
def is_bip39_mnemonic_wrapped(c: Candidate) -> bool:
    """As bip39_mnemonic, for a phrase wrapped over lines. When the phrase is valid only without a label line
    caught above or below it, and it is a one-line or a one-word-per-line phrase, the rules for those layouts
    report it with its exact position; this one stays silent."""
    return _bip39_phrase(c.value, defer_to_exact=True)


def _bip39_phrase(value: str, defer_to_exact: bool) -> bool:
    from crypto_key_guard.engine.checksums import bip39_checksum_ok, bip39_index

    # JSON-escaped newlines separate words too (same length: spans hold); a phrase written in upper case or
    # Capitalised is the same phrase
    text = value.replace("\\n", " \n").lower()
    spans = [m.span() for m in _LOWER_WORD.finditer(text)]
    words = [text[a:b] for a, b in spans]
    index = bip39_index()
    lo, hi = 0, len(words)
    # a label the regex caught at either end ("mnemonic abandon ...") is not part of the phrase
    while lo < hi and words[lo] not in index:
        lo += 1
    while hi > lo and words[hi - 1] not in index:
        hi -= 1
    # ... nor is a label that happens to be a BIP39 word ("seed,abandon,...", "seed phrase ..."): at most two
    # leading words or one trailing word are tried away, each try a 1-in-16..256 chance for random words
    for i, j in ((lo, hi), (lo + 1, hi), (lo + 2, hi), (lo, hi - 1)):
        if j - i < 12:
            continue
        if defer_to_exact and (i, j) != (0, len(words)):
            gaps = [text[spans[k][1]:spans[k + 1][0]] for k in range(i, j - 1)]
            on_own_line = (i > 0 and "\n" in text[spans[i - 1][1]:spans[i][0]]) or \
                (j < len(words) and "\n" in text[spans[j - 1][1]:spans[j][0]])
            if on_own_line and (all("\n" not in g for g in gaps) or all("\n" in g for g in gaps)):
                continue
        phrase = words[i:j]
        if bip39_checksum_ok(phrase) and not all(a < b for a, b in zip(phrase, phrase[1:])):
            return True
    return False


_GRID_CELL = _lazy_re(r"([0-9]{1,2})?[.)| \t]*([a-z]{3,8})")


@validator("bip39_mnemonic_grid")
def is_bip39_mnemonic_grid(c: Candidate) -> bool:
    """12-24 BIP39 words in rows (a Markdown table, a paper backup in columns) whose checksum verifies, read in
    the order their numbers give (1..n, each once), else row by row, else column by column."""
    from crypto_key_guard.engine.checksums import bip39_checksum_ok, bip39_index

    rows = [[(int(m.group(1)) if m.group(1) else 0, m.group(2)) for m in _GRID_CELL.finditer(line)]
            for line in c.value.splitlines()]
    rows = [row for row in rows if row]
    cells = [cell for row in rows for cell in row]
    if len(cells) not in (12, 15, 18, 21, 24):
        return False
    index = bip39_index()
    if any(word not in index for _, word in cells):
        return False
    numbers = sorted(n for n, _ in cells)
    if numbers == list(range(1, len(cells) + 1)):
        orders = [[w for _, w in sorted(cells)]]
    else:
        orders = [[w for _, w in cells]]
        if len({len(row) for row in rows}) == 1:
            orders.append([row[k][1] for k in range(len(rows[0])) for row in rows])
    return any(bip39_checksum_ok(words) and not all(a < b for a, b in zip(words, words[1:])) for words in orders)


@validator("wif")
def is_wif(c: Candidate) -> bool:
    """Bitcoin WIF: Base58Check, version 0x80/0xEF, 51/52 characters, key in the secp256k1 range."""
    from crypto_key_guard.engine.checksums import decode_wif

    return decode_wif(c.value) is not None


@validator("extended_private_key")
def is_extended_private_key(c: Candidate) -> bool:
    """BIP32 xprv/yprv/zprv/tprv/Yprv/Zprv...: Base58Check over 78 bytes with a private version."""
    from crypto_key_guard.engine import checksums

    return checksums.is_extended_private_key(c.value)


@validator("secp256k1_key")
def is_secp256k1_key(c: Candidate) -> bool:
    """64 hex digits (optional 0x) in [1, n-1]; the range check alone cannot tell a key from a hash."""
    from crypto_key_guard.engine.checksums import in_secp256k1_range

    return in_secp256k1_range(c.value)


@validator("solana_keypair")
def is_solana_keypair(c: Candidate) -> bool:
    """64 integers 0-255 whose second half is the Ed25519 public key of the first half (a real keypair)."""
    from crypto_key_guard.engine import checksums

    return checksums.is_solana_keypair(int(n) for n in _INTEGER.findall(c.value))


@validator("solana_base58_keypair")
def is_solana_base58_keypair(c: Candidate) -> bool:
    """Base58 of 64 bytes (a Phantom/Solflare export) that is a real Ed25519 keypair."""
    from crypto_key_guard.engine import checksums

    raw = checksums.b58decode(c.value)
    return raw is not None and len(raw) == 64 and checksums.is_solana_keypair(raw)


@validator("solana_hex_keypair")
def is_solana_hex_keypair(c: Candidate) -> bool:
    """128 hex digits (optional 0x): 64 bytes that are a real Ed25519 keypair, as scripts convert a keypair for
    Keypair.fromSecretKey(Buffer.from(hex, 'hex'))."""
    from crypto_key_guard.engine import checksums

    text = c.value[2:] if c.value[:2] in ("0x", "0X") else c.value
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return False
    return len(raw) == 64 and checksums.is_solana_keypair(raw)


_ENV_NAME = _lazy_re(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)=")
_ENV_FILE = _lazy_re(r"(?i)(?:^|[/\\])(?:\.env(?:\.[^/\\]*)?|[^/\\]*\.env|\.envrc)$")
_PUBLIC_NAME_TOKENS = frozenset((
    "pub", "public", "pubkey", "hash", "tx", "txn", "txid", "block", "root", "digest", "checksum", "sha",
    "sha256", "sha3", "keccak", "md5", "addr", "address", "topic", "selector", "id", "slot", "code", "commit",
    "sig", "signature", "event", "pool", "market", "order", "nonce", "salt", "cache", "session", "genesis",
))
_PRIVATE_NAME_TOKENS = frozenset((
    "pk", "key", "privkey", "wallet", "signer", "deployer", "account", "owner", "seed", "secret", "private",
    "priv",
))


# the last word of a name holding a public bytes32 constant: MINTER_ROLE, PERMIT_TYPEHASH, DOMAIN_SEPARATOR
_PUBLIC_CONSTANT_LAST = frozenset(("role", "typehash", "separator", "selector"))
_CONSTANT_NAME_SPLIT = _lazy_re(r"[_.]+|(?<=[a-z])(?=[A-Z])")


def is_public_constant(name: str, value: str) -> bool:
    """A role id or type hash under its own name (`MINTER_ROLE=0x<keccak256("MINTER_ROLE")>`, PERMIT_TYPEHASH,
    DOMAIN_SEPARATOR): public data of a contract, in any .env.example of a token deployment. A value that is the
    Keccak-256 of the name it is assigned to is such a constant whatever the name."""
    words = [w for w in _CONSTANT_NAME_SPLIT.split(name.strip("_.")) if w]
    if words and words[-1].lower() in _PUBLIC_CONSTANT_LAST:
        return True
    hexdigits = value[2:] if value[:2] in ("0x", "0X") else value
    if len(hexdigits) != 64:
        return False
    from crypto_key_guard.engine.checksums import keccak256

    return keccak256(name.encode("utf-8")).hex() == hexdigits.lower()


@validator("private_key_env_name")
def is_private_key_env_name(c: Candidate) -> bool:
    """An env entry (NAME=value) whose name says private key, or any non-public name inside an env file.

    Names made of public-data words (TX_HASH, BLOCK_ROOT, POOL_ID, PUBLIC_KEY) never count: a 64-hex value
    there is a digest, not a key.
    """
    m = _ENV_NAME.match(c.line)
    if not m:
        return False
    tokens = set(re.split(r"[_.]+|(?<=[a-z])(?=[A-Z])", m.group(1).strip("_.")))
    tokens = {t.lower() for t in tokens if t}
    if tokens & _PUBLIC_NAME_TOKENS or is_public_constant(m.group(1), c.value):
        return False
    if tokens & _PRIVATE_NAME_TOKENS or any(t.startswith("priv") for t in tokens):
        return True
    return bool(_ENV_FILE.search(c.path))


# -- free-form values (passphrases): a literal, not a code reference ------------------------------------------
_CONFIG_PATH = _lazy_re(
    r"(?i)(?:^|[/\\])(?:\.env[^/\\]*|\.envrc|[^/\\]*\.(?:env|ya?ml|toml|ini|cfg|conf|properties|sh|bash|zsh)"
    r"|Dockerfile[^/\\]*|[^/\\]*\.dockerfile)$")
# NAME=value: a .env or shell line, also as a JSON string (a notebook printing its environment)
_ENV_LINE = _lazy_re(r"^(?:[ \t]*export[ \t]+|[ \t]*\")?[A-Za-z_][A-Za-z0-9_]*=\S")
_SOURCE_PATH = _lazy_re(r"(?i)\.(?:py|pyi|ipynb|js|mjs|cjs|jsx|ts|tsx|vue|go|rs|java|kt|rb|php|cs|c|cc|cpp|h|"
                          r"swift|scala|md|rst|txt|html)$")
# quoted, but a name rather than a secret: additional_fields, settings.passphrase, okx-api-key, OKX_PASSPHRASE
_CODE_NAME = _lazy_re(r"^(?:[a-z]+(?:[_.-][a-z]+)+|[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)+)$")


@validator("literal_value")
def is_literal_value(c: Candidate) -> bool:
    """A value of free form (a passphrase has no shape) counts only when it is written literally: quoted, on a
    NAME=value line (.env, shell), or in a config file (YAML, TOML, Dockerfile...). An unquoted word in code
    (`password=passphrase`, `'password': self.password`) is a reference, and a quoted snake_case or
    UPPER_CASE name (`'additional_fields'`) is a name, not a secret."""
    if c.before[-1:] in ("'", '"', "`"):
        return not _CODE_NAME.match(c.value)
    if _CONFIG_PATH.search(c.path) or _ENV_LINE.match(c.line):
        return not ("." in c.value and all(p.isidentifier() for p in c.value.split(".")))
    if _SOURCE_PATH.search(c.path):
        return False  # in source code and docs a literal is quoted; unquoted, it is a name or prose
    return is_not_identifier(c)


_WORD = _lazy_re(r"^(?:[A-Z]?[a-z]+|[A-Z]+|(?:[A-Z][a-z]+){1,3}[0-9]{1,2})$")


@validator("not_word")
def is_not_word(c: Candidate) -> bool:
    """A short key (an 8-character client id) must not be a word: letters in one case (`PERPETUAL`, `options`,
    `Spot`) or capitalised words with a number (`OtherKey1`). Random keys of 8+ alphanumerics are such a word
    by chance about 1 time in 500."""
    return not _WORD.match(c.value)


_DIGEST_FIELD = _lazy_re(r"(?i)(?:hash|hashed|digest|checksum|sha1|sha256|sha512|md5|integrity)[\w-]*[\\\"'`\]]*\s*[:=]\s*[\\\"'`]*$")


@validator("not_digest_field")
def is_not_digest_field(c: Candidate) -> bool:
    """`"hashed_secret": "…"` (a detect-secrets baseline), `secret_sha256 = "…"`: a digest of a secret is not one."""
    at = c.line.find(c.value)
    return at < 0 or not _DIGEST_FIELD.search(c.line[:at])


# -- other chains' keys and encoded credentials ---------------------------------------------------------------------
@validator("sui_private_key")
def is_sui_private_key(c: Candidate) -> bool:
    """suiprivkey1...: Bech32 whose checksum verifies, over a scheme flag (0-2) and a 32-byte secret."""
    from crypto_key_guard.engine import checksums

    return checksums.is_sui_private_key(c.value)


@validator("fernet_token")
def is_fernet_token(c: Candidate) -> bool:
    """A Fernet token's structure: version byte 0x80, timestamp, IV, whole AES blocks, HMAC."""
    from crypto_key_guard.engine import checksums

    return checksums.is_fernet_token(c.value)


def _json_object(segment: str) -> dict | None:
    import json

    from crypto_key_guard.engine.checksums import b64_decode_loose

    raw = b64_decode_loose(segment, urlsafe=True)
    if raw is None:
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


# the example every JWT tutorial copies (jwt.io's default token): its claims, whatever the signature
_EXAMPLE_CLAIMS = {"sub": "1234567890", "name": "John Doe"}
# keys published on purpose: a Supabase project's anon key ships in every web page that uses the project
_PUBLIC_ROLES = frozenset(("anon", "public"))


@validator("jwt_credential")
def is_jwt_credential(c: Candidate) -> bool:
    """A signed JWT: the header decodes to a JSON object with an `alg` other than none, the payload to a JSON
    object, the signature has at least 16 characters. Not the tutorials' example token, not an expired token
    (`exp` in the past), not a key that is public by design (role anon)."""
    parts = c.value.split(".")
    if len(parts) != 3 or len(parts[2]) < 16:
        return False
    header, payload = _json_object(parts[0]), _json_object(parts[1])
    if header is None or payload is None:
        return False
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        return False
    if all(payload.get(k) == v for k, v in _EXAMPLE_CLAIMS.items()):
        return False
    expiry = payload.get("exp")
    if isinstance(expiry, (int, float)) and not isinstance(expiry, bool) and expiry < _now():
        return False  # expired: authenticates nothing any more (docs quote such tokens in sample responses)
    return payload.get("role") not in _PUBLIC_ROLES


def _now() -> float:
    import time

    return time.time()


@validator("basic_auth_credentials")
def is_basic_auth_credentials(c: Candidate) -> bool:
    """`Authorization: Basic <base64>` decodes to `user:password` (printable, no blanks), with a password that is
    neither a bare word (`password`, `Secret1`: tutorials' fillers) nor a template slot, nor a filler run."""
    from crypto_key_guard.engine.checksums import b64_decode_loose

    raw = b64_decode_loose(c.value)
    if raw is None:
        return False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    user, sep, password = text.partition(":")
    if not sep or not user or len(password) < 4 or len(user) > 256 or len(password) > 256:
        return False
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        return False
    if _WORD.match(password) or password == user or is_low_diversity(password):
        return False
    return not _TEMPLATE_SLOT.search(password)


_TEMPLATE_SLOT = _lazy_re(r"\{[^{}]*\}|<[^<>]*>|\$\{|\$[A-Z_]|%\(|%s")


@validator("not_public_jwt")
def is_not_public_jwt(c: Candidate) -> bool:
    """For the generic rules: a value that decodes as a JWT must be a credential by jwt_credential's checks (an
    anon key, the tutorials' token or an unsigned token is not); anything else is left to the other checks."""
    parts = c.value.split(".")
    if len(parts) != 3 or not c.value.startswith("eyJ"):
        return True
    if _json_object(parts[0]) is None or _json_object(parts[1]) is None:
        return True
    return is_jwt_credential(c)


# a PEM body's key material: the base64 characters between the armour lines (headers such as Proc-Type and DEK-Info,
# blanks and escaped newlines left out)
_PEM_ARMOUR = _lazy_re(r"-----(?:BEGIN|END) [A-Z0-9 ]+-----|^[A-Za-z-]+: .*$|\\[rn]", re.M)
_BASE64_CHAR = _lazy_re(r"[A-Za-z0-9+/]")
MIN_PEM_BODY = 40  # the smallest private key (Ed25519 in PKCS#8) is 64 base64 characters; its seed alone 43


@validator("pem_body")
def has_pem_body(c: Candidate) -> bool:
    """A PEM block holds a key's worth of base64 (a template's `my-private-key` or `...` between the armour lines
    is a placeholder, not a key)."""
    body = _PEM_ARMOUR.sub("", c.value)
    return len(_BASE64_CHAR.findall(body)) >= MIN_PEM_BODY


@validator("bot_token_secret")
def is_bot_token_secret(c: Candidate) -> bool:
    """`<bot id>:<secret>`: the secret half is random, so it mixes letters and digits (a type name after a colon,
    `clm12345678:AgencyIdentificationCodeContentType`, has no digit; 35 random base64url characters lack one 1 time
    in 400)."""
    secret = c.value.rpartition(":")[2]
    return any(ch.isdigit() for ch in secret) and any(ch.isalpha() for ch in secret)
