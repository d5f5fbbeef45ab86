"""End-to-end tests through the CLI and the browser."""
