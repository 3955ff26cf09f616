"""`crypto-key-guard detect-secrets-plugin`: print the absolute path of this install's detect-secrets plugin
file, one line, so it can be passed to `detect-secrets scan --plugin "$(...)"`.

Cheap on purpose: it does not import detect-secrets or load the rules.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_USAGE

PROG = "crypto-key-guard detect-secrets-plugin"


def plugin_file() -> str:
    # the file stays at the package's face: users' baselines name its path
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(package, "detect_secrets_plugin.py")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.parse_args(argv)
    path = plugin_file()
    if not os.path.isfile(path):
        print(f"{PROG}: error: the plugin file is missing from this install ({path})", file=sys.stderr)
        return EXIT_USAGE
    print(path)
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
