"""Notebook outputs: a value a cell shows, named by the input that produced it.

A Jupyter output holds bare text: `'Z0n2...'` under `text/plain`, a printed line in a `stream`. Alone it has no
name, so the cell's source gives it one: the last expression (`exchange.secret`, `os.environ['X']`,
`acct.key.hex()`) names an execute result, and the `print(x)` calls name a stream's lines in order. A variable
is followed back to what it was assigned in the notebook: an env read names it by the variable it read
(`api_key = os.getenv("BINANCE_API_KEY")`), a constructor by the constructor (`exchange = ccxt.binance(...)`
makes `exchange.secret` the name `ccxt.binance.secret`). Only single-token values are read: tables, dicts and
prose are left to the ordinary extraction of the notebook's text.
"""
from __future__ import annotations

import json  # only notebooks import this module
import re

from crypto_key_guard.engine.extract import Entry

MAX_NOTEBOOK = 16 << 20
MAX_TOKEN = 4096
# an output line that is one token, maybe quoted by its repr: the cheap test a notebook passes before it is parsed
_TOKEN_LINE = re.compile(rb"(?m)^[ \t]*\"(?:'|\\\")?[^\s\"'\\]{12,}(?:'|\\\")?(?:\\n)?\",?\r?$")
_PRINT = re.compile(r"^[ \t]*print[ \t]*\((.+)\)[ \t;]*(?:#.*)?$", re.M)
_ASSIGNED = r"^[ \t]*(?:self\.)?{var}[ \t]*(?::[^=\n]+)?=[ \t]*([^\n]+)$"
_CONSTRUCTOR = re.compile(r"(?:new[ \t]+)?([A-Za-z_][\w.]*)[ \t]*\(")
_ENV_READ = re.compile(r"(?:environ|env|getenv|config)[\w.]*[ \t]*[(\[][ \t]*[\"']([A-Za-z_][A-Za-z0-9_]{0,80})[\"']",
                       re.I)
_EXPRESSION = re.compile(r"[A-Za-z_][\w.]*(?:\[[ \t]*[\"'][\w.\-]+[\"'][ \t]*\])?(?:\.[\w]+(?:\(\))?)*")
# trailing words of a constructor that say how the object was made, not what it is (Account.create)
_MADE_BY = frozenset(("create", "new", "from_key", "from_mnemonic", "fromKey", "generate", "load", "from_env",
                      "connect", "init"))


def _lines(text) -> str:
    return "".join(text) if isinstance(text, list) else text if isinstance(text, str) else ""


def _name_of(expression: str, sources: str) -> tuple[str, str]:
    """(name, alt) for an expression shown by a cell: its head variable followed back to its assignment."""
    head = re.match(r"[A-Za-z_]\w*", expression)
    if head is None:
        return expression, ""
    var = head.group(0)
    assigned = None
    for assigned in re.finditer(_ASSIGNED.format(var=re.escape(var)), sources, re.M):
        pass  # the last assignment before the output is the one shown
    if assigned is None:
        return expression, ""
    rhs = assigned.group(1)
    env = _ENV_READ.search(rhs)
    if env and expression == var:
        return expression, env.group(1)
    made = _CONSTRUCTOR.match(rhs)
    if made:
        callee = made.group(1)
        parts = callee.split(".")
        while len(parts) > 1 and parts[-1] in _MADE_BY:
            parts.pop()
        return ".".join(parts) + expression[len(var):], env.group(1) if env else ""
    return expression, env.group(1) if env else ""


def _shown(expression: str) -> str:
    """The expression a source line shows, or "" when the line is a statement."""
    line = expression.strip().rstrip(";").strip()
    m = _EXPRESSION.fullmatch(line)
    return line if m else ""


def _bare_value(text: str) -> str:
    """The single token an output shows, its repr's quotes removed; "" when it is anything else."""
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    if not value or len(value) > MAX_TOKEN or any(ch.isspace() for ch in value) or "'" in value or '"' in value:
        return ""
    return value


def notebook_outputs(data: bytes) -> list:
    """Entries for the single-token values a notebook's outputs show, named by their cell's source."""
    if len(data) > MAX_NOTEBOOK or b'"outputs"' not in data or _TOKEN_LINE.search(data) is None:
        return []
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return []
    found: list = []
    sources = ""  # the code run so far: a variable shown may have been assigned in an earlier cell
    cursor = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _lines(cell.get("source"))
        sources += source + "\n"
        statements = [ln for ln in source.split("\n") if ln.strip() and not ln.lstrip().startswith(("#", "%", "!"))]
        printed = [_shown(m.group(1)) for m in _PRINT.finditer(source)]
        for output in cell.get("outputs") or ():
            if not isinstance(output, dict):
                continue
            kind = output.get("output_type")
            if kind in ("execute_result", "display_data"):
                data_ = output.get("data")
                text = _lines(data_.get("text/plain")) if isinstance(data_, dict) else ""
                expression = _shown(statements[-1]) if statements else ""
                shown = [(expression, text)] if expression and "\n" not in text.strip() else []
            elif kind == "stream":
                lines = [ln for ln in _lines(output.get("text")).split("\n") if ln.strip()]
                shown = list(zip(printed, lines)) if len(printed) == len(lines) else []
            else:
                continue
            for expression, text in shown:
                value = _bare_value(text)
                if not expression or not value:
                    continue
                written = json.dumps(value)[1:-1].encode("utf-8")
                at = data.find(written, cursor)
                if at < 0:
                    continue
                cursor = at + len(written)
                name, alt = _name_of(expression, sources)
                found.append(Entry(name, value, at, at + len(written), "'", "output", alt=alt))
    return found
