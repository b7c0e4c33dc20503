"""Music: corpus, encoding, models, training, sampling, MIDI, notation, audio and metrics. Lessons 06-08."""
