"""One enhancement iteration as plain functions, and the keep / roll back / stop policy."""
