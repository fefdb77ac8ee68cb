"""The pure policy engine: facts in, a Decision out, no I/O."""
