"""`scan --verify`: is a found exchange key live, and what may it do?

Only when asked (`--verify`), never by default and never in a hook that was not given the flag. For each exchange
finding whose key and secret (and passphrase, where the venue has one) were found together in one file, the
venue is asked through ccxt, read-only, what the key may do: the same signed call as `crypto-key-guard audit`
(the key's own permission endpoint, or a signed balance read where the venue reports no permissions). One request
per distinct key, paced, each with a timeout, within an overall time budget; nothing but the venue's own API host
is contacted (or the loopback test server of CKG_AUDIT_API_BASE). Errors are sanitised: no value ever reaches the
output, only redacted forms.

The result is a `verification` object in each finding's extras (JSON and SARIF show extras as they are; text
prints its `summary` under the finding). Live keys that can move funds are ranked first.

Raw values come from the engine in this process only: `Scanner.iter_matches(data, path)` yields matches holding
the rule (id, `exchange`), the value and its offsets (and, where the engine has it, the `name` the value
is assigned to); `raw_values` turns them into `keypairs.RawValue`s.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from crypto_key_guard.engine.findings import Finding, redact
from crypto_key_guard.errors import EXIT_LIVE_KEY, EXIT_LIVE_KEY_MOVES_FUNDS
from crypto_key_guard.integrations import exchange_client as client_api
from crypto_key_guard.integrations.exchanges import SPECS, ExchangeSpec, KeyPermissions
from crypto_key_guard.integrations.keypairs import PASSPHRASE, SECRET, KeyPair, RawValue, pair_values, role_of

LIVE, REJECTED, ERROR, NOT_CHECKED = "live", "rejected", "error", "not-checked"
MAX_FILE_BYTES = 8 << 20     # files with a key are small; a huge one is not re-read for pairing
DEFAULT_TIMEOUT = 10.0       # seconds per request
DEFAULT_BUDGET = 120.0       # seconds for all requests of one scan
MAX_KEYS = 100               # distinct keys asked about in one scan
PACE_SECONDS = 0.5           # between two requests to the same venue


@dataclass
class VerifyOptions:
    timeout: float = DEFAULT_TIMEOUT
    budget: float = DEFAULT_BUDGET
    max_keys: int = MAX_KEYS
    pace: float = PACE_SECONDS


def prepare(environ: Mapping[str, str] = os.environ) -> tuple[Any, Optional[str]]:
    """(ccxt, loopback test base or None) before any scanning: ImportError without ccxt, UsageError for a base
    that is not loopback."""
    base = client_api.loopback_api_base(environ)
    return client_api.load_ccxt(), base


# -- raw values from the engine ----------------------------------------------------------------------------------

def raw_values(scanner: Any, content: bytes, path: str) -> list[RawValue]:
    """The exchange values the scanner finds in one file's content, with the text that names each."""
    from crypto_key_guard.engine.scanner import sniff_encoding, to_utf8

    encoding = sniff_encoding(content[:4096])
    if encoding is None:
        return []
    data = to_utf8(content, encoding)
    matches = [m for m in scanner.iter_matches(data, path) if getattr(m.rule, "exchange", "")]
    values = []
    for i, m in enumerate(matches):
        line_start = data.rfind(b"\n", 0, m.start) + 1
        prev_end = max([line_start] + [p.end for p in matches[:i] if line_start <= p.end <= m.start])
        name = data[prev_end:m.start].decode("utf-8", "replace")
        if not any(ch.isalpha() for ch in name.replace("value", "")) and line_start:
            # a bare value (`value: "..."` under `- name: X`): the line above names it, other values blanked
            above_start = data.rfind(b"\n", 0, line_start - 1) + 1
            above = bytearray(data[above_start:line_start])
            for p in matches:
                if p.end > above_start and p.start < line_start:
                    lo, hi = max(p.start, above_start) - above_start, min(p.end, line_start) - above_start
                    above[lo:hi] = b" " * (hi - lo)
            name = above.decode("utf-8", "replace") + name
        # an engine that extracts names hands over the name path itself (e.g. "exchanges.binance.secret")
        name = getattr(m, "name", None) or name
        values.append(RawValue(m.rule.id, m.rule.exchange, m.value, data.count(b"\n", 0, m.start) + 1, name))
    return values


def file_contents(findings: Sequence[Finding], openers: Mapping[str, Callable[[], Any]]) -> Iterable[tuple[str, bytes]]:
    """(path, content) of each file holding an exchange finding, read through the scan's own openers."""
    for path in sorted({f.file for f in findings if f.extra.get("exchange")}):
        opener = openers.get(path)
        if opener is None:
            continue
        try:
            with opener() as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
        except OSError:
            continue
        if len(data) <= MAX_FILE_BYTES:
            yield path, data


def blob_contents(findings: Sequence[Finding], repo: str) -> Iterable[tuple[str, bytes]]:
    """(path, content) of each history blob holding an exchange finding (`git cat-file`, never the network)."""
    wanted: dict[str, str] = {}
    for f in findings:
        if f.extra.get("exchange"):
            for place in f.extra.get("places") or []:
                if place.get("blob"):
                    wanted.setdefault(place["blob"], place.get("path", f.file))
    if not wanted:
        return
    env = dict(os.environ, GIT_NO_LAZY_FETCH="1", GIT_TERMINAL_PROMPT="0")
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, capture_output=True, check=False, env=env,
                          input="".join(f"{sha}\n" for sha in wanted).encode())
    out, pos = proc.stdout, 0
    for sha, path in wanted.items():
        eol = out.find(b"\n", pos)
        if eol < 0:
            return
        header = out[pos:eol].split()
        if len(header) != 3:  # "<sha> missing"
            pos = eol + 1
            continue
        size = int(header[2])
        data = out[eol + 1: eol + 1 + size]
        pos = eol + 1 + size + 1
        if size <= MAX_FILE_BYTES:
            yield path, data


# -- pairing over files --------------------------------------------------------------------------------------------

def spec_for(venue: str, key: str = "") -> Optional[ExchangeSpec]:
    import re

    wanted = venue.strip().lower()
    for spec in SPECS.values():
        names = {spec.id, spec.name.lower(), *(a.lower() for a in spec.aliases)}
        if wanted in names and (not spec.key_shape or not key or re.fullmatch(spec.key_shape, key)):
            return spec
    return None


def _uses_passphrase(venue: str) -> bool:
    """Whether any check for this venue signs with a passphrase (Coinbase: the Exchange keys do, CDP keys not)."""
    wanted = venue.strip().lower()
    return any(spec.needs_passphrase for spec in SPECS.values()
               if wanted in {spec.id, spec.name.lower(), *(a.lower() for a in spec.aliases)})


def collect_pairs(scanner: Any, contents: Iterable[tuple[str, bytes]], reported: set[str]
                  ) -> tuple[list[KeyPair], dict[str, str]]:
    """(pairs holding at least one reported finding, fingerprint -> why a reported value was not paired)."""
    pairs: list[KeyPair] = []
    unpaired: dict[str, str] = {}
    for path, content in contents:
        by_venue: dict[str, list[RawValue]] = {}
        for value in raw_values(scanner, content, path):
            by_venue.setdefault(value.venue, []).append(value)
        for venue, values in by_venue.items():
            found, left = pair_values(values, needs_passphrase=_uses_passphrase(venue))
            for pair in found:
                if any(scanner.fingerprint(m.rule, m.value) in reported for m in pair.members):
                    pairs.append(pair)
            for value in left:
                if role_of(value) == PASSPHRASE and found:  # a passphrase the venue's check does not use
                    min(found, key=lambda p: abs(p.key.line - value.line)).members.append(value)
                    continue
                partner = "its key" if role_of(value) == SECRET else "its secret"
                unpaired.setdefault(scanner.fingerprint(value.rule, value.value),
                                    f"{partner} was not found next to it in the same file, so it cannot be tried")
    return pairs, unpaired


# -- asking the venues ---------------------------------------------------------------------------------------------

def _permissions(perms: KeyPermissions) -> dict:
    return {"read": perms.read, "trade": perms.trade, "withdraw": perms.withdraw, "transfer": perms.transfer}


def _can_list(perms: dict) -> str:
    yes = [r for r in ("withdraw", "transfer", "trade", "read") if perms.get(r) is True]
    no = [r for r in ("withdraw", "transfer", "trade", "read") if perms.get(r) is False]
    unknown = [r for r in ("withdraw", "transfer", "trade", "read") if perms.get(r) is None]
    parts = []
    if yes:
        parts.append("CAN " + ", ".join(r.upper() if r in ("withdraw", "transfer") else r for r in yes))
    if no:
        parts.append("cannot " + ", ".join(no))
    if unknown and (yes or no):
        parts.append(", ".join(unknown) + " not reported")
    return "; ".join(parts)


def summary(v: dict) -> str:
    """The one line text output prints under the finding."""
    venue = v.get("venue", "the exchange")
    if v["status"] == LIVE:
        if v.get("reports") == "liveness":
            return (f"LIVE: {venue} accepted the key ({v['endpoint']}); its API does not report permissions: "
                    f"treat it as able to withdraw until checked in {v.get('manage', 'API management')}")
        text = f"LIVE {venue} key: {_can_list(v['permissions'])}" if v.get("reports") != "ip" else \
            f"LIVE: {venue} accepted the key; its permissions are not reported"
        ip = v.get("ip_restricted")
        text += ("; IP-restricted" if ip else "; works from ANY IP" if ip is False else "; IP whitelist not reported")
        return f"{text} ({v['endpoint']})"
    if v["status"] == REJECTED:
        return (f"rejected by {venue} (revoked, mistyped, or not allowed from this machine's IP): "
                f"{v.get('reason', '')}")
    return f"not verified: {v.get('reason', '')}"


class Checker:
    """Asks venues about distinct keys: paced per venue, bounded in time and count."""

    def __init__(self, ccxt: Any, base: Optional[str], options: VerifyOptions,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ccxt, self.base, self.options = ccxt, base, options
        self.clock, self.sleep = clock, sleep
        self.started = clock()
        self.asked = 0
        self.last_request: dict[str, float] = {}
        self.cache: dict[tuple, dict] = {}

    def check(self, pair: KeyPair) -> dict:
        if pair.identity not in self.cache:
            self.cache[pair.identity] = self._check(pair)
        return self.cache[pair.identity]

    def _check(self, pair: KeyPair) -> dict:
        key = pair.key.value
        spec = spec_for(pair.venue, key)
        base_doc = {"key": redact(key), "paired_with": [{"rule": m.rule, "line": m.line} for m in pair.members]}
        if spec is None:
            other = spec_for(pair.venue)
            supported = ", ".join(s.name for s in SPECS.values())
            reason = (f"this kind of {pair.venue} key is not checked ({other.checked_keys})" if other else
                      f"{pair.venue} keys cannot be checked yet (supported: {supported})")
            return self._done(dict(base_doc, status=NOT_CHECKED, venue=pair.venue, reason=reason))
        doc = dict(base_doc, venue=spec.name, exchange=spec.id, endpoint=spec.endpoint, reports=spec.reports,
                   manage=spec.manage)
        if spec.needs_passphrase and pair.passphrase is None:
            return self._done(dict(doc, status=NOT_CHECKED,
                                   reason=f"{spec.name} keys need their passphrase, and none was found in the file"))
        if self.asked >= self.options.max_keys:
            return self._done(dict(doc, status=NOT_CHECKED, reason=f"more than {self.options.max_keys} keys: "
                                                                     "the rest were not asked about"))
        wait = self.last_request.get(spec.id, -1e9) + self.options.pace - self.clock()
        remaining = self.options.budget - (self.clock() - self.started)
        if remaining - max(wait, 0) < 1:
            return self._done(dict(doc, status=NOT_CHECKED,
                                   reason=f"the --verify time budget ({self.options.budget:g} s) ran out"))
        if wait > 0:
            self.sleep(wait)
        self.asked += 1
        secrets = [pair.secret.value, client_api.secret_value(pair.secret.value)] + \
            ([pair.passphrase.value] if pair.passphrase else [])
        try:
            client = client_api.make_client(self.ccxt, spec, key, pair.secret.value,
                                            pair.passphrase.value if pair.passphrase else None,
                                            min(self.options.timeout, remaining), self.base)
            perms = client_api.ask(spec, client)
        except Exception as exc:  # noqa: BLE001 - every failure is one sanitised reason, never a traceback
            status, detail = client_api.classify_error(exc, self.ccxt, secrets, key)
            if status == client_api.REJECTED:  # the summary says what a rejection means; the reason is the answer
                return self._done(dict(doc, status=REJECTED, reason=detail))
            reason = client_api.describe_error(status, detail, spec, "")
            return self._done(dict(doc, status=ERROR, reason=client_api.sanitize(reason, secrets, key, limit=400)))
        finally:
            self.last_request[spec.id] = self.clock()
        return self._done(dict(doc, status=LIVE, permissions=_permissions(perms), ip_restricted=perms.ip_restricted,
                               ips=list(perms.ips), details=[str(d) for d in perms.details],
                               notes=list(perms.notes)))

    @staticmethod
    def _done(doc: dict) -> dict:
        doc["summary"] = summary(doc)
        return doc


# -- the whole step ------------------------------------------------------------------------------------------------

_SEVERITY = {LIVE: 0, REJECTED: 2, ERROR: 3, NOT_CHECKED: 4}


def moves_funds(v: dict) -> bool:
    """A live key that can withdraw or transfer, or whose venue does not say whether it can withdraw."""
    perms = v.get("permissions") or {}
    return v.get("status") == LIVE and (perms.get("withdraw") is not False or perms.get("transfer") is True)


def rank(v: Optional[dict]) -> int:
    """0: live and can (or may) move funds, 1: live, 2: rejected, 3: error, 4: not checked, 5: no verification."""
    if not v:
        return 5
    if v.get("status") == LIVE:
        return 0 if moves_funds(v) else 1
    return _SEVERITY.get(v.get("status"), 4)


def verify_findings(findings: list[Finding], scanner: Any, contents: Iterable[tuple[str, bytes]], ccxt: Any,
                    base: Optional[str], options: Optional[VerifyOptions] = None,
                    checker: Optional[Checker] = None) -> list[Finding]:
    """The findings with a `verification` extra on each exchange finding, live-and-can-move-funds first."""
    reported = {f.fingerprint for f in findings if f.extra.get("exchange")}
    if not reported:
        return findings
    pairs, unpaired = collect_pairs(scanner, contents, reported)
    checker = checker or Checker(ccxt, base, options or VerifyOptions())
    by_fingerprint: dict[str, dict] = {}
    for pair in pairs:
        result = checker.check(pair)
        for member in pair.members:
            fp = scanner.fingerprint(member.rule, member.value)
            if fp not in by_fingerprint or rank(result) < rank(by_fingerprint[fp]):
                by_fingerprint[fp] = result
    out = []
    for f in findings:
        if not f.extra.get("exchange"):
            out.append(f)
            continue
        v = by_fingerprint.get(f.fingerprint)
        if v is None:
            reason = unpaired.get(f.fingerprint, "the file could not be read again to pair the key with its secret")
            v = {"status": NOT_CHECKED, "reason": reason}
            v["summary"] = summary(v)
        out.append(f._replace(extra=dict(f.extra, verification=v)))
    order = sorted(range(len(out)), key=lambda i: (rank(out[i].extra.get("verification")), i))
    return [out[i] for i in order]


def exit_code(findings: Sequence[Finding], default: int) -> int:
    """EXIT_LIVE_KEY_MOVES_FUNDS (4) when a live key can withdraw or transfer (or its venue does not say), else
    EXIT_LIVE_KEY (3) when any key is live, else the scan's own code."""
    checks = [f.extra.get("verification") for f in findings if f.extra.get("verification")]
    if any(rank(v) == 0 for v in checks):
        return EXIT_LIVE_KEY_MOVES_FUNDS
    if any(v.get("status") == LIVE for v in checks):
        return EXIT_LIVE_KEY
    return default


class ScanVerification:
    """What `scan --verify` adds to a scan: made before scanning (fails fast without ccxt or with a non-loopback
    test base), records how to re-read each scanned file, then verifies and ranks the findings."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, environ: Mapping[str, str] = os.environ) -> None:
        self.ccxt, self.base = prepare(environ)
        self.options = VerifyOptions(timeout=timeout, budget=max(DEFAULT_BUDGET, 4 * timeout), pace=PACE_SECONDS)
        self.openers: dict[str, Callable[[], Any]] = {}

    def record(self, items: Iterable[Any], name: Optional[Callable[[str], str]] = None) -> Iterable[Any]:
        """Pass a source's items through, remembering each one's opener under the path findings will carry."""
        for item in items:
            if item.open is not None:
                self.openers[name(item.path) if name else item.path] = item.open
            yield item

    def apply(self, result: Any, scanner: Any, contents: Optional[Iterable[tuple[str, bytes]]] = None) -> None:
        """Verify a ScanResult's exchange findings in place (contents: history blobs; default: recorded files)."""
        if contents is None:
            contents = file_contents(result.findings, self.openers)
        result.findings = verify_findings(result.findings, scanner, contents, self.ccxt, self.base, self.options)
        checks = [f.extra["verification"] for f in result.findings if "verification" in f.extra]
        result.stats["verified"] = {status: sum(1 for v in checks if v["status"] == status)
                                    for status in (LIVE, REJECTED, ERROR, NOT_CHECKED)}

    @staticmethod
    def exit_code(findings: Sequence[Finding], default: int) -> int:
        return exit_code(findings, default)


def start(args: Any) -> Optional[ScanVerification]:
    """The verification a scan's arguments ask for, or None; raises UsageError when it cannot run."""
    from crypto_key_guard.errors import UsageError

    if not getattr(args, "verify", False):
        return None
    if getattr(args, "verify_timeout", DEFAULT_TIMEOUT) <= 0:
        raise UsageError("--verify-timeout must be a positive number of seconds")
    try:
        return ScanVerification(getattr(args, "verify_timeout", DEFAULT_TIMEOUT))
    except ImportError:
        raise UsageError(f"--verify asks the exchanges through ccxt, which is not installed: "
                         f"{client_api.INSTALL_HINT}") from None


def add_arguments(parser: Any) -> None:
    parser.add_argument("--verify", action="store_true",
                        help="ask each exchange whether a found key pair is live and what it may do (network: one "
                             "signed read-only request per distinct key; see docs/verify.md). Exit 3: a live key; "
                             "4: a live key that can withdraw or transfer, or whose exchange does not say")
    parser.add_argument("--verify-timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"with --verify: timeout per request (default: {DEFAULT_TIMEOUT:g})")
