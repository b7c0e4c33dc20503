"""Data: toy mixtures with known densities (toy.py), images (images.py). Lessons 01-04."""
