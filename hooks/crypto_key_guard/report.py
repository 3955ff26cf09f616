"""Findings -> text or JSON. Only redacted values ever reach here."""
from __future__ import annotations

import json
from typing import Sequence, TextIO

from .findings import Finding
from .sources import printable

ADVICE = (
    "What to do: remove the value from the file; rotate the key at the exchange now, because a secret that "
    "reached a commit may already be copied (for a seed phrase: move the funds to a new wallet); load it from "
    "the environment instead (os.environ / a git-ignored .env). A deliberate test value can be marked with "
    "'pragma: allowlist secret' on its line."
)


def finding_line(f: Finding) -> str:
    return f"{printable(f.file)}:{f.line}:{f.column}: {f.rule} {f.description} (value {f.redacted})"


def write_text(findings: Sequence[Finding], out: TextIO, notes: Sequence[str] = (), advice: str = ADVICE) -> None:
    for f in findings:
        print(finding_line(f), file=out)
        if f.remediation:
            print(f"    {f.remediation}", file=out)
    if findings:
        print(f"\n{len(findings)} secret(s) found. {advice}", file=out)


def write_json(findings: Sequence[Finding], stats: dict, out: TextIO, notes: Sequence[str] = ()) -> None:
    keys = ("file", "line", "column", "rule", "severity", "confidence", "description", "redacted", "fingerprint")
    doc = {
        "findings": [dict({k: getattr(f, k) for k in keys}, **f.extra) for f in findings],
        "stats": stats,
        "notes": list(notes),
    }
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_report(fmt: str, result, output: str | None = None, tool_args=None) -> None:
    """Write a ScanResult in the chosen format to stdout or a file."""
    import contextlib
    import sys

    with (open(output, "w", encoding="utf-8") if output else contextlib.nullcontext(sys.stdout)) as out:
        if fmt == "json":
            write_json(result.findings, result.stats, out, result.notes + result.errors)
        elif fmt == "sarif":
            from .sarif import write_sarif

            write_sarif(result.findings, out)
        else:
            write_text(result.findings, out)
