"""crypto-key-guard rules: list the rules a scan here would load (shipped, the project's `patterns:` files and
--patterns files, minus `disable:`), with what each finds and how sure and severe its findings are."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from crypto_key_guard.errors import EXIT_CLEAN, UsageError
from crypto_key_guard.policy.options import add_rule_options, fail_usage, prepare
from crypto_key_guard.sources.files import printable

PROG = "crypto-key-guard rules"
# the Rule fields shown, in order; a field the rule record lacks is shown empty (the record may grow or change)
FIELDS = ("id", "kind", "exchange", "severity", "confidence", "description", "source")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--kind", metavar="KIND", help="only rules of this kind (exchange, wallet, infra, ...)")
    parser.add_argument("--coverage", action="store_true",
                        help="every venue and service the shipped rules know, with the credential fields recognised "
                             "(by which rules), the fields never reported (public ids) and where a key is deleted")
    add_rule_options(parser, scans=False)
    return parser


def rule_row(rule: Any) -> dict[str, str]:
    """What is listed of a rule: plain strings read from the Rule record, whatever its other fields."""
    row = {name: getattr(rule, name, "") for name in FIELDS}
    row["venue"] = row.pop("exchange") or ""
    return {k: "" if v is None else str(v) for k, v in row.items()}


def coverage_lines(rows: list[dict]) -> list[str]:
    """The coverage table as text: one line per venue or service, grouped by table."""
    lines: list[str] = []
    width = max((len(r["id"]) for r in rows), default=2)
    for table in ("venue", "service"):
        group = [r for r in rows if r["table"] == table]
        lines.append(f"{len(group)} {table}s:")
        for r in group:
            fields = ", ".join(f"{f} ({' '.join(ids)})" for f, ids in r["fields"].items()) or "-"
            public = f"; not reported: {', '.join(r['not_reported'])}" if r["not_reported"] else ""
            lines.append(f"  {r['id']:<{width}}  {r['kind']:<11} {r['name']}: {fields}{public}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.coverage:
        from crypto_key_guard.engine.rules import venue_coverage
        from crypto_key_guard.errors import ConfigError

        try:
            rows = venue_coverage()
        except ConfigError as exc:
            return fail_usage(PROG, exc)
        if args.format == "json":
            import json

            json.dump({"coverage": rows, "venues": sum(r["table"] == "venue" for r in rows),
                       "services": sum(r["table"] == "service" for r in rows)}, sys.stdout, indent=2,
                      ensure_ascii=False)
            sys.stdout.write("\n")
            return EXIT_CLEAN
        for line in coverage_lines(rows):
            print(printable(line))
        return EXIT_CLEAN
    args.staged = False
    args.paths = []
    try:
        session = prepare(args, ".", use_ignore_file=False)
    except UsageError as exc:
        return fail_usage(PROG, exc)
    from crypto_key_guard.engine.scanner import CONFIDENCE_ORDER

    floor = session.scanner.min_confidence
    rows = [rule_row(r) for r in session.scanner.ruleset.rules
            if CONFIDENCE_ORDER.get(getattr(r, "confidence", "low"), 0) >= floor
            and (not args.kind or getattr(r, "kind", "") == args.kind)]
    if args.format == "json":
        import json

        json.dump({"rules": rows, "count": len(rows)}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_CLEAN
    width = max((len(r["id"]) for r in rows), default=2)
    for r in rows:
        venue = f" [{r['venue']}]" if r["venue"] else ""
        print(printable(f"{r['id']:<{width}}  {r['kind']:<8} {r['severity']:<8} {r['confidence']:<6} "
                        f"{r['description']}{venue}"))
    print(f"\n{len(rows)} rule(s) loaded", file=sys.stderr)
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
