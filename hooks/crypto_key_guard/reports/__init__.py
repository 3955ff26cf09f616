"""Findings out: text, JSON, SARIF and GitLab Secret Detection. Only redacted values ever reach here."""
from __future__ import annotations


def write_report(fmt: str, result, output: str | None = None, tool_args=None, blocked: bool = False) -> None:
    """Write a ScanResult in the chosen format to stdout or a file; UsageError when it cannot be written."""
    try:
        _write(fmt, result, output, tool_args, blocked)
    except BrokenPipeError:
        raise
    except OSError as exc:  # a missing directory, no permission, a full disk: one line, exit 2
        from crypto_key_guard.errors import UsageError

        where = output or "standard output"
        raise UsageError(f"{where}: cannot write the report ({exc.strerror or exc})") from None


def _write(fmt: str, result, output: str | None, tool_args, blocked: bool) -> None:
    import contextlib
    import sys

    with (open(output, "w", encoding="utf-8") if output else contextlib.nullcontext(sys.stdout)) as out:
        if fmt == "json":
            from crypto_key_guard.reports.json import write_json

            write_json(result.findings, result.stats, out, result.notes + result.errors)
        elif fmt == "sarif":
            from crypto_key_guard.reports.sarif import write_sarif

            write_sarif(result.findings, out, getattr(tool_args, "session", None), result.notes, result.errors)
        elif fmt == "gitlab":
            from crypto_key_guard.reports.gitlab import write_gitlab

            write_gitlab(result.findings, out, getattr(tool_args, "session", None))
        else:
            from crypto_key_guard.reports.text import COMMIT_ADVICE, ADVICE, write_text

            write_text(result.findings, out, advice=COMMIT_ADVICE if blocked else ADVICE, blocked=blocked)
        if not output:
            out.flush()  # a full disk behind stdout fails here, inside the try, not at exit
