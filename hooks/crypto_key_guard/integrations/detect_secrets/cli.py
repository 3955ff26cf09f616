"""`crypto-key-guard detect-secrets ARGS`: detect-secrets' own command line, with custom plugins that work.

detect-secrets 1.5 builds its table of plugin classes before it reads a baseline and never rebuilds it, so
`detect-secrets audit` on a baseline that lists any custom plugin (ours included) stops with a TypeError
(Yelp/detect-secrets#611), and a baseline naming a plugin file that does not exist makes `scan --baseline`
log "Unable to load plugins!" and carry on with no plugin. This runs detect-secrets' `main` unchanged except
that loading a baseline rebuilds the table at once: audit works, and a missing plugin file is exit 2. The
`audit --report` document is redacted like everything else we print.

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

    from detect_secrets.audit import report

    original_report = report.generate_report

    def redacted_report(*a: Any, **kw: Any) -> Any:
        return redact_report(original_report(*a, **kw))

    baseline.configure_settings_from_baseline = configure_and_load  # type: ignore[assignment]
    report.generate_report = redacted_report  # type: ignore[assignment]
    try:
        return int(ds_main.main(args) or 0)
    except _PluginLoadError as exc:
        print(f"{PROG}: error: a plugin named in the baseline cannot be loaded ({exc})", file=sys.stderr)
        return EXIT_USAGE
    finally:
        baseline.configure_settings_from_baseline = original  # type: ignore[assignment]
        report.generate_report = original_report  # type: ignore[assignment]


def redact_report(doc: Any) -> Any:
    """`audit --report` as detect-secrets makes it, with each secret redacted in its own field and wherever it
    appears in the quoted lines (detect-secrets prints them whole; a report is pasted into tickets and CI logs)."""
    from crypto_key_guard.engine.findings import redact
    from crypto_key_guard.integrations.detect_secrets.bridge import _UUID, normalise

    results = [r for r in doc.get("results", []) if isinstance(r, dict)] if isinstance(doc, dict) else []
    raws = sorted({r["secrets"] for r in results if isinstance(r.get("secrets"), str) and r["secrets"]},
                  key=len, reverse=True)  # a line may hold several secrets (key and secret of one client)
    known = set(raws)
    for result in results:
        if isinstance(result.get("secrets"), str) and result["secrets"]:
            result["secrets"] = redact(result["secrets"])
        lines = result.get("lines")
        if isinstance(lines, dict):
            for n, line in lines.items():
                if isinstance(line, str):
                    for raw in raws:
                        line = line.replace(raw, redact(raw))
                    # a UUID is reported without its hyphens (bridge.normalise) but quoted as written
                    line = _UUID.sub(lambda m: redact(m.group(0)) if normalise(m.group(0)) in known else m.group(0),
                                     line)
                    lines[n] = line
    return doc

if __name__ == "__main__":
    raise SystemExit(main())
