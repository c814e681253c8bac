"""One module per resource; each exposes a Typer ``app`` (or a command function)."""
