"""Write the coverage tables: every venue and service the shipped rules recognise, with the fields recognised.

    python scripts/coverage_table.py           # rewrite the tables in README.md and docs/venues.md
    python scripts/coverage_table.py --check   # exit 1 if either is out of date (the test suite runs this)

The data is `crypto-key-guard rules --coverage` (engine/rules.py venue_coverage): the README gets a compact table
(venues grouped by kind and the fields recognised), docs/venues.md one row per venue and service with its rules and
the page where a leaked key is deleted. Each table lives between `<!-- coverage:NAME -->` and `<!-- /coverage:NAME -->`.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from crypto_key_guard.engine.rules import venue_coverage

ROOT = Path(__file__).resolve().parent.parent
FIELD_NAMES = {"apiKey": "key", "secret": "secret", "password": "passphrase", "privateKey": "private key",
               "starkPrivateKey": "Stark key", "mnemonic": "seed phrase", "twofa": "2FA seed", "token": "token"}
KIND_NAMES = {"cex": "Exchanges", "dex": "On-chain venues", "prediction": "Prediction markets",
              "node-rpc": "Node / RPC", "explorer": "Explorers", "market-data": "Market data", "analytics": "Analytics",
              "storage-nft": "Storage / NFT", "notification": "Notifications", "ci": "CI", "chain-keys": "Chain keys"}


def field_name(field: str) -> str:
    words = {"api": "API", "jwt": "JWT", "id": "ID", "url": "URL"}
    return FIELD_NAMES.get(field) or " ".join(words.get(w, w) for w in field.split("_"))


def summary(rows: list[dict]) -> str:
    """Venues and services grouped by kind and by the fields recognised: every one listed, compactly."""
    venues = [r for r in rows if r["table"] == "venue"]
    services = [r for r in rows if r["table"] == "service"]
    lines = [f"{len(venues)} venues and {len(services)} services (`crypto-key-guard rules --coverage`; per venue, "
             "with its rules and where a key is deleted: [docs/venues.md](docs/venues.md#coverage)). Public ids "
             "(uid, login, wallet address, account id) are never reported.", "",
             "| kind | fields recognised | venues and services |", "|---|---|---|"]
    groups: dict[tuple[str, str], list[str]] = {}
    order = list(KIND_NAMES)
    for row in venues + services:
        fields = ", ".join(field_name(f) for f in row["fields"])
        groups.setdefault((row["kind"], fields), []).append(row["name"])
    for (kind, fields), names in sorted(groups.items(), key=lambda g: (order.index(g[0][0]) if g[0][0] in order
                                                                       else len(order), g[0][0], -len(g[1]), g[0][1])):
        lines.append(f"| {KIND_NAMES.get(kind, kind)} | {fields} | {', '.join(sorted(names, key=str.lower))} |")
    return "\n".join(lines)


def full(rows: list[dict]) -> str:
    """One row per venue and service: fields recognised and by which rules, fields never reported, the fix page."""
    lines = ["| id | name | kind | recognised (rules) | not reported | where a key is deleted |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        fields = "; ".join(f"{field_name(f)} (`{'`, `'.join(ids)}`)" for f, ids in row["fields"].items())
        public = ", ".join(field_name(f) for f in row["not_reported"])
        lines.append(f"| {row['id']} | {row['name']} | {row['kind']} | {fields} | {public} | {row['fix']} |")
    return "\n".join(lines)


def replace_between(text: str, name: str, table: str) -> str:
    pattern = re.compile(rf"(<!-- coverage:{name} -->\n)(?:.*?\n)?(<!-- /coverage:{name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"coverage_table.py: no <!-- coverage:{name} --> ... <!-- /coverage:{name} --> markers")
    return pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the tables are up to date")
    args = parser.parse_args(argv)
    rows = venue_coverage()
    stale = []
    for path, name, table in ((ROOT / "README.md", "summary", summary(rows)), (ROOT / "docs" / "venues.md", "full",
                                                                              full(rows))):
        text = path.read_text(encoding="utf-8")
        updated = replace_between(text, name, table)
        if updated != text:
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                path.write_text(updated, encoding="utf-8")
    if args.check and stale:
        print(f"coverage tables out of date in {', '.join(stale)}: run python scripts/coverage_table.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
