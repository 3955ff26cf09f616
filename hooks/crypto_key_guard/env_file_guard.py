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


SECRETS_FILE_ADVICE = ("secrets files must not be committed. Unstage it with `git rm --cached -- {quoted}`, add "
                       "it to .gitignore (`gitignore-enforcer --fix`), and commit a template with empty values "
                       "(e.g. .env.example) instead.")
WALLET_ADVICE = ("a wallet or keystore must never be committed, encrypted or not: its password can be attacked "
                 "offline by anyone holding the file. Unstage it with `git rm --cached -- {quoted}` and keep it "
                 "outside the repository; if it was ever pushed, move the funds to a new wallet.")
KEY_ADVICE = ("private key files must not be committed. Unstage it with `git rm --cached -- {quoted}` and keep "
              "keys outside the repository (~/.ssh, a secrets manager); if it was ever pushed, replace the key.")
CONTENT_PROBE = 64 << 10
# what encrypted-secret tools write: a committed SealedSecret or SOPS file is meant to be public
_ENCRYPTED_MARKERS = (re.compile(rb"(?m)^kind:\s*SealedSecret\b"),
                      re.compile(rb"(?m)^sops:\s*$[\s\S]*\bmac:\s*ENC\["),     # YAML
                      re.compile(rb'"sops"\s*:\s*\{[\s\S]*"mac"\s*:\s*"ENC\['),  # JSON
                      re.compile(rb"(?m)^sops_mac=ENC\["),                           # dotenv
                      re.compile(rb"(?m)^\[sops\]\s*$"))                             # INI


def _head(filename: str) -> bytes | None:
    try:
        with open(filename, "rb") as fh:
            return fh.read(CONTENT_PROBE)
    except OSError:
        return None


def encrypted_for_commit(content: bytes) -> bool:
    """A Sealed Secrets manifest or a SOPS-encrypted file: ciphertext made to be committed."""
    return any(p.search(content) for p in _ENCRYPTED_MARKERS)


def public_only_pem(content: bytes) -> bool:
    """A .pem/.key that holds certificates or public keys only (a CA bundle, a server certificate)."""
    return b"-----BEGIN " in content and b"PRIVATE KEY" not in content


def _matching(path: str, patterns) -> str | None:
    from crypto_key_guard.policy.datafiles import path_matches

    lowered = path.lower()  # .ENV is .env on the file systems of Windows and macOS
    return next((p for p in patterns if path_matches(path, p) or path_matches(lowered, p.lower())), None)


def judge(filename: str, lists, blocked: list[str], templates: list[str]) -> tuple[str, str, str] | None:
    """(kind, pattern, advice) when a file must not be committed by its name; None when it may be (the
    content of templates is judged separately)."""
    if _matching(filename, lists.placeholders):
        return None
    rule = _matching(filename, lists.wallets)
    if rule is not None:
        return "wallet-file", rule, WALLET_ADVICE
    rule = _matching(filename, lists.private_keys)
    if rule is not None:
        head = _head(filename)
        if head is not None and (public_only_pem(head) or encrypted_for_commit(head)):
            return None
        return "private-key-file", rule, KEY_ADVICE
    rule = _matching(filename, blocked)
    if rule is None:
        return None
    if rule.endswith("/") and _matching(filename, lists.code_in_blocked_dirs):
        return None  # source code of a package or directory named secrets/
    head = _head(filename)
    if head is not None and encrypted_for_commit(head):
        return None
    return "env-file", rule, SECRETS_FILE_ADVICE


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
        if _matching(filename, templates):
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
        verdict = judge(filename, lists, blocked, templates)
        if verdict is not None:
            kind, rule, advice = verdict
            print(f"{shown}: {kind} ({rule}) {advice.format(shown=shown, quoted=shell_quote(filename))}")
            retv = EXIT_FINDINGS
    if retv == EXIT_CLEAN and unreadable:
        return EXIT_USAGE
    return retv


if __name__ == "__main__":
    raise SystemExit(main())
