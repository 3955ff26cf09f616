"""crypto-key-guard's detect-secrets plugin file: exchange API keys and wallet secrets for detect-secrets.

    detect-secrets scan --plugin "$(crypto-key-guard detect-secrets-plugin)" > .secrets.baseline

detect-secrets loads custom plugins only from a file path and takes every concrete plugin class it finds in
the file; this file is that path. The classes (one per rule family, generated from the YAML rules) live in
crypto_key_guard.integrations.detect_secrets.bridge: detect-secrets may execute this file several times under another
module name, and the classes and their per-file cache must exist once per process. Imports are absolute:
a file loaded by path has no package, so relative imports would fail.
"""
from crypto_key_guard.integrations.detect_secrets.bridge import plugin_classes as _plugin_classes

globals().update(_plugin_classes())
__all__ = sorted(_plugin_classes())  # `from crypto_key_guard.detect_secrets_plugin import *` gives the plugins
