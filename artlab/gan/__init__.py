"""GANs: the theory (theory.py), losses (losses.py), models (models.py), the training loop (train.py) and metrics (metrics.py). Lessons 01-04."""
