"""SARIF 2.1.0 for GitHub code scanning: rule metadata, redacted messages, stable partial fingerprints.

Validated in the tests against the published SARIF 2.1.0 schema (tests/data/sarif-2.1.0-rtm.5.json).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Sequence, TextIO
from urllib.parse import quote

from crypto_key_guard import __version__
from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.util.display import json_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub ranks alerts by this number (0-10): critical >= 9, high 7-8.9, medium 4-6.9, low < 4
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
FINGERPRINT_KEY = "secretFingerprint/v1"
_URL = re.compile(r"https?://[^\s)>\]]+")

# What to do after the rule's own remediation, by kind: a wallet secret cannot be rotated, only abandoned.
THEN = {
    "wallet": "Then remove it from the repository (and its history): a wallet secret never belongs in code.",
}
THEN_DEFAULT = ("Then remove the value from the code and load it from the environment instead "
                "(`os.environ` / `process.env`, a git-ignored `.env` locally, a secrets manager in production).")
ACCEPT = ("A deliberate test value: add `# pragma: allowlist secret` to its line, or accept it by fingerprint with "
          "`crypto-key-guard ignore add` (no line numbers, so moving code keeps it accepted).")


def _help(f: Finding) -> tuple[str, str]:
    first = f.remediation or "Rotate this credential now: a secret that reached a commit may already be copied."
    then = THEN.get(f.kind, "" if "environ" in first else THEN_DEFAULT)  # not twice
    parts = [p for p in (first, then, ACCEPT) if p]
    text = " ".join(parts).replace("`", "")
    markdown = "\n\n".join([f"**{f.description}**"] + parts)
    return text, markdown


def _rule(f: Finding) -> dict:
    text, markdown = _help(f)
    rule: dict[str, Any] = {
        "id": f.rule,
        "name": "".join(part.capitalize() for part in f.rule.split("-")),
        "shortDescription": {"text": f.description},
        "fullDescription": {"text": f"{f.description}: a {f.kind} secret found by crypto-key-guard's rule "
                                    f"'{f.rule}'."},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[f.severity]},
        "properties": {"tags": ["security", "secret", f.kind], "security-severity": SECURITY_SEVERITY[f.severity],
                       "precision": "high" if f.confidence == "high" else "medium"},
    }
    url = _URL.search(f.remediation)
    if url:  # the exchange's API-management page, for instance
        rule["helpUri"] = url.group(0).rstrip(".,;")
    return rule


def _location(path: str) -> dict:
    """A repository-relative path as a URI reference under %SRCROOT% (percent-encoded: spaces, '#', '%'),
    a path outside the repository as a file: URI."""
    raw = os.fsencode(path)  # a name's bytes that are not UTF-8 are percent-encoded as they are
    if Path(path).is_absolute():
        try:
            return {"uri": Path(path).as_uri()}
        except UnicodeEncodeError:
            return {"uri": "file://" + quote(raw, safe="/")}
    return {"uri": quote(raw, safe="/"), "uriBaseId": "%SRCROOT%"}


def _result(f: Finding, rule_index: int, path: str) -> dict:
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f"{f.description} (value {f.redacted}). {f.remediation or THEN_DEFAULT}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": _location(path),
            "region": {"startLine": f.line, "startColumn": f.column},
        }}],
        # rule + hash of the secret, never the line: moving code does not make a new alert
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"confidence": f.confidence, "severity": f.severity, **f.extra},
    }


def sarif_document(findings: Sequence[Finding], session: Any = None, notes: Sequence[str] = (),
                   errors: Sequence[str] = ()) -> dict:
    """`session` (options.Session) makes paths relative to the repository root, as code scanning expects,
    whichever directory was scanned."""
    rules: dict[str, int] = {}
    descriptors: list[dict] = []
    for f in findings:
        if f.rule not in rules:
            rules[f.rule] = len(descriptors)
            descriptors.append(_rule(f))
    relative = session.relative if session is not None else (lambda p: p.replace("\\", "/"))
    notifications = [{"level": "note", "message": {"text": n}} for n in notes] + \
                    [{"level": "error", "message": {"text": e}} for e in errors]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "crypto-key-guard",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://github.com/crypto-key-guard/crypto-key-guard",
                "rules": descriptors,
            }},
            "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": notifications}],
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, rules[f.rule], relative(f.file)) for f in findings],
        }],
    }


def write_sarif(findings: Sequence[Finding], out: TextIO, session: Any = None, notes: Sequence[str] = (),
                errors: Sequence[str] = ()) -> None:
    out.write(json_text(sarif_document(findings, session, notes, errors)) + "\n")
