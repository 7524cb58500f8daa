"""The SQLite store (one file, WAL): schema migrations and repository functions."""
