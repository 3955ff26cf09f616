"""The umbrella command's subcommands: one module each, with main(argv) -> int."""
