"""Findings as one JSON document: findings (redacted), stats and notes."""
from __future__ import annotations

from typing import Sequence, TextIO

from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.util.display import json_text


def write_json(findings: Sequence[Finding], stats: dict, out: TextIO, notes: Sequence[str] = ()) -> None:
    keys = ("file", "line", "column", "rule", "severity", "confidence", "description", "redacted", "fingerprint")
    doc = {
        "findings": [dict({k: getattr(f, k) for k in keys}, **f.extra) for f in findings],
        "stats": stats,
        "notes": list(notes),
    }
    out.write(json_text(doc) + "\n")
