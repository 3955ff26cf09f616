"""SARIF 2.1.0 for GitHub code scanning: rule metadata, redacted messages, stable partial fingerprints."""
from __future__ import annotations

import json
from typing import Sequence, TextIO

from . import __version__
from .findings import Finding
from .report import ADVICE

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub ranks alerts by this number (0-10): critical >= 9, high 7-8.9, medium 4-6.9, low < 4
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _rule(f: Finding) -> dict:
    help_text = f"{f.remediation} {ADVICE}".strip()
    return {
        "id": f.rule,
        "name": "".join(part.capitalize() for part in f.rule.split("-")),
        "shortDescription": {"text": f.description},
        "fullDescription": {"text": f.description},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS[f.severity]},
        "properties": {"tags": ["security", "secret", f.kind], "security-severity": SECURITY_SEVERITY[f.severity],
                       "precision": "high" if f.confidence == "high" else "medium"},
    }


def _result(f: Finding, rule_index: int) -> dict:
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f"{f.description} (value {f.redacted}). {f.remediation or ADVICE}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.file.replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": f.line, "startColumn": f.column},
        }}],
        # rule + hash of the secret, never the line: moving code does not make a new alert
        "partialFingerprints": {"secretFingerprint/v1": f.fingerprint},
        "properties": {"confidence": f.confidence, **f.extra},
    }


def sarif_document(findings: Sequence[Finding]) -> dict:
    rules: dict[str, int] = {}
    descriptors: list[dict] = []
    for f in findings:
        if f.rule not in rules:
            rules[f.rule] = len(descriptors)
            descriptors.append(_rule(f))
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
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, rules[f.rule]) for f in findings],
        }],
    }


def write_sarif(findings: Sequence[Finding], out: TextIO) -> None:
    json.dump(sarif_document(findings), out, indent=2, ensure_ascii=False)
    out.write("\n")
