"""`crypto-key-guard detect-secrets ARGS`: detect-secrets' own command line with our plugins loaded properly.

The fixes live with the rest of the detect-secrets integration (integrations/detect_secrets/cli.py).
"""
from __future__ import annotations

from crypto_key_guard.integrations.detect_secrets.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
