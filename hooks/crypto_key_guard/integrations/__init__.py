"""Other tools we plug into: detect-secrets, and exchanges (through ccxt)."""
