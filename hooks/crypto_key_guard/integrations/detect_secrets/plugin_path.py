"""`crypto-key-guard detect-secrets-plugin`: print the absolute path of this install's detect-secrets plugin
file, one line, so it can be passed to `detect-secrets scan --plugin "$(...)"`.

Cheap on purpose: it does not import detect-secrets or load the rules.
"""
from __future__ import annotations

import os

PROG = "crypto-key-guard detect-secrets-plugin"


def plugin_file() -> str:
    # the file stays at the package's face: users' baselines name its path
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(package, "detect_secrets_plugin.py")
