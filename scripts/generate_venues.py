#!/usr/bin/env python3
"""Write patterns/venues.yaml: every exchange ccxt supports, merged with the hand-curated facts.

ccxt's own metadata gives each venue's id, name, parent class, required credential fields, web and doc URLs,
certified/pro flags and whether it is a DEX; patterns/curated/venues.yaml adds what metadata cannot say (aliases,
ambiguous words, documented key formats, API-management pages, wallet-style credentials, venues ccxt dropped).
The output is deterministic: the same ccxt version and curated file give the same bytes (tests check this).

    python scripts/generate_venues.py                 # rewrite patterns/venues.yaml
    python scripts/generate_venues.py --output FILE   # write elsewhere (the test compares)
    python scripts/generate_venues.py --check         # exit 1 if patterns/venues.yaml is out of date
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "patterns" / "curated" / "venues.yaml"
OUTPUT = ROOT / "patterns" / "venues.yaml"
COMMAND = "python scripts/generate_venues.py"

# ccxt's credential fields in the order venues are written; fields the curated file adds come after
FIELD_ORDER = ["apiKey", "secret", "password", "uid", "login", "twofa", "token", "privateKey", "walletAddress",
               "accountId", "mnemonic", "starkPrivateKey"]
SEPARATORS = re.compile(r"[._\- ]+")


def squash(word: str) -> str:
    """The form words are compared in: lower case, separators removed (gate.io == gateio == GATE_IO)."""
    return SEPARATORS.sub("", word.lower())


def ascii_lower(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return folded.lower()


def name_words(name: str) -> list[str]:
    """Words a display name gives: squashed (Mercado Bitcoin -> mercadobitcoin) and, for brands written with a
    dot (Crypto.com, CEX.IO), the dotted form."""
    lowered = ascii_lower(name)
    words = [re.sub(r"[^a-z0-9]", "", lowered)]
    if "." in lowered:
        dotted = re.sub(r"[^a-z0-9.]", "", lowered).strip(".")
        words.append(dotted)
    return [w for w in words if w]


def load_ccxt() -> tuple[str, dict[str, dict[str, Any]]]:
    """ccxt's exchange metadata per id: the regular exchanges, then the prediction markets (merged by id)."""
    import ccxt  # a test dependency, not one of the hooks'

    found: dict[str, dict[str, Any]] = {}
    modules = [(ccxt, False)]
    try:
        import ccxt.prediction as prediction
        modules.append((prediction, True))
    except ImportError:  # older ccxt: no prediction markets
        pass
    for module, is_prediction in modules:
        for exchange_id in module.exchanges:
            cls = getattr(module, exchange_id)
            described = cls().describe()
            parent = cls.__mro__[1].__name__
            meta = {
                "id": exchange_id,
                "name": described["name"],
                "dex": bool(described.get("dex")),
                "certified": bool(described.get("certified")),
                "pro": bool(described.get("pro")),
                "parent": parent if parent in module.exchanges else None,
                "required": [f for f, needed in described["requiredCredentials"].items() if needed],
                "www": described["urls"].get("www"),
                "doc": described["urls"].get("doc"),
                "api_management": described["urls"].get("api_management"),
                "prediction": is_prediction,
                "prediction_only": is_prediction,
            }
            if exchange_id in found:  # a venue that is also a prediction market (binance, hyperliquid, polymarket)
                known = found[exchange_id]
                known["prediction"] = True
                known["required"] += [f for f in meta["required"] if f not in known["required"]]
            else:
                found[exchange_id] = meta
    return ccxt.__version__, found


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def words_for(venue_id: str, name: str, curated: dict[str, Any], ambiguous: dict[str, str],
              distinctive_short: set[str]) -> dict[str, list[str]]:
    """The venue's words, split into those that name it from anywhere nearby and those that need a credential
    word in the same name (see the comment above ambiguous_words in the curated file)."""
    candidates = [venue_id] + name_words(name) + list(curated.get("aliases") or [])
    alone: list[str] = []
    with_credential: list[str] = []
    for word in candidates:
        word = word.lower()
        if word in alone or word in with_credential:
            continue
        short = len(squash(word)) <= 3 and word not in distinctive_short
        (with_credential if word in ambiguous or short else alone).append(word)
    return {"alone": alone, "with_credential": with_credential}


def credential_entries(required: list[str], curated: dict[str, Any], fields: dict[str, Any],
                       declared_by_ccxt: bool) -> list[dict[str, Any]]:
    details = {**(curated.get("credentials") or {})}
    extra = curated.get("credentials_extra") or {}
    names = list(required) + [f for f in list(details) + list(extra) if f not in required]
    unknown = [f for f in names if f not in fields]
    if unknown:
        raise SystemExit(f"unknown credential field(s) {unknown}: add them to credential_fields in {CURATED}")
    entries = []
    for field in sorted(dict.fromkeys(names), key=lambda f: FIELD_ORDER.index(f) if f in FIELD_ORDER else 99):
        detail = {**(details.get(field) or {}), **(extra.get(field) or {})}
        entry: dict[str, Any] = {"field": field, "secret": fields[field]["secret"], "ccxt": declared_by_ccxt and field in required}
        for key in ("role", "words", "headers", "callees", "formats"):
            if detail.get(key):
                entry[key] = detail[key]
        entries.append(entry)
    return entries


def remediation_for(name: str, page: dict[str, Any], wallet: bool) -> str:
    url = page["url"]
    if wallet:
        return (f"This key controls a {name} trading wallet: move the funds to a new wallet now, revoke or deregister the "
                f"key with {name} ({url}), and load the new one from the environment or a secrets manager, never from code.")
    if page["source"] == "www":
        return (f"Delete this key in {name}'s API management (account settings at {url}) and create a new one without "
                f"withdrawal permission, restricted to your server's IP; load it from the environment or a secrets "
                f"manager, never from code.")
    return (f"Delete this key on {name}'s API management page ({url}) and create a new one without withdrawal "
            f"permission, restricted to your server's IP; load it from the environment or a secrets manager, never "
            f"from code.")


def build(ccxt_version: str, metadata: dict[str, dict[str, Any]], curated: dict[str, Any]) -> dict[str, Any]:
    fields = curated["credential_fields"]
    ambiguous = curated["ambiguous_words"]
    distinctive_short = set(curated.get("distinctive_short_words") or [])
    curated_venues = curated.get("venues") or {}
    missing = sorted(set(curated_venues) - set(metadata))
    if missing:
        raise SystemExit(f"curated venue(s) not in ccxt {ccxt_version}: {missing}; move them to additional_venues")
    sources: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for venue_id, meta in metadata.items():
        sources.append(("ccxt.prediction" if meta["prediction_only"] else "ccxt", meta,
                        curated_venues.get(venue_id) or {}))
    for venue_id, extra in (curated.get("additional_venues") or {}).items():
        if venue_id in metadata:
            raise SystemExit(f"additional venue {venue_id} is in ccxt {ccxt_version}: move it to venues")
        meta = {"id": venue_id, "name": extra["name"], "dex": extra.get("kind") == "dex", "certified": False,
                "pro": False, "parent": None, "required": list(extra.get("required") or []), "www": extra.get("www"),
                "doc": extra.get("doc"), "api_management": None, "prediction": extra.get("kind") == "prediction"}
        sources.append(("curated", meta, extra))

    venues = []
    owner: dict[str, str] = {}
    for source, meta, cur in sorted(sources, key=lambda s: s[1]["id"]):
        venue_id = meta["id"]
        kind = "prediction" if source == "ccxt.prediction" else ("dex" if meta["dex"] else "cex")
        words = words_for(venue_id, meta["name"], cur, ambiguous, distinctive_short)
        for word in words["alone"] + words["with_credential"]:
            key = squash(word)
            if owner.get(key, venue_id) != venue_id:
                raise SystemExit(f"word {word!r} names both {owner[key]} and {venue_id}: fix the curated aliases")
            owner[key] = venue_id
        if cur.get("api_management"):
            page = {"url": cur["api_management"]["url"], "source": "curated",
                    **{k: v for k, v in cur["api_management"].items() if k != "url"}}
        elif meta["api_management"]:
            page = {"url": meta["api_management"], "source": "ccxt", "status": "confirmed"}
        else:
            page = {"url": meta["www"], "source": "www", "status": "inferred"}
        wallet = bool(cur.get("wallet"))
        venue: dict[str, Any] = {"id": venue_id, "name": meta["name"], "kind": kind, "source": source}
        if source != "curated":
            venue["ccxt"] = {"parent": meta["parent"], "certified": meta["certified"], "pro": meta["pro"],
                             "prediction": meta["prediction"]}
        if cur.get("family"):
            venue["family"] = cur["family"]
        if wallet:
            venue["wallet"] = True
        if cur.get("closed"):
            venue["closed"] = cur["closed"]
        venue["words"] = words
        venue["credentials"] = credential_entries(meta["required"], cur, fields, source != "curated")
        if cur.get("env_names"):
            venue["env_names"] = cur["env_names"]
        if cur.get("lookalikes"):
            venue["lookalikes"] = cur["lookalikes"]
        venue["urls"] = {"www": meta["www"], "doc": as_list(meta["doc"])}
        venue["api_management"] = page
        venue["remediation"] = " ".join(cur["remediation"].split()) if cur.get("remediation") else \
            remediation_for(meta["name"], page, wallet)
        venues.append(venue)
    return {
        "version": 1,
        "generator": {"ccxt": ccxt_version, "command": COMMAND, "curated": "patterns/curated/venues.yaml"},
        "credential_fields": fields,
        "ambiguous_words": ambiguous,
        "distinctive_short_words": sorted(distinctive_short),
        "venues": venues,
    }


# --------------------------------------------------------------------------------------------- YAML writing
# A small emitter instead of yaml.safe_dump: one venue reads as a block, its lists and small maps in flow style,
# so the file stays reviewable in a diff. build() output is re-read with safe_load and compared before writing.
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED and not re.fullmatch(r"[0-9.eE+-]+", text):
        return text
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def render(data: dict[str, Any], header: str) -> str:
    out = [header, f"version: {data['version']}", f"generator: {flow(data['generator'])}", ""]
    out.append(CREDENTIAL_FIELDS_NOTE)
    out.append("credential_fields:")
    for field, spec in data["credential_fields"].items():
        out.append(f"  {field}: {flow(spec)}")
    out += ["", AMBIGUOUS_NOTE, "ambiguous_words:"]
    for word, reason in data["ambiguous_words"].items():
        out.append(f"  {scalar(word)}: {scalar(reason)}")
    out.append(f"distinctive_short_words: {flow(data['distinctive_short_words'])}")
    out += ["", VENUES_NOTE, "venues:"]
    for venue in data["venues"]:
        first = True
        for key, value in venue.items():
            lead = "  - " if first else "    "
            first = False
            if key in ("credentials", "lookalikes"):
                out.append(f"{lead}{key}:")
                out += [f"      - {flow(item)}" for item in value]
            else:
                out.append(f"{lead}{key}: {flow(value)}")
    return "\n".join(out) + "\n"


HEADER = """\
# Every venue a trading bot may hold keys for: each exchange ccxt supports, its prediction markets, and the
# venues listed in patterns/curated/venues.yaml. GENERATED by `{command}` from ccxt {version} and
# patterns/curated/venues.yaml: edit the curated file (or upgrade ccxt) and re-run; never edit this file by hand.
# The schema is described in docs/venues.md."""

CREDENTIAL_FIELDS_NOTE = """\
# Credential fields (ccxt's names): whether the value is a secret, what it is, and the generic words that name it.
# A venue's own `words` for a field add to these and take precedence over the generic words of its other fields
# (Kraken's private_key is its API secret; Hyperliquid's secret_key is a wallet private key)."""

AMBIGUOUS_NOTE = """\
# Words that name a venue only next to a credential word: a word listed here, or of three characters or fewer
# (squashed) unless in distinctive_short_words, ties a value to its venue only as a segment of the credential's own
# name path (GATE_API_KEY, gate.secret, {"gate": {"key": ...}}), as the value of an exchange-name field
# ("name": "gate") or in a ccxt constructor (ccxt.gate(...)); never from the surrounding text alone. Each venue
# lists such words under words.with_credential; its words.alone may tie from anywhere within the context window."""

VENUES_NOTE = """\
# One entry per venue, sorted by id. source: ccxt | ccxt.prediction | curated (not in ccxt's list). A credential's
# `ccxt: true` means ccxt's requiredCredentials declares it; formats give a full-match RE2 `shape` or a `kind`
# (pem, mnemonic, free) with status confirmed/inferred and the ref that documents it. A venue whose format is
# unknown is recognised by name and context only, never by shape."""


def generate() -> tuple[str, dict[str, Any]]:
    version, metadata = load_ccxt()
    curated = yaml.safe_load(CURATED.read_text(encoding="utf-8"))
    data = build(version, metadata, curated)
    text = render(data, HEADER.format(command=COMMAND, version=version))
    if yaml.safe_load(text) != data:
        raise SystemExit("internal error: the rendered YAML does not read back as the data it was made from")
    return text, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write (default: patterns/venues.yaml)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the output file differs")
    args = parser.parse_args(argv)
    text, data = generate()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(data['venues'])} venues (ccxt {data['generator']['ccxt']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
