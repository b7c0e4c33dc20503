"""Sequence models from the equations: RNN, LSTM and GRU cells (cells.py), gradients through time (bptt.py). Lesson 05."""
