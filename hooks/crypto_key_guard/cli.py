"""crypto-key-guard: the umbrella command. Each subcommand lives in its own module with main(argv) -> int,
imported only when called, so `crypto-key-guard scan` never pays for ccxt or detect-secrets."""
from __future__ import annotations

import importlib
import sys
from typing import Sequence

from crypto_key_guard import __version__
from crypto_key_guard.errors import EXIT_USAGE, console_main

COMMANDS = {
    "scan": ("crypto_key_guard.commands.scan", "scan a tree, the git index (--staged) or all of history (--history)"),
    "pre-push": ("crypto_key_guard.commands.pre_push", "git pre-push hook: scan the commits being pushed (ref lines on stdin)"),
    "pre-receive": ("crypto_key_guard.commands.pre_receive",
                    "server hook: refuse a push that introduces a secret (<old> <new> <ref> lines on stdin)"),
    "detect-secrets-plugin": ("crypto_key_guard.commands.detect_secrets_plugin",
                              "print the path of the detect-secrets plugin file of this install"),
    "detect-secrets": ("crypto_key_guard.commands.detect_secrets",
                       "run detect-secrets (scan, audit) with baseline plugins loaded properly"),
    "rotation": ("crypto_key_guard.commands.rotation", "record key rotations and show which keys are due"),
    "audit": ("crypto_key_guard.commands.audit", "check a live exchange key's permissions and IP whitelist (network)"),
    "ignore": ("crypto_key_guard.commands.ignore", "accept findings by fingerprint (.crypto-key-guard-ignore)"),
    "config": ("crypto_key_guard.commands.config", "print the effective configuration"),
    "rules": ("crypto_key_guard.commands.rules", "list the loaded rules"),
}

USAGE = "usage: crypto-key-guard [--version] COMMAND [ARGS ...]\n\ncommands:\n" + "\n".join(
    f"  {name:<22} {desc}" for name, (_, desc) in COMMANDS.items()
) + "\n\nRun 'crypto-key-guard COMMAND --help' for a command's options."


@console_main
def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if args else sys.stderr)
        return 0 if args else EXIT_USAGE
    if args[0] in ("--version", "-V"):
        print(f"crypto-key-guard {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"crypto-key-guard: error: unknown command {name!r}\n\n{USAGE}", file=sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(COMMANDS[name][0])
    return module.main(rest)  # `crypto-key-guard scan | head`: console_main ends quietly when the reader leaves


if __name__ == "__main__":
    raise SystemExit(main())
