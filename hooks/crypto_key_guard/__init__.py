"""crypto-key-guard: keep crypto-exchange API keys and wallet secrets out of git."""
__version__ = "0.1.0"
