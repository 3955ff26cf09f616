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
    add_rule_options(parser)
    return parser


def rule_row(rule: Any) -> dict[str, str]:
    """What is listed of a rule: plain strings read from the Rule record, whatever its other fields."""
    row = {name: getattr(rule, name, "") for name in FIELDS}
    row["venue"] = row.pop("exchange") or ""
    return {k: "" if v is None else str(v) for k, v in row.items()}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
