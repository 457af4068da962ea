"""Decisions of the application. Services flush but never commit: the request (or CLI
command) that called them commits once, in one place."""
