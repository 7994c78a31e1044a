"""Test support shared across test modules: local servers and the fixtures that start them."""
