"""Built-in pattern definitions (YAML data files shipped as package data)."""
