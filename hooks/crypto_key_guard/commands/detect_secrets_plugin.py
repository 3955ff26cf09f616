"""crypto-key-guard detect-secrets-plugin: print this install's detect-secrets plugin file, for `detect-secrets scan --plugin`."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_USAGE
from crypto_key_guard.integrations.detect_secrets.plugin_path import (
    PROG,
    plugin_file,
)


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
