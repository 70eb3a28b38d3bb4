"""Headless subcommands: the same operations as the TUI, for pipelines and scripts."""
