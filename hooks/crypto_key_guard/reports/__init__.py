"""Findings out: text, JSON and SARIF. Only redacted values ever reach here."""
