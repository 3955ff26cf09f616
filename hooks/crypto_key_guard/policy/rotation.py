"""crypto-key-guard rotation: record when each exchange key was rotated, and show which keys are due.

The record file, `.key_rotation_log.json` at the repository root, holds names, permission levels and dates only:

    {"<key name>": {"last_rotated": "<ISO 8601 UTC>", "permission_level": "read_only|trading|withdrawal"}}

Nothing that looks like key material is ever written to it: every write is scanned first (the engine's rules plus
a random-token check, because a bare key pasted as a name has no variable name around it for a rule to see).
"Now" always comes from the system clock (`datetime.now(timezone.utc)`); functions take `now` so tests can move it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from crypto_key_guard.engine.findings import redact
from crypto_key_guard.engine.validators import is_low_diversity, shannon_entropy
from crypto_key_guard.errors import UsageError
from crypto_key_guard.util.display import printable, shell_quote
from crypto_key_guard.util.git import git_toplevel

PROG = "crypto-key-guard rotation"
LOG_NAME = ".key_rotation_log.json"
LEVELS = ("read_only", "trading", "withdrawal")
DEFAULT_POLICY = {"read_only": 90, "trading": 30, "withdrawal": 14}
DUE_SOON_DAYS = 7
# a date a little ahead is clock skew between machines; further ahead is a typo that would silence the check
FUTURE_TOLERANCE = timedelta(days=1)
MAX_NAME_LENGTH = 200
DAY = timedelta(days=1)

ROTATION_STEPS = (
    "create a new key with the same or fewer permissions and an IP whitelist, deploy it where the old one is "
    "used, delete the old key on the exchange, then record the rotation"
)
WITHDRAWAL_WARNING = (
    "has withdrawal permission: automated systems (bots, servers, CI) should not hold withdrawal permission at "
    "all; replace it with a key without withdrawal rights and keep withdrawals manual"
)


class RecordError(UsageError):
    """The record file cannot be used as it is (exit 2). The message names the file and, where known, the key."""


@dataclass(frozen=True)
class Entry:
    name: str
    last_rotated: datetime      # timezone-aware, UTC
    level: str


@dataclass(frozen=True)
class KeyStatus:
    entry: Entry
    age_days: int               # whole days since the last rotation
    policy_days: int
    due: datetime
    state: str                  # "overdue" | "due soon" | "ok"

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


@dataclass
class Checked:
    """A record file read and judged: entries when well-formed, secrets and errors as one-line messages."""
    path: Path
    entries: list[Entry] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)   # looks like key material: exit 1
    errors: list[str] = field(default_factory=list)    # malformed: exit 2


# -- time -------------------------------------------------------------------------------------------------------
def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def parse_when(text: str) -> datetime:
    """ISO 8601 date or date-time -> aware UTC. A time without offset is taken as UTC (as `utcnow()` wrote it)."""
    s = text.strip()
    if s[-1:] in ("Z", "z"):
        s = s[:-1] + "+00:00"  # fromisoformat accepts 'Z' only from Python 3.11
    when = datetime.fromisoformat(s)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        return when.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:00-05:00
        raise ValueError("date out of range") from None


def format_when(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


# -- policy -----------------------------------------------------------------------------------------------------
def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if not 1 <= value <= 36500:
        raise argparse.ArgumentTypeError(f"must be at least 1 day and at most 36500: {value}")
    return value


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    for level, days in DEFAULT_POLICY.items():
        flag = "--max-age-" + level.replace("_", "-")
        parser.add_argument(flag, type=_days, default=None, metavar="DAYS", dest=f"max_age_{level}",
                            help=f"rotate {level} keys at least every DAYS days (default: rotation.{level} in the "
                                 f"project configuration, else {days})")


def configured_policy(cwd: str = ".") -> dict[str, Any]:
    """The `rotation` section of the project configuration (.crypto-key-guard.yaml or [tool.crypto-key-guard] in
    pyproject.toml at the repository root) over the built-in policy. Raises ConfigError (a UsageError)."""
    from crypto_key_guard.policy.config import load_config, project_root

    return load_config(project_root(cwd)).section("rotation")


def policy_from_args(args: argparse.Namespace) -> dict[str, int]:
    """The command line over the project configuration over DEFAULT_POLICY."""
    configured = configured_policy()
    return {level: getattr(args, f"max_age_{level}", None) or configured[level] for level in LEVELS}


def evaluate(entries: Sequence[Entry], policy: dict[str, int], now: datetime) -> list[KeyStatus]:
    """Each key's age and due date against the policy; most urgent first (overdue keys lead)."""
    result = []
    for e in entries:
        days = policy[e.level]
        due = e.last_rotated + timedelta(days=days)
        age_days = max(0, (now - e.last_rotated) // DAY)
        if now > due:
            state = "overdue"
        elif due - now <= timedelta(days=DUE_SOON_DAYS):
            state = "due soon"
        else:
            state = "ok"
        result.append(KeyStatus(e, age_days, days, due, state))
    return sorted(result, key=lambda s: (s.due, s.entry.name))


# -- secrets ----------------------------------------------------------------------------------------------------
_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/=_.-]{20,}")
_SEGMENT = re.compile(r"[A-Za-z0-9]{20,}")
_PIECE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")  # 'CDPKey' -> 'CDP', 'Key'
_HEX = re.compile(r"^(?:[0-9a-f]+|[0-9A-F]+)$")


def find_random_token(text: str) -> Optional[str]:
    """The first run of 20+ key-alphabet characters that reads as random rather than as words, or None.

    Names are words, numbers and dates joined by separators or camel case ('binance-trading-2026',
    'KrakenMainBot'). Random: 32+ hex digits (a hash, a UUID or a raw key); base62/base64 text, which breaks into
    pieces no name has ('xK', 'q', 'ZQ'); a long single-case run without separators whose letters are flatter
    than words' or hardly pronounceable. Measured on 19k generated key names: no false alarm; misses about 1% of
    random 20-character base62 strings, none of 64 (lower-case-only random letters are often missed).
    """
    for m in _TOKEN_RUN.finditer(text):
        run = m.group(0)
        alnum = re.sub(r"[^A-Za-z0-9]", "", run)
        if len(alnum) < 20 or is_low_diversity(alnum):
            continue
        if len(alnum) >= 32 and _HEX.match(alnum) and not alnum.isdigit() and not alnum.isalpha():
            return run
        odd = _irregular(run)
        if (odd >= 0.2 * len(alnum) or (len(alnum) >= 40 and odd >= 0.1 * len(alnum))) \
                and shannon_entropy(alnum) >= 3.3:
            return run
        if any(_random_segment(seg) for seg in _SEGMENT.findall(run)):
            return run
    return None


def _irregular(run: str) -> int:
    """How many characters sit in pieces a name would not have. Names are words in camel case or between
    separators ('Grid', 'commas', 'BTC' opening a segment) and numbers; random text is full of 'xK', 'q', 'ZQ'."""
    count = 0
    for seg in re.findall(r"[A-Za-z0-9]+", run):
        for i, p in enumerate(_PIECE.findall(seg)):
            if i == 0 or p.isdigit() or (len(p) >= 3 and p[0].isupper() and p[1:].islower()) \
                    or (len(p) >= 4 and p.islower() and 3 * sum(c in "aeiouy" for c in p) >= len(p)):
                continue
            count += len(p)
    return count


def _random_segment(seg: str) -> bool:
    """One 20+ character single-case stretch without separators (names have separators or camel case)."""
    if is_low_diversity(seg) or (seg.upper() != seg and seg.lower() != seg):
        return False
    entropy = shannon_entropy(seg)
    if len(seg) / len(_PIECE.findall(seg)) <= 3.5 and entropy >= 4.0:
        return True  # lower-case + digits: fewer case changes than base62, but flatter letters than words
    letters = [c for c in seg.lower() if c.isalpha()]
    vowels = sum(c in "aeiouy" for c in letters)
    # words are ~40% vowels, random letters ~23%
    return len(letters) >= 24 and vowels < 0.27 * len(letters) and entropy >= 3.8


class SecretCheck:
    """Engine rules plus the random-token check, over single strings and whole files. Never keeps a value."""

    def __init__(self, scanner=None) -> None:
        if scanner is None:
            from crypto_key_guard.engine.scanner import Scanner

            scanner = Scanner()
        self.scanner = scanner

    def string(self, text: str) -> Optional[str]:
        """Why a string looks like key material ('random token Abcd…wxyz'), or None."""
        for f in self.scanner.scan_bytes(text.encode("utf-8", "surrogatepass")):
            return f"{f.rule} {f.redacted}"
        token = find_random_token(text)
        if token is not None:
            return f"random token {redact(token)}"
        return None

    def label(self, name: str) -> str:
        """A key or field name fit to print: redacted when it looks like a secret itself."""
        return repr(redact(name)) if self.string(name) else repr(printable(name))

    def file(self, raw: bytes, doc: Any, path: str) -> list[str]:
        """One redacted message per value that looks like key material: engine findings over the raw bytes
        (works even when the JSON is broken), then every name and string value of the parsed document."""
        findings, _ = self.scanner.scan_content(raw, path)
        messages = [f"{path}:{f.line}: {f.rule} {f.description} (value {f.redacted})" for f in findings]
        for where, text in _strings(doc):
            why = self.string(text)
            if why is None:
                continue
            labels = " ".join(f"{kind} {self.label(n)}" for kind, n in where)
            messages.append(f"{path}: {labels}: looks like a secret: {why}")
        return messages


def _strings(doc: Any) -> Iterator[tuple[tuple, str]]:
    """Every name and string value in a parsed JSON document, with where it sits ((kind, name), ...).
    Iterative: a deeply nested hand edit cannot exhaust the stack."""
    stack: list[tuple[tuple, Any]] = [((), doc)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            for k, v in reversed(list(node.items())):
                here = where + (("field" if where else "key", k),)
                stack.append((here, v))
                stack.append((here, k))
        elif isinstance(node, list):
            stack.extend((where, v) for v in reversed(node))
        elif isinstance(node, str):
            yield where, node


# -- reading ----------------------------------------------------------------------------------------------------
def default_log_path(cwd: str = ".") -> Path:
    """The record file at the repository root (git toplevel), or in `cwd` outside git; `rotation.file` in the
    project configuration names another (relative to the root)."""
    return Path(git_toplevel(cwd) or cwd) / configured_policy(cwd)["file"]


def display(path: Path) -> str:
    """A path as the user will recognise it: relative when under the current directory."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return printable(str(path) if rel.startswith("..") else rel)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    # json keeps the last of two equal keys silently; in a rotation log that hides a stale date
    doc: dict = {}
    for k, v in pairs:
        if k in doc:
            raise _DuplicateKey(k)
        doc[k] = v
    return doc


def parse_document(raw: bytes, shown: str, label=repr) -> tuple[Any, Optional[str]]:
    """(document, None) or (None, one-line reason). Whitespace only counts as an empty log."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"{shown}: not UTF-8 text"
    if not text.strip():
        return {}, None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_small_int)
    except _DuplicateKey as dup:
        return None, f"{shown}: key {label(dup.args[0])} appears twice"
    except _HugeNumber as big:
        return None, f"{shown}: a number with {big.args[0]} digits; a rotation log holds names, levels and dates"
    except json.JSONDecodeError as exc:
        return None, f"{shown}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except RecursionError:
        return None, f"{shown}: not valid JSON (nested too deeply)"
    if not isinstance(doc, dict):
        return None, f"{shown}: expected an object of key names, found {_json_type(doc)}"
    for _, string in _strings(doc):
        if any("\ud800" <= ch <= "\udfff" for ch in string):
            return None, (f"{shown}: a key name or value holds a lone surrogate escape (like \\ud800), which is no "
                          "character; fix it by hand")
    return doc, None


class _HugeNumber(Exception):
    pass


def _small_int(text: str) -> int:
    # Python refuses to convert integers of more than 4300 digits (a ValueError deep inside json); no date needs 20
    if len(text) > 20:
        raise _HugeNumber(len(text))
    return int(text)


def validate(doc: dict, shown: str, now: datetime, label=repr) -> tuple[list[Entry], list[str]]:
    """Entries from a parsed log, and one message per problem (file, key, field, reason)."""
    entries: list[Entry] = []
    errors: list[str] = []
    for name, value in doc.items():
        where = f"{shown}: key {label(name)}"
        if not name.strip():
            errors.append(f"{shown}: empty key name")
            continue
        if not isinstance(value, dict):
            errors.append(f"{where}: expected an object with last_rotated and permission_level, "
                          f"found {_json_type(value)}")
            continue
        level = value.get("permission_level")
        stamp = value.get("last_rotated")
        bad = len(errors)
        if level is None:
            errors.append(f"{where}: permission_level is missing")
        elif not isinstance(level, str):
            errors.append(f"{where}: permission_level must be a string, found {_json_type(level)}")
        elif level not in LEVELS:
            errors.append(f"{where}: unknown permission_level {label(level)} (expected {', '.join(LEVELS)})")
        when = None
        if stamp is None:
            errors.append(f"{where}: last_rotated is missing")
        elif not isinstance(stamp, str):
            errors.append(f"{where}: last_rotated must be an ISO 8601 string, found {_json_type(stamp)}")
        else:
            try:
                when = parse_when(stamp)
            except (ValueError, IndexError):
                errors.append(f"{where}: last_rotated {label(stamp)} is not an ISO 8601 date "
                              "(like 2026-01-31 or 2026-01-31T09:00:00+00:00)")
            else:
                if when > now + FUTURE_TOLERANCE:
                    errors.append(f"{where}: last_rotated {stamp!r} is in the future (now is {format_when(now)}); "
                                  "fix the date or the system clock")
        if len(errors) == bad and when is not None:
            entries.append(Entry(name, when, level))
    return entries, errors


def check_file(path: Path, now: datetime, secrets: Optional[SecretCheck] = None) -> Optional[Checked]:
    """Read and judge a record file; None when it does not exist."""
    from crypto_key_guard.util.fs import read_regular_file

    shown = display(path)
    try:
        raw = read_regular_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RecordError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    secrets = secrets or SecretCheck()
    checked = Checked(path)
    doc, error = parse_document(raw, shown, secrets.label)
    checked.secrets = secrets.file(raw, doc, shown)
    if error:
        checked.errors.append(error)
    else:
        checked.entries, checked.errors = validate(doc, shown, now, secrets.label)
    return checked


# -- writing ----------------------------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Replace the log all at once (temp file in the same directory, fsync, os.replace): a crash or a full disk
    leaves the old file whole. The file keeps its mode. Under the one write policy (util.fs): never through a
    link, never over a read-only file, and inside a repository never outside it or into .git/."""
    from crypto_key_guard.util.fs import atomic_write

    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    atomic_write(path, data, mode, root=git_toplevel(os.path.dirname(os.path.abspath(path))))


def record(path: Path, name: str, level: str, when: datetime, now: datetime,
           secrets: Optional[SecretCheck] = None) -> None:
    """Set `name`'s last rotation in the log, keeping every other entry and field. Refuses key material."""
    shown = display(path)
    if level not in LEVELS:
        raise RecordError(f"unknown permission level {level!r} (expected {', '.join(LEVELS)})")
    if not name.strip():
        raise RecordError("the key name is empty")
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise RecordError(f"the key name must be at most {MAX_NAME_LENGTH} printable characters on one line")
    if when > now + FUTURE_TOLERANCE:
        raise RecordError(f"--date {format_when(when)} is in the future (now is {format_when(now)})")
    secrets = secrets or SecretCheck()
    why = secrets.string(name)
    if why is not None:
        raise RecordError(f"refusing to record {redact(name)!r}: the name looks like key material ({why}); the "
                          "rotation log holds key names, permission levels and dates only — use a descriptive "
                          "name such as 'binance-trading-bot'")
    from crypto_key_guard.util.fs import check_writable, locked

    try:  # before taking the lock: a link or a read-only log is refused whatever the others do
        check_writable(path)
    except OSError as exc:
        raise RecordError(f"{shown}: {exc.strerror}") from None
    try:
        with locked(path):  # concurrent records each read the log as the last one left it
            _record_locked(path, shown, name, level, when, now, secrets)
    except OSError as exc:
        raise RecordError(f"{shown}: cannot lock the log ({exc.strerror or exc})") from None


def _record_locked(path: Path, shown: str, name: str, level: str, when: datetime, now: datetime,
                   secrets: SecretCheck) -> None:
    from crypto_key_guard.util.fs import read_regular_file

    try:
        raw: Optional[bytes] = read_regular_file(path)
    except FileNotFoundError:
        raw = None
    except OSError as exc:
        raise RecordError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    doc: dict = {}
    if raw is not None:
        parsed, error = parse_document(raw, shown, secrets.label)
        if error:
            raise RecordError(f"{error}; not overwriting it — fix it by hand first")
        doc = parsed
    entry = doc.get(name)
    if not isinstance(entry, dict):
        entry = {}
    entry["last_rotated"] = format_when(when)
    entry["permission_level"] = level
    doc[name] = entry
    _, errors = validate(doc, shown, now, secrets.label)
    if errors:
        raise RecordError("\n".join(errors + [f"{shown}: not written — fix the entries above first"]))
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    problems = secrets.file(data, doc, shown)
    if problems:
        raise RecordError("\n".join(problems + [f"{shown}: not written — the log must not hold key material; "
                                                "remove it by hand (and rotate that key)"]))
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise RecordError(f"{shown}: cannot write ({exc.strerror or exc}); the file is unchanged") from None


# -- messages ---------------------------------------------------------------------------------------------------
def record_command(name: str, level: str, file_arg: Optional[str] = None) -> str:
    cmd = ["crypto-key-guard", "rotation", "record", name, "--permission", level]
    if file_arg:
        cmd += ["--file", file_arg]
    return " ".join(shell_quote(part) for part in cmd)


def describe(s: KeyStatus) -> str:
    e = s.entry
    return (f"{printable(e.name)} ({e.level}) was last rotated {e.last_rotated.date().isoformat()}, "
            f"{s.age_days} days ago; policy: every {s.policy_days} days (due {s.due.date().isoformat()})")


def withdrawal_warning(name: str) -> str:
    return f"warning: {printable(name)} {WITHDRAWAL_WARNING}"


def table(statuses: Sequence[KeyStatus]) -> str:
    header = ("KEY", "PERMISSION", "LAST ROTATED", "AGE (DAYS)", "POLICY (DAYS)", "DUE", "STATE")
    rows = [header] + [
        (printable(s.entry.name), s.entry.level, s.entry.last_rotated.date().isoformat(), str(s.age_days),
         str(s.policy_days), s.due.date().isoformat(), s.state)
        for s in statuses
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def hint(path: Path) -> str:
    return (f"no key rotation log at {display(path)} yet; record each exchange key with "
            f"`crypto-key-guard rotation record NAME --permission {'|'.join(LEVELS)}`")
