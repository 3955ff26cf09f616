"""Findings -> text or JSON. Only redacted values ever reach here."""
from __future__ import annotations

import os

from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.util.display import printable

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Sequence, TextIO

ADVICE = (
    "What to do: if it was ever committed or pushed, rotate the key at the exchange first (a secret that "
    "reached a commit may already be copied; for a seed phrase: move the funds to a new wallet; "
    "`crypto-key-guard scan --history` shows where it is). Then move the value to the environment "
    "(os.environ / process.env) and read it from there. A secrets file such as .env must not be committed at "
    "all. A deliberate test value can be marked with 'pragma: allowlist secret' or 'gitleaks:allow' on its line."
)
# crypto-key-patterns and `scan --staged`: the commit was stopped, so the value is still only on this machine
COMMIT_ADVICE = (
    "Nothing was committed: this never left your machine. Move the value to the environment (os.environ / "
    "process.env) and read it from there, then stage again; rotating is needed only if it was committed, pushed "
    "or shared before. A .env or other secrets file must not be committed at all: `git rm --cached -- FILE`, "
    "then `pre-commit run gitignore-enforcer-fix --hook-stage manual` makes git ignore it. A deliberate test "
    "value can be marked with 'pragma: allowlist secret' or 'gitleaks:allow' on its line."
)
ENV_FILE_NOTE = ("This file must not be committed: keep it out of git (`git rm --cached -- {path}`; "
                 "`pre-commit run gitignore-enforcer-fix --hook-stage manual` adds it to .gitignore).")


def is_env_file(path: str) -> bool:
    """A dotenv-style file: the value already lives in the right kind of place, the file must stay local."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def summary_line(prog: str, stats: dict, findings: int, seconds: float) -> str:
    """The closing line of text output (files, findings, time), like gitleaks' and detect-secrets' summaries."""
    files = stats.get("files", 0)
    return (f"{prog}: {files} file{'' if files == 1 else 's'}, {findings} finding{'' if findings == 1 else 's'}, "
            f"{seconds:.2f} s")


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


def write_text(findings: Sequence[Finding], out: TextIO, notes: Sequence[str] = (), advice: str = ADVICE,
               blocked: bool = False) -> None:
    """blocked: the findings stopped a commit (the hook, `scan --staged`): nothing has left the machine."""
    colour = use_colour(out)
    for f in findings:
        print(paint(finding_line(f), COLOURS.get(f.severity, "0"), colour), file=out)
        if "verification" in f.extra:  # scan --verify
            print(f"    verification: {f.extra['verification']['summary']}", file=out)
        if is_env_file(f.file):
            print(f"    {ENV_FILE_NOTE.format(path=printable(f.file))}", file=out)
        elif f.remediation:
            print(f"    {'If it was ever committed, pushed or shared: ' if blocked else ''}{f.remediation}", file=out)
    if findings:
        what = "blocked before commit" if blocked else "found"
        print(f"\n{paint(f'{len(findings)} secret(s) {what}.', '1', colour)} {advice}", file=out)
