"""pre-commit hook: block env and secrets files; allow templates only while their values are placeholders."""
from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, console_main
from crypto_key_guard.policy.options import fail_usage

PROG = "env-file-guard"
# names whose value in a template must be empty or a placeholder (the name ends like a credential:
# API_KEY, BINANCE_SECRET, OKX_PASSPHRASE; not TOKEN_EXPIRY or AUTH_URL)
_SECRET_NAME = re.compile(r"(?i)(?:key|secret|token|pass|password|passphrase|pwd|mnemonic|seed|seed_?phrase|"
                          r"credentials?)$")
_HARMLESS = re.compile(r"(?i)^(?:true|false|yes|no|on|off|none|null|\d+)$")
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$")


def parse_env_line(line: str) -> tuple[str, str] | None:
    """NAME=value (optionally `export`, quotes, trailing comment) -> (name, value); None for other lines."""
    if line.lstrip().startswith("#"):
        return None
    m = _LINE.match(line)
    if not m:
        return None
    name, value = m.group(1), m.group(2)
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        value = value[1:end] if end > 0 else value[1:]
    else:
        value = value.split(" #", 1)[0].strip()
    return name, value


def template_problems(text: str, scanner) -> list[tuple[int, str, str]]:
    """(line, name, redacted value) for each value in a template that is not empty or a placeholder."""
    from crypto_key_guard.engine.findings import redact
    from crypto_key_guard.engine.validators import shannon_entropy

    problems: dict[int, tuple[int, str, str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        parsed = parse_env_line(line)
        if not parsed or not parsed[1]:
            continue
        name, value = parsed
        looks_random = len(value) >= 20 and shannon_entropy(value) >= 3.5
        if _HARMLESS.match(value):
            continue
        if (_SECRET_NAME.search(name) or looks_random) and not scanner.is_placeholder(value) \
                and "pragma: allowlist secret" not in line:
            problems[number] = (number, name, redact(value))
    for f in scanner.scan_bytes(text.encode("utf-8", "replace")):  # whatever the rules say, too
        problems.setdefault(f.line, (f.line, f.rule, f.redacted))
    return [problems[k] for k in sorted(problems)]


@console_main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("filenames", nargs="*", help="files to check (pre-commit passes the staged ones)")
    parser.add_argument("--block", action="append", default=[], metavar="GLOB",
                        help="another file pattern to block (repeatable), e.g. 'credentials.json'")
    parser.add_argument("--template", action="append", default=[], metavar="GLOB",
                        help="another template pattern allowed while its values are placeholders (repeatable)")
    args = parser.parse_args(argv)

    from crypto_key_guard.policy.config import load_config, project_root
    from crypto_key_guard.policy.datafiles import load_env_file_lists
    from crypto_key_guard.policy.secret_files import judge, matching
    from crypto_key_guard.engine.scanner import Scanner, sniff_encoding, to_utf8
    from crypto_key_guard.util.display import printable, shell_quote

    try:
        lists = load_env_file_lists()
        scanner = Scanner()
        configured = load_config(project_root(".")).section("env_files")  # env_files.block / .templates
    except UsageError as exc:
        return fail_usage(PROG, exc)
    blocked = list(lists.blocked) + configured["block"] + args.block
    templates = list(lists.templates) + configured["templates"] + args.template
    retv = EXIT_CLEAN
    unreadable = False
    for filename in args.filenames:
        shown = printable(filename)
        if matching(filename, templates):
            try:
                with open(filename, "rb") as fh:
                    content = fh.read()
            except OSError as exc:
                print(f"{shown}: cannot read ({exc.strerror}), so it is not known to hold placeholders only; "
                      "fix its permissions or leave it out of the commit", file=sys.stderr)
                unreadable = True
                continue
            encoding = sniff_encoding(content[:8192])
            if encoding is None:
                continue
            text = to_utf8(content, encoding).decode("utf-8", "replace")
            for line, name, shown_value in template_problems(text, scanner):
                print(f"{shown}:{line}: env-template-value {name} has a real-looking value ({shown_value}); "
                      "a template may hold only empty values or placeholders like 'your_api_key_here'. "
                      "If it is a real key, rotate it.")
                retv = EXIT_FINDINGS
            continue
        verdict = judge(filename, lists, blocked)
        if verdict is not None:
            kind, rule, advice = verdict
            print(f"{shown}: {kind} ({rule}) {advice.format(shown=shown, quoted=shell_quote(filename))}")
            retv = EXIT_FINDINGS
    if retv == EXIT_CLEAN and unreadable:
        return EXIT_USAGE
    return retv


if __name__ == "__main__":
    raise SystemExit(main())
