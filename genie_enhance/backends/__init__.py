"""Backends: the three protocols every engine function works against, and their implementations."""
