"""Tests that drive the lessons in a real browser (`make test-browser`)."""
