"""The use cases: one handler per command, grouped by what the board does, declared once in the
registry (model, handler, permission, target, success message), and the Liaison application that
executes them against the event store. Imports only the domain."""
