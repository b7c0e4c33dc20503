"""An interactive composing panel for the notebook: sliders, a motif box, a "compose" button. Lesson 07.

``ComposePanel(model, vocab)`` shows temperature, top-p, length in bars, seed and a
motif (tinyNotation, e.g. ``4/4 e4 d c d e e e2``). Pressing **compose** samples a melody
with :func:`artlab.music.sample.compose` and shows its notation (verovio SVG), a player
(NumPy synthesis) and a piano roll. Everything runs offline.

A motif in any key is moved to C major / A minor first (the key the course's models
are trained in; see :func:`artlab.music.corpus.normalise_key`), continued, and the
result moved back to the motif's key. :meth:`ComposePanel.compose` does the same as the
button, so code (and the tests) can press it.
"""
from __future__ import annotations

import io

from artlab.errors import ArtlabError
from artlab.music.melody import Melody
from artlab.music.tokens import Vocabulary
from artlab.music.sample import compose, continue_motif

__all__ = ["ComposePanel"]


class ComposePanel:
    """Widgets to compose with a trained model; ``display(panel)`` or leave it last in a cell."""

    def __init__(self, model, vocab: Vocabulary, *, bars: int = 16, temperature: float = 1.0,
                 top_p: float = 0.95, motif: str = "", seed: int = 0, tempo: int = 110) -> None:
        import ipywidgets as w

        self.model, self.vocab, self.tempo = model, vocab, tempo
        self.melody: Melody | None = None
        self.notation = self.audio = self.roll = None  # what the last press showed: SVG, Audio, PNG Image
        self.message = ""                   # or why it could not compose
        self.temperature = w.FloatSlider(value=temperature, min=0.1, max=2.0, step=0.05, description="temperature")
        self.top_p = w.FloatSlider(value=top_p, min=0.5, max=1.0, step=0.01, description="top-p")
        self.bars = w.IntSlider(value=bars, min=2, max=64, description="bars")
        self.seed = w.IntText(value=seed, description="seed")
        self.motif = w.Text(value=motif, description="motif", placeholder="tinyNotation, e.g. 4/4 c4 d e f g2")
        self.button = w.Button(description="compose", button_style="primary", icon="music")
        self.output = w.Output()
        self.button.on_click(lambda _: self.compose())
        self.widget = w.VBox([w.HBox([self.temperature, self.top_p]), w.HBox([self.bars, self.seed]),
                              w.HBox([self.motif, self.button]), self.output])

    def compose(self) -> Melody | None:
        """Sample with the current settings and show the result; returns the melody (or None on a bad motif)."""
        from IPython.display import Image, display
        from matplotlib.figure import Figure

        from artlab.music.audio import to_audio
        from artlab.music.notation import show
        from artlab.viz.pianoroll import plot_pianoroll

        self.output.clear_output()
        with self.output:
            try:
                melody = self._sample()
            except ArtlabError as error:
                self.message = f"Could not compose: {error}"
                print(self.message)
                return None
            self.melody, self.message = melody, ""
            self.notation, self.audio = show(melody), to_audio(melody, tempo=self.tempo)
            display(self.notation)
            display(self.audio)
            # The piano roll is drawn on a figure of its own and shown as a PNG, without pyplot: a press
            # can run while the kernel handles other widget messages, and the notebook's inline
            # backend would show (and close) a half-drawn pyplot figure there instead.
            figure = Figure(figsize=(max(6.0, min(16.0, float(melody.duration) / 4)), 2.8), layout="constrained")
            plot_pianoroll(melody, ax=figure.subplots(), title=f"{melody.meter}, {melody.key}, {len(melody)} events")
            png = io.BytesIO()
            figure.savefig(png, format="png", dpi=100)
            self.roll = Image(data=png.getvalue(), format="png")
            display(self.roll)
        return melody

    def _sample(self) -> Melody:
        options = dict(bars=int(self.bars.value), temperature=float(self.temperature.value),
                       top_p=float(self.top_p.value), seed=int(self.seed.value))
        text = self.motif.value.strip()
        if not text:
            return compose(self.model, self.vocab, **options)
        return continue_motif(self.model, self.vocab, text, 1, **options)[0]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

