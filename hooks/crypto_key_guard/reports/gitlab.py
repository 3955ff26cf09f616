"""GitLab Secret Detection report (`--format gitlab`): findings shown in merge requests and the security dashboard.

The shape follows GitLab's published secret-detection-report-format schema (v15): `version`, `scan` (analyzer,
scanner, type `secret_detection`, start/end time without a zone, status) and `vulnerabilities`, each with an
`id`, `identifiers` and a `location` holding the file, the line and the commit. A value is only ever redacted.
Paths are relative to the repository root, as in SARIF, since GitLab resolves them from the project root.
"""
from __future__ import annotations

import datetime
import subprocess
from typing import Any, Sequence, TextIO

from crypto_key_guard import __version__
from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.util.display import json_text

SCHEMA_VERSION = "15.2.1"
SEVERITY = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
NO_COMMIT = "0000000"  # what GitLab's own analyzer reports for files scanned outside history
TOOL = {"id": "crypto-key-guard", "name": "crypto-key-guard", "version": __version__,
        "vendor": {"name": "crypto-key-guard"}, "url": "https://github.com/crypto-key-guard/crypto-key-guard"}


def _head_commit(root: str | None) -> str:
    """The commit the scanned tree is at (GitLab requires one per finding); NO_COMMIT outside git."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root or ".",
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return NO_COMMIT
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else NO_COMMIT


def _time(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")  # the schema's pattern: no zone, no fraction


def gitlab_document(findings: Sequence[Finding], session: Any = None,
                    started: datetime.datetime | None = None) -> dict:
    relative = session.relative if session is not None else (lambda p: p.replace("\\", "/"))
    root = getattr(getattr(session, "config", None), "root", None)
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    vulnerabilities = []
    commits: dict[str, str] = {}
    for f in findings:
        introduced = f.extra.get("introduced") if isinstance(f.extra, dict) else None  # --history findings
        sha = introduced.get("commit") if isinstance(introduced, dict) and introduced.get("commit") else None
        if sha is None:
            sha = commits.get("HEAD") or commits.setdefault("HEAD", _head_commit(root))
        path = relative(f.file)
        vulnerabilities.append({
            "id": f.fingerprint,
            "category": "secret_detection",
            "name": f.description,
            "description": f"{f.description} (value {f.redacted}), found by rule {f.rule}.",
            "severity": SEVERITY.get(f.severity, "Unknown"),
            "solution": f.remediation or "Rotate this credential, then load it from the environment.",
            "identifiers": [{"type": "crypto_key_guard_rule_id", "name": f"crypto-key-guard rule {f.rule}",
                             "value": f.rule}],
            "location": {"file": path, "start_line": f.line, "end_line": f.line, "commit": {"sha": sha}},
        })
    return {
        "version": SCHEMA_VERSION,
        "scan": {"analyzer": TOOL, "scanner": TOOL, "type": "secret_detection",
                 "start_time": _time(started or now), "end_time": _time(now), "status": "success"},
        "vulnerabilities": vulnerabilities,
    }


def write_gitlab(findings: Sequence[Finding], out: TextIO, session: Any = None) -> None:
    out.write(json_text(gitlab_document(findings, session)))  # valid UTF-8 whatever the file names
    out.write("\n")
