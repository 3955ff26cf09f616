"""crypto-key-guard config: print the effective configuration (defaults, then the file)."""
from __future__ import annotations

import sys
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, UsageError
from crypto_key_guard.policy.config import (
    load_config,
    project_root,
)


def main(argv: Sequence[str] | None = None) -> int:
    """crypto-key-guard config: print the effective configuration (defaults, then the file)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="crypto-key-guard config", description=main.__doc__)
    parser.add_argument("--config", metavar="FILE", help="a configuration file instead of the project's")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(project_root("."), args.config)
    except UsageError as exc:
        print(f"crypto-key-guard config: error: {exc}", file=sys.stderr)
        return 2
    data = cfg.effective()
    if args.format == "json":
        print(json.dumps(data, indent=2))
    else:
        # valid YAML for .crypto-key-guard.yaml (JSON values are YAML flow style): copy it to start one
        print(f"# effective configuration for {data['root']} (from {data['source'] or 'defaults only'})")
        for key, value in data.items():
            if key not in ("root", "source"):
                print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
