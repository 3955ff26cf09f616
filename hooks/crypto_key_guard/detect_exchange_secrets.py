"""pre-commit hook `detect-exchange-secrets`: detect-secrets (its default plugins plus ours) with a baseline.

The hook lives in integrations/detect_secrets/hook.py (detect-secrets is an optional extra, imported only
when this hook runs); this module is the console script's stable name.
"""
from __future__ import annotations

from crypto_key_guard.integrations.detect_secrets.hook import main

if __name__ == "__main__":
    raise SystemExit(main())
