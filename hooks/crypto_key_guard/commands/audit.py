"""crypto-key-guard audit EXCHANGE: ask the exchange what this API key may do, and fail unless it is least-privilege.

Reads the key from the environment (`<EXCHANGE>_API_KEY`, `<EXCHANGE>_API_SECRET`, `<EXCHANGE>_PASSPHRASE` where
the exchange has one) or from ./.env, never from the command line. Calls the exchange's signed, read-only
key-permission endpoint through ccxt (the optional `audit` extra, imported only here) and reports read / trade /
withdraw / transfer and the IP restriction. Exit 0: least privilege; 1: the key can withdraw or transfer, or (unless
--allow-no-ip-whitelist) works from any IP; 2: missing credentials or ccxt, unsupported exchange, or an error from
the exchange. The network is used only here and by `scan --verify` (integrations/exchange_client.py, shared).

Test-only: CKG_AUDIT_API_BASE=http://127.0.0.1:PORT (environment only, loopback only) points ccxt at a local
server; the test suite uses it to verify request signatures without the internet.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Mapping, Sequence, TextIO

from crypto_key_guard.integrations.exchange_client import (  # noqa: F401 - sanitize, TEST_API_BASE_ENV: API
    INSTALL_HINT, TEST_API_BASE_ENV, ask, classify_error, load_ccxt, loopback_api_base, make_client, sanitize,
    secret_value,
)
from crypto_key_guard.integrations.exchange_client import describe_error as describe_error_text
from crypto_key_guard.integrations.exchanges import SPECS, ExchangeSpec, KeyPermissions
from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError
from crypto_key_guard.engine.findings import redact
from crypto_key_guard.util.display import printable

PROG = "crypto-key-guard audit"
_DOTENV_MAX_BYTES = 1 << 20


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check a live exchange API key's permissions and IP whitelist (uses the network).",
        epilog="Credentials come from <EXCHANGE>_API_KEY, <EXCHANGE>_API_SECRET (and <EXCHANGE>_PASSPHRASE for "
               "OKX, KuCoin, Bitget) in the environment or in ./.env; they are never accepted as arguments. "
               "Exit 0 least privilege, 1 the key can withdraw/transfer or has no IP whitelist, 2 error.",
    )
    parser.add_argument("exchange", metavar="EXCHANGE", help=f"one of: {', '.join(SPECS)}")
    parser.add_argument("--allow-no-ip-whitelist", action="store_true",
                        help="do not fail when the key works from any IP address")
    parser.add_argument("--allow-unreported-permissions", action="store_true",
                        help="do not fail when the exchange's API cannot say whether the key can withdraw (MEXC, "
                             "Bitstamp, Bitvavo, Crypto.com, Kraken, Poloniex, Gate): check that in its API page")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--env-file", metavar="PATH",
                        help="dotenv file to read when the environment lacks a variable (default: ./.env if present)")
    parser.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS",
                        help="network timeout for the exchange request (default: 15)")
    return parser


# -- credentials ------------------------------------------------------------------------------------------------

def credential_names(spec: ExchangeSpec) -> list[str]:
    prefix = spec.id.upper()
    names = [f"{prefix}_API_KEY", f"{prefix}_API_SECRET"]
    if spec.needs_passphrase:
        names.append(f"{prefix}_PASSPHRASE")
    return names


_DOTENV_ASSIGN = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*")
_DOTENV_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def parse_dotenv(text: str) -> dict[str, str]:
    """KEY=value lines as docker/python-dotenv write them: `export`, comments, 'literal' and "escaped" values
    (double quotes may span lines, for PEM keys). No variable expansion, no command substitution: data only."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    values: dict[str, str] = {}
    pos, end = 0, len(text)
    while pos < end:
        eol = text.find("\n", pos)
        eol = end if eol < 0 else eol
        m = _DOTENV_ASSIGN.match(text, pos, eol)
        if not m:
            pos = eol + 1
            continue
        start = m.end()
        quote = text[start:start + 1]
        if quote in ("'", '"'):
            close = _closing_quote(text, start + 1, quote)
            if close < 0:  # unterminated: ignore the line rather than swallow the rest of the file
                pos = eol + 1
                continue
            raw = text[start + 1:close]
            value = re.sub(r"\\(.)", lambda e: _DOTENV_ESCAPES.get(e.group(1), e.group(0)), raw) \
                if quote == '"' else raw
            after = text.find("\n", close)
            pos = end if after < 0 else after + 1
        else:
            value = re.split(r"[ \t]+#", text[start:eol], maxsplit=1)[0].strip()
            pos = eol + 1
        values[m.group(1)] = value
    return values


def _closing_quote(text: str, i: int, quote: str) -> int:
    if quote == "'":
        return text.find("'", i)
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def read_dotenv(path: str, required: bool = False) -> dict[str, str]:
    """The file's variables, or {} when it is absent and not required; unreadable or oversized files, or a
    required one that is missing, raise UsageError."""
    if not os.path.isfile(path):
        if required:
            raise UsageError(f"{printable(path)}: no such file")
        return {}
    try:
        with open(path, "rb") as fh:
            data = fh.read(_DOTENV_MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{printable(path)}: cannot read ({exc.strerror})") from None
    if len(data) > _DOTENV_MAX_BYTES:
        raise UsageError(f"{printable(path)}: larger than 1 MiB, not a dotenv file")
    return parse_dotenv(data.decode("utf-8", errors="replace"))


def load_credentials(spec: ExchangeSpec, environ: Mapping[str, str], dotenv: Mapping[str, str]
                     ) -> tuple[dict[str, str], list[str]]:
    """(name -> value, missing names). The environment wins over the dotenv file; empty counts as missing."""
    found: dict[str, str] = {}
    missing = []
    for name in credential_names(spec):
        value = (environ.get(name) or "").strip() or (dotenv.get(name) or "").strip()
        if value:
            found[name] = value
        else:
            missing.append(name)
    return found, missing


def describe_error(exc: BaseException, spec: ExchangeSpec, ccxt: Any, secrets: Sequence[str], key: str) -> str:
    status, detail = classify_error(exc, ccxt, secrets, key)
    return describe_error_text(status, detail, spec, f"check {' / '.join(credential_names(spec))} and that this "
                                                     "machine's IP is on the key's whitelist")


# -- verdict and report -------------------------------------------------------------------------------------------

def evaluate(perms: KeyPermissions, spec: ExchangeSpec, allow_no_ip_whitelist: bool,
             allow_unreported: bool = False) -> list[dict]:
    """The reasons the key is not least-privilege, each with where to fix it."""
    problems = []
    if perms.withdraw is None and not allow_unreported:
        problems.append({"problem": "permissions-unreported",
                         "message": f"{spec.name}'s API does not say whether the key can withdraw",
                         "fix": f"{spec.manage}: make sure it cannot ({spec.fix_withdraw}), then pass "
                                "--allow-unreported-permissions"})
    if perms.withdraw:
        also = " and transfer" if perms.transfer and spec.fix_transfer == spec.fix_withdraw else ""
        problems.append({"problem": "withdraw", "message": f"the key can withdraw{also} funds",
                         "fix": f"{spec.manage}: {spec.fix_withdraw}"})
    if perms.transfer and not (perms.withdraw and spec.fix_transfer == spec.fix_withdraw):
        problems.append({"problem": "transfer", "message": "the key can transfer funds between accounts",
                         "fix": f"{spec.manage}: {spec.fix_transfer}"})
    if perms.ip_restricted is False and not allow_no_ip_whitelist:
        problems.append({"problem": "no-ip-whitelist", "message": "the key works from any IP address",
                         "fix": f"{spec.manage}: {spec.fix_ip} (or pass --allow-no-ip-whitelist)"})
    return problems


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def report_doc(spec: ExchangeSpec, key: str, perms: KeyPermissions, problems: list[dict], code: int) -> dict:
    return {
        "exchange": spec.id,
        "name": spec.name,
        "endpoint": spec.endpoint,
        "key": redact(key),
        "permissions": {"read": perms.read, "trade": perms.trade, "withdraw": perms.withdraw,
                        "transfer": perms.transfer},
        "ip_restricted": perms.ip_restricted,
        "ips": perms.ips,
        "details": perms.details,
        "notes": perms.notes,
        "problems": problems,
        "least_privilege": not problems,
        "exit_code": code,
    }


def write_text(doc: dict, out: TextIO) -> None:
    print(f"{doc['name']} API key {doc['key']} ({doc['endpoint']})", file=out)
    for right in ("read", "trade", "withdraw", "transfer"):
        print(f"  {right:<9} {_yes_no(doc['permissions'][right])}", file=out)
    ip = doc["ip_restricted"]
    if ip is None:
        ip_text = "unknown (not reported by this endpoint)"
    elif ip:
        ip_text = "restricted" + (f" to {printable(', '.join(doc['ips']))}" if doc["ips"] else " (IP whitelist set)")
    else:
        ip_text = "not restricted (works from any IP address)"
    print(f"  {'IP':<9} {ip_text}", file=out)
    for line in doc["details"]:
        print(f"  - {printable(str(line))}", file=out)
    for note in doc["notes"]:
        print(f"  note: {note}", file=out)
    for p in doc["problems"]:
        print(f"FAIL: {p['message']}. {p['fix']}.", file=out)
    if not doc["problems"]:
        print("OK: least privilege (cannot withdraw or transfer"
              + (", IP-restricted" if doc["ip_restricted"] else "") + ").", file=out)


def _fail(args: argparse.Namespace, exchange: str, message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    if args.format == "json":
        json.dump({"exchange": exchange, "error": message, "exit_code": EXIT_USAGE}, sys.stdout, indent=2,
                  ensure_ascii=False)
        sys.stdout.write("\n")
    return EXIT_USAGE


def _shown(name: str) -> str:
    """An exchange name as given, unless it looks like something else (a key pasted in its place): redacted."""
    name = name.strip()
    return name.lower() if re.fullmatch(r"[A-Za-z0-9._-]{1,20}", name) else redact(name)


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    exchange = _shown(args.exchange)
    if extra:
        # Not echoed: an unexpected argument is most likely a key or secret typed on the command line.
        return _fail(args, exchange, f"{len(extra)} unexpected argument(s) (not shown); credentials are read only "
                                     "from the environment or ./.env, never from the command line")
    spec = SPECS.get(exchange)
    if spec is None:
        return _fail(args, exchange,
                     f"{printable(exchange)}: this key's permissions cannot be checked here (supported: "
                     f"{', '.join(SPECS)}); verify them in the exchange's API-management page: no withdrawal, "
                     "no transfer, an IP whitelist")
    try:
        env_file = args.env_file or ".env"
        dotenv = read_dotenv(env_file, required=args.env_file is not None)
        creds, missing = load_credentials(spec, os.environ, dotenv)
        if missing:
            return _fail(args, exchange, f"set {', '.join(missing)} in the environment or in "
                                         f"{printable(env_file)} (secrets are never taken as arguments)")
        try:
            ccxt = load_ccxt()
        except ImportError:
            return _fail(args, exchange, f"the audit needs ccxt: {INSTALL_HINT}")
        base = loopback_api_base(os.environ)
    except UsageError as exc:
        return _fail(args, exchange, str(exc))

    names = credential_names(spec)
    key = creds[names[0]]
    secrets = [creds[n] for n in names[1:]] + [secret_value(creds[names[1]])]
    try:
        client = make_client(ccxt, spec, key, creds[names[1]], creds[names[2]] if len(names) > 2 else None,
                             args.timeout, base)
        perms = ask(spec, client)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one sanitised line, never a traceback
        return _fail(args, exchange, describe_error(exc, spec, ccxt, secrets, key))

    problems = evaluate(perms, spec, args.allow_no_ip_whitelist, args.allow_unreported_permissions)
    code = EXIT_FINDINGS if problems else EXIT_CLEAN
    doc = report_doc(spec, key, perms, problems, code)
    if args.format == "json":
        json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        write_text(doc, sys.stdout)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
