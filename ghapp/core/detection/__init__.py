"""AI detection: the signal table, trailers, PR text, and the verdict."""
