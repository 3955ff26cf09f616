"""Bounded decoding of values and documents: base64 (standard and URL-safe), hex and percent-encoding.

A value is decoded only when the result is text (a Kubernetes Secret's `data:`, a base64 .env, a base64 PEM,
`%2B` in a URL): random key material decodes to binary and is left alone.
"""
from __future__ import annotations

import binascii

MIN_ENCODED = 16
MAX_ENCODED = 1 << 20
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_B64_BYTES = bytes(sorted(_B64))
_HEX_BYTES = bytes(sorted(_HEX))
_B64_START = [bytes((c,)) for c in _B64]
_B64_SPACE = _B64_BYTES + b" \t\n\r\x0b\x0c"  # what strip() removes around a document, and base64
_HEAD = 4096


def _text_or_none(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text:
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    return text if printable >= 0.97 * len(text) else None


def decode_value(value: str) -> tuple[str, str] | None:
    """(decoded text, how) when value is base64, hex or percent-encoded text; otherwise None."""
    if len(value) < MIN_ENCODED or len(value) > MAX_ENCODED:
        if "%" not in value:
            return None
    raw = value.encode("utf-8", "surrogatepass")
    if "%" in value:
        from urllib.parse import unquote

        if any(c in _HEX for c in raw[raw.find(b"%") + 1: raw.find(b"%") + 3]):
            decoded = unquote(value)
            if decoded != value:
                return decoded, "percent"
        return None
    compact = raw.strip()
    if not compact or not set(compact) <= _B64:
        return None
    if set(compact) <= _HEX and len(compact) % 2 == 0:
        try:
            text = _text_or_none(binascii.unhexlify(compact))
        except (binascii.Error, ValueError):
            text = None
        if text is not None:
            return text, "hex"
    body = compact.rstrip(b"=")
    if b"=" in body or len(body) % 4 == 1:
        return None
    padded = body + b"=" * (-len(body) % 4)
    try:
        if b"-" in padded or b"_" in padded:
            decoded = binascii.a2b_base64(padded.replace(b"-", b"+").replace(b"_", b"/"))
        else:
            decoded = binascii.a2b_base64(padded)
    except (binascii.Error, ValueError):
        return None
    text = _text_or_none(decoded)
    return None if text is None else (text, "base64")


def whole_document(data: bytes) -> tuple[int, int, bytes] | None:
    """A document that is nothing but base64 (a base64 .env, a PEM file encoded whole): (start, end, decoded)."""
    if len(data) > MAX_ENCODED:
        return None
    if data[:_HEAD].translate(None, _B64_SPACE):  # a byte neither base64 nor space: no copy of the whole buffer
        return None
    stripped = data.strip()
    if len(stripped) < 24 or stripped[:1] not in _B64_START:
        return None
    compact = stripped.replace(b"\n", b"").replace(b"\r", b"")
    if compact.translate(None, _B64_BYTES) or not compact.translate(None, _HEX_BYTES):
        return None  # not base64 only, or hex only
    hit = decode_value(compact.decode("ascii"))
    if hit is None or hit[1] != "base64":
        return None
    start = data.find(stripped[:1])
    return start, start + len(stripped), hit[0].encode("utf-8")
