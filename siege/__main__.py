"""``python -m siege`` runs the command line."""

from siege.cli import console

console()
