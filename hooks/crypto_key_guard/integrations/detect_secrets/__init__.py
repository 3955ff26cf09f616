"""detect-secrets: plugin classes generated from our rules, its CLI with fixes, the hook."""
