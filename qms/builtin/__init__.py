"""Core behaviour registered as ordinary plugins (the same path the procedure plugins take)."""
