"""Process entry points and wiring: settings, the composition root, the embedded stack, the CLI."""
