"""`python -m gotui` runs the CLI."""

from gotui.cli import entry

if __name__ == "__main__":
    entry()
