"""Pure, fast tests of the domain and helpers: no I/O."""
