"""The compose panel: pressing 'compose' writes, shows and plays a melody."""
import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

from artlab.music.lstm import LSTMComposer, LSTMConfig
from artlab.music.panel import ComposePanel  # noqa: E402
from artlab.music.tokens import Vocabulary

VOCAB = Vocabulary()


def panel(**kw):
    torch.manual_seed(0)
    return ComposePanel(LSTMComposer(LSTMConfig(len(VOCAB), 8, 16)).eval(), VOCAB, **kw)


def test_compose_uses_the_widgets_values_and_shows_notation_audio_and_roll():
    p = panel(bars=4, seed=3)
    p.temperature.value, p.top_p.value = 0.8, 0.9
    melody = p.compose()
    assert melody is p.melody and melody.duration == melody.upbeat + 4 * melody.bar_length
    assert p.notation.data.startswith("<svg") and p.audio.data[:4] == b"RIFF"
    assert p.roll.data.startswith(b"\x89PNG")  # the piano roll, drawn without pyplot
    assert p.compose() == melody  # same seed, same melody
    p.seed.value = 4
    assert p.compose() != melody


def test_a_motif_in_another_key_is_continued_in_that_key():
    p = panel(bars=4, motif="4/4 g4 a b c'")
    melody = p.compose()
    assert melody.pitches[:4] == (67, 69, 71, 72)
    assert melody.duration == 16


def test_a_bad_motif_is_reported_not_raised():
    p = panel(motif="4/4 qq")
    assert p.compose() is None
    assert "Could not compose" in p.message and "'qq'" in p.message
