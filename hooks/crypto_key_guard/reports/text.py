"""Findings -> text or JSON. Only redacted values ever reach here."""
from __future__ import annotations

import os

from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.util.display import printable

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs a hook ~5 ms per commit
    from typing import Sequence, TextIO

ADVICE = (
    "What to do: remove the value from the file; rotate the key at the exchange now, because a secret that "
    "reached a commit may already be copied (for a seed phrase: move the funds to a new wallet); load it from "
    "the environment instead (os.environ / a git-ignored .env). A deliberate test value can be marked with "
    "'pragma: allowlist secret' on its line."
)


def finding_line(f: Finding) -> str:
    return f"{printable(f.file)}:{f.line}:{f.column}: {f.rule} {f.description} (value {f.redacted})"


# ANSI colours by severity (red for what must be rotated now)
COLOURS = {"critical": "1;31", "high": "31", "medium": "33", "low": "36"}


def use_colour(out: TextIO) -> bool:
    """Colour only for a person at a terminal: never in a pipe, a file or a CI log, and never when NO_COLOR is
    set to anything (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def paint(text: str, code: str, colour: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if colour else text


def write_text(findings: Sequence[Finding], out: TextIO, notes: Sequence[str] = (), advice: str = ADVICE) -> None:
    colour = use_colour(out)
    for f in findings:
        print(paint(finding_line(f), COLOURS.get(f.severity, "0"), colour), file=out)
        if "verification" in f.extra:  # scan --verify
            print(f"    verification: {f.extra['verification']['summary']}", file=out)
        if f.remediation:
            print(f"    {f.remediation}", file=out)
    if findings:
        print(f"\n{paint(f'{len(findings)} secret(s) found.', '1', colour)} {advice}", file=out)
