"""Asking an exchange, through ccxt, what one API key may do: shared by `audit` (a key from the environment) and
`scan --verify` (a key found in files).

One signed, read-only request per key (two for HTX, whose key endpoint needs the account id first), to the
exchange's own API host, with a timeout. Every failure becomes a one-line message without any secret: ccxt's
exceptions embed request URLs, headers and the exchange's answer, which may echo the key.

Test-only: CKG_AUDIT_API_BASE=http://127.0.0.1:PORT (environment only, loopback only) points ccxt at a local
server; the test suite uses it to check request signatures without the internet. Anything but a loopback http URL
is refused, so the variable can never send a key to another host.
"""
from __future__ import annotations

import copy
import re
import urllib.parse
from typing import Any, Mapping, Optional, Sequence

from crypto_key_guard.engine.findings import redact
from crypto_key_guard.errors import UsageError
from crypto_key_guard.integrations.exchanges import ExchangeSpec, KeyPermissions, UnexpectedResponse
from crypto_key_guard.sources.files import printable

TEST_API_BASE_ENV = "CKG_AUDIT_API_BASE"
INSTALL_HINT = "pip install 'crypto-key-guard[audit]'"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def loopback_api_base(environ: Mapping[str, str]) -> Optional[str]:
    """The loopback base URL the test suite points ccxt at, or None. Anything but http://loopback:port raises."""
    base = (environ.get(TEST_API_BASE_ENV) or "").strip()
    if not base:
        return None
    try:
        parts = urllib.parse.urlsplit(base)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
        parts = None
    if (parts is None or parts.scheme != "http" or host not in _LOOPBACK or parts.username or parts.password
            or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise UsageError(f"{TEST_API_BASE_ENV} is for the test suite only and must be http://127.0.0.1:PORT; "
                         "unset it to reach the real exchange")
    return f"http://{parts.netloc}"


def load_ccxt() -> Any:
    """The ccxt module (the optional `audit` extra); nothing else in crypto-key-guard imports it."""
    import ccxt

    return ccxt


def secret_value(value: str) -> str:
    """PEM keys (Coinbase) often travel with literal "\\n" escapes through CI secrets, .env and JSON files."""
    if "-----BEGIN" in value and "\\n" in value:
        value = value.replace("\\r", "").replace("\\n", "\n")
    return value if "-----BEGIN" not in value else value.strip() + "\n"


def _point_at(urls: Any, base: str) -> Any:
    """Replace the scheme and host of every URL in ccxt's urls['api'] tree by `base`."""
    if isinstance(urls, dict):
        return {k: _point_at(v, base) for k, v in urls.items()}
    if isinstance(urls, str):
        return re.sub(r"^(?:https?|wss?)://[^/]+", base, urls)
    return urls


def make_client(ccxt: Any, spec: ExchangeSpec, key: str, secret: str, passphrase: Optional[str],
                timeout: float, base: Optional[str]) -> Any:
    config: dict[str, Any] = {
        "apiKey": key,
        "secret": secret_value(secret),
        "timeout": max(1, int(timeout * 1000)),
        "enableRateLimit": False,  # callers pace their own requests: one per key
    }
    if spec.needs_passphrase:
        config["password"] = passphrase or ""
    client = getattr(ccxt, spec.id)(config)
    if base is not None:
        client.urls = copy.deepcopy(client.urls)
        client.urls["api"] = _point_at(client.urls["api"], base)
        if isinstance(getattr(client, "hostname", None), str):
            client.hostname = base.split("://", 1)[1]  # HTX signs the host it sends to
        session = getattr(client, "session", None)
        if session is not None:
            session.trust_env = False  # loopback is never sent through an HTTP(S)_PROXY
    return client


def ask(spec: ExchangeSpec, client: Any) -> KeyPermissions:
    """The key's permissions (or, for a liveness-only venue, proof that it works): the signed read-only call."""
    if spec.request is not None:
        return spec.parse(spec.request(client))
    return spec.parse(getattr(client, spec.method)())


_QUERY = re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]*")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_HEADER_VALUE = re.compile(
    r"(?i)((?:authorization|x-mbx-apikey|ok-access-[a-z]+|x-bapi-[a-z-]+|cb-access-[a-z]+|kc-api-[a-z-]+|"
    r"access-[a-z]+|x-gemini-[a-z]+|bfx-[a-z]+|api-key|api-sign|bitvavo-access-[a-z-]+|x-auth[a-z-]*|key|"
    r"signature|sign|api[_-]?key|accesskeyid|secret|passphrase|password|token|sig)['\"]?\s*[:=]\s*['\"]?)"
    r"[^\s'\",}&]+")
_CREDENTIAL_WORDS = re.compile(r"(?i)signature|\bsign\b|api[ -]?key|passphrase|unauthori[sz]ed|invalid key|"
                               r"access[ -]?key|apikey|not authenticated|permission denied|invalid credentials|"
                               r"[\"']code[\"']\s*:\s*[\"']?401\b")  # an answer carrying HTTP's 401 as its code
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+_=-]{32,}")


def sanitize(text: str, secrets: Sequence[str], key: Optional[str] = None, limit: int = 300) -> str:
    """One line, without any secret: exact secrets, URL query strings (timestamps, signatures), header values,
    bearer tokens and any long token-like run are removed or redacted."""
    out = str(text)
    pieces = set()
    for s in secrets:
        if s:
            pieces.add(s)
            pieces.update(line.strip() for line in s.replace("\\n", "\n").splitlines() if len(line.strip()) >= 8)
    for s in sorted(pieces, key=len, reverse=True):
        out = out.replace(s, "[secret]")
    if key:
        out = out.replace(key, redact(key))
    out = _QUERY.sub(r"\1", out)
    out = _BEARER.sub(r"\1[redacted]", out)
    out = _HEADER_VALUE.sub(r"\1[redacted]", out)
    out = _LONG_TOKEN.sub(lambda m: redact(m.group(0)), out)
    out = printable(" ".join(out.split()))
    return out if len(out) <= limit else out[:limit] + "\u2026"


# What went wrong, for callers that report a status rather than a sentence.
REJECTED, CLOCK, UNREACHABLE, UNEXPECTED, FAILED = "rejected", "clock", "unreachable", "unexpected", "error"


def classify_error(exc: BaseException, ccxt: Any, secrets: Sequence[str], key: str) -> tuple[str, str]:
    """(one of REJECTED / CLOCK / UNREACHABLE / UNEXPECTED / FAILED, a sanitised one-line detail)."""
    detail = sanitize(str(exc), secrets, key) or type(exc).__name__
    if isinstance(exc, UnexpectedResponse):
        return UNEXPECTED, str(exc)
    if isinstance(exc, ccxt.InvalidNonce):
        return CLOCK, detail
    # Binance answers a bad signature with code -1022, which ccxt files under BadRequest for api.binance.com.
    if isinstance(exc, ccxt.AuthenticationError) or (
            isinstance(exc, ccxt.ExchangeError) and _CREDENTIAL_WORDS.search(detail)):
        return REJECTED, detail
    if isinstance(exc, ccxt.NetworkError):
        return UNREACHABLE, detail
    if isinstance(exc, ccxt.BaseError):
        # an answer ccxt could not read (HTML, truncated JSON) is the exchange's problem, not the key's
        return (UNEXPECTED if isinstance(exc, ccxt.BadResponse) else FAILED), detail
    if isinstance(exc, (ValueError, TypeError, KeyError, IndexError, AttributeError)):
        return UNEXPECTED, f"{type(exc).__name__}: {detail}"
    return FAILED, f"{type(exc).__name__}: {detail}"


def describe_error(status: str, detail: str, spec: ExchangeSpec, check: str) -> str:
    """A sentence for `classify_error`'s result; `check` says what the user should look at when rejected."""
    if status == UNEXPECTED:
        return f"{spec.name} answered in an unexpected shape ({detail})"
    if status == REJECTED:
        return f"{spec.name} rejected the credentials ({detail}); {check}"
    if status == CLOCK:
        return f"{spec.name} rejected the request's timestamp ({detail}); check this machine's clock"
    if status == UNREACHABLE:
        return f"could not get an answer from {spec.name} ({detail})"
    return f"{spec.name} answered with an error ({detail})"
