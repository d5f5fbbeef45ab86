"""Province scale: file import with dry run, the bulk path into the store, the demo province."""
