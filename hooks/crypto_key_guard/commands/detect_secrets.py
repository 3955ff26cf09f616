"""`crypto-key-guard detect-secrets ARGS`: detect-secrets' own command line, with custom plugins that work.

detect-secrets 1.5 builds its table of plugin classes before it reads a baseline and never rebuilds it, so
`detect-secrets audit` on a baseline that lists any custom plugin (ours included) stops with a TypeError
(Yelp/detect-secrets#611), and a baseline naming a plugin file that does not exist makes `scan --baseline`
log "Unable to load plugins!" and carry on with no plugin. This runs detect-secrets' `main` unchanged except
that loading a baseline rebuilds the table at once: audit works, and a missing plugin file is exit 2.

    crypto-key-guard detect-secrets audit --report .secrets.baseline
"""
from __future__ import annotations

import sys
from typing import Any, Sequence

from crypto_key_guard.errors import EXIT_USAGE
from crypto_key_guard.policy.options import split_argv

PROG = "crypto-key-guard detect-secrets"


class _PluginLoadError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    args = split_argv(argv)
    try:
        from detect_secrets import main as ds_main
        from detect_secrets.core import baseline
    except ImportError:
        print(f"{PROG}: error: detect-secrets is not installed (pip install 'crypto-key-guard[detect-secrets]')",
              file=sys.stderr)
        return EXIT_USAGE
    original = baseline.configure_settings_from_baseline

    def configure_and_load(config: Any, filename: str = "") -> Any:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.settings import get_plugins

        settings = original(config, filename=filename)
        get_mapping_from_secret_type_to_class.cache_clear()
        get_plugins.cache_clear()
        try:
            get_mapping_from_secret_type_to_class()
        except Exception as exc:  # a plugins_used path that does not exist or does not import
            raise _PluginLoadError(f"{type(exc).__name__}: {exc}") from None
        return settings

    baseline.configure_settings_from_baseline = configure_and_load  # type: ignore[assignment]
    try:
        return int(ds_main.main(args) or 0)
    except _PluginLoadError as exc:
        print(f"{PROG}: error: a plugin named in the baseline cannot be loaded ({exc})", file=sys.stderr)
        return EXIT_USAGE
    finally:
        baseline.configure_settings_from_baseline = original  # type: ignore[assignment]


if __name__ == "__main__":
    raise SystemExit(main())
