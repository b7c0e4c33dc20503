"""The ``artlab`` command line, end to end in fast mode: real files written, read back and checked.

Most tests run ``python -m artlab`` in a subprocess, as a learner would; argument errors
that need no training also run in-process through :func:`artlab.cli.main` (quicker).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import wave
from fractions import Fraction
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from artlab.cli import main
from artlab.data.images import mondrian
from artlab.music.audio import SAMPLE_RATE, synthesize
from artlab.music.composers import load_composer
from artlab.music.corpus import load_corpus
from artlab.music.lstm import LSTMComposer, LSTMConfig
from artlab.music.melody import normalise_key
from artlab.music.midi import read_midi
from artlab.music.tokens import Vocabulary, encode_melodies
from artlab.music.train import TrainConfig, cpu_threads, train_composer
from artlab.painters import load_painter, paint
from artlab.painters.gan import for_images, train_painter
from artlab.viz.images import image_grid
from artlab.workflow import compose_pieces, load

ROOT = Path(__file__).resolve().parent.parent


def artlab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARTLAB_FAST": "1", "ARTLAB_PROGRESS": "0",
           "ARTLAB_OUTPUT": str(cwd / "outputs")}
    return subprocess.run([sys.executable, "-m", "artlab", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def library_composer(folder) -> Path:
    """A tiny composer trained in-process by the library, as a notebook would."""
    vocab = Vocabulary()
    melodies = [normalise_key(m) for m in load_corpus().melodies("essen", "train")[:40]]
    tokens = encode_melodies(melodies, vocab)
    torch.manual_seed(0)
    model = LSTMComposer(LSTMConfig(len(vocab), embedding_dim=16, hidden_size=32, bar_position=True), vocab)
    path = folder / "library_composer.pt"
    with cpu_threads(1):
        train_composer(model, tokens[:20], tokens[20:], vocab,
                       TrainConfig(steps=4, eval_every=4, max_seconds=None, warmup=1, batch_size=8),
                       checkpoint=path)
    return path


@pytest.fixture(scope="module")
def library_painter(folder) -> Path:
    """A tiny Mondrian painter trained in-process by the library (16x16 colour)."""
    images = mondrian(32, 16)
    path = folder / "library_painter.pt"
    with cpu_threads(1):
        train_painter(for_images(images, steps=2), images, seed=0, checkpoint=path)
    return path


def check_wav(path: Path, melody, tempo: float) -> None:
    with wave.open(str(path)) as handle:
        assert handle.getframerate() == SAMPLE_RATE and handle.getnchannels() == 1 and handle.getsampwidth() == 2
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    expected = synthesize(melody, tempo=tempo)
    assert len(pcm) == len(expected)                      # the melody's length in seconds, plus the release
    assert 0.3 * 32767 < np.abs(pcm).max() <= 0.5 * 32767 + 1  # peak at the volume, never clipped
    assert np.abs(pcm / 32767 - expected).max() < 1e-3    # the very waveform of the melody


def same_notes(written, melody) -> bool:
    """MIDI keeps every pitch, the meter and the key; it quantises odd tuplets that models trained for
    seconds like to write (1/6 then 7/2 comes back as 1/4 then 41/12; a last 1/16 as 1/4), so onsets
    may move a little and the last note may grow."""
    if (written.pitches, written.meter, written.key) != (melody.pitches, melody.meter, melody.key):
        return False
    return all(abs(a - b) <= Fraction(1, 8) for a, b in zip(written.onsets(), melody.onsets()))


def check_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 50  # staff lines, clef, notes


def test_compose_trains_then_writes_midi_wav_svg_that_read_back_to_the_model_s_melodies(folder):
    out = folder / "composed"
    stdout = ok(artlab("compose", "--steps", "6", "-n", "2", "--bars", "4", "--seed", "3", "--temperature", "0.9",
                       "--top-p", "0.95", "--tempo", "120", "--out", str(out), cwd=folder))
    assert "trained lstm composer" in stdout and "wrote 2 pieces" in stdout
    assert re.search(r"piece_01: \d+ bars? of \d+/\d+( and [a-z]+ [a-z]+)?( after an upbeat of [a-z]+ [a-z]+)? in ", stdout)
    loaded = load(out / "composer.pt")  # the one load path: it reads what the checkpoint says it holds
    assert loaded.kind == "composer" and loaded.name == "lstm" and loaded.checkpoint.extra["finished"]
    model, vocab, _ = load_composer(out / "composer.pt")
    melodies = compose_pieces(model, vocab, 2, bars=4, temperature=0.9, top_p=0.95, seed=3)
    for i, melody in enumerate(melodies, start=1):
        assert melody.duration == melody.upbeat + 4 * melody.bar_length  # 4 bars after the upbeat
        assert same_notes(read_midi(out / f"piece_{i:02d}.mid"), melody)
        check_wav(out / f"piece_{i:02d}.wav", melody, tempo=120)
        check_svg(out / f"piece_{i:02d}.svg")


def test_compose_trains_lesson_08_s_transformer_and_its_checkpoint_loads_back(folder):
    from artlab.music.recipes import FOLK_TRANSFORMER
    from artlab.music.transformer import TransformerComposer

    out = folder / "transformer"
    stdout = ok(artlab("compose", "--model", "transformer", "--steps", "3", "-n", "1", "--bars", "2", "--seed", "1",
                       "--out", str(out), cwd=folder))
    assert "trained transformer composer" in stdout
    model, vocab, _ = load_composer(out / "composer.pt")
    assert isinstance(model, TransformerComposer) and model.config == FOLK_TRANSFORMER.model_config(vocab)
    melody = compose_pieces(model, vocab, 1, bars=2, seed=1)[0]
    # three steps of training leave odd tuplets that MIDI quantises into overlaps: compare pitches only
    written = read_midi(out / "piece_01.mid", chords="top")
    assert [p for p in written.pitches if p >= 0][:3] == [p for p in melody.pitches if p >= 0][:3]
    check_svg(out / "piece_01.svg")


def test_compose_loads_a_library_checkpoint_and_continues_a_motif_in_its_own_key(folder, library_composer):
    out = folder / "motif"
    motif = "4/4 g4 a b c'"  # G major: moved to C for the model, continued, moved back
    stdout = ok(artlab("compose", "--checkpoint", str(library_composer), "--motif", motif, "-n", "1", "--bars", "3",
                       "--top-k", "8", "--seed", "5", "--out", str(out), cwd=folder))
    assert "loaded lstm composer" in stdout and "trained" not in stdout
    model, vocab, _ = load_composer(library_composer)
    expected = compose_pieces(model, vocab, 1, bars=3, top_k=8, motif=motif, seed=5)[0]
    written = read_midi(out / "piece_01.mid")
    assert same_notes(written, expected)
    assert written.pitches[:4] == (67, 69, 71, 72) and expected.bars == 3
    check_wav(out / "piece_01.wav", expected, tempo=100)
    check_svg(out / "piece_01.svg")


def test_paint_trains_a_conditional_painter_and_writes_the_grid_it_paints(folder):
    out = folder / "digits"
    stdout = ok(artlab("paint", "--data", "digits", "--conditional", "--digit", "3", "-n", "6", "--grid",
                       "--steps", "3", "--seed", "2", "--out", str(out), cwd=folder))
    assert "trained dcgan painter" in stdout
    loaded = load(out / "painter.pt")  # the one load path: it reads what the checkpoint says it holds
    assert loaded.kind == "painter" and loaded.name == "dcgan" and loaded.checkpoint.extra["finished"]
    generator = load_painter(out / "painter.pt")
    assert generator.num_classes == 10
    with Image.open(out / "paintings.png") as picture:
        assert picture.size == ((2 * 18 + 2) * 4, (3 * 18 + 2) * 4)  # 2 columns, 3 rows of 16x16 + padding 2, x4
        pixels = torch.tensor(np.asarray(picture.convert("RGB")), dtype=torch.float32)
    grid = image_grid(paint(generator, 6, labels=3, seed=2), nrow=2)  # (3, H, W) in [0, 1]
    expected = (grid * 255).repeat_interleave(4, 1).repeat_interleave(4, 2).permute(1, 2, 0)
    assert (pixels - expected).abs().max() <= 1.0


def test_paint_trains_a_self_conditioned_painter_that_needs_no_labels(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ARTLAB_FAST", "1")
    monkeypatch.setenv("ARTLAB_PROGRESS", "0")
    out = tmp_path / "clusters"
    assert main(["paint", "--data", "digits", "--clusters", "5", "--steps", "2", "-n", "4", "--grid",
                 "--out", str(out)]) == 0
    assert "trained dcgan painter" in capsys.readouterr().out
    painter = load_painter(out / "painter.pt")
    assert type(painter).__name__ == "ClusterPainter" and painter.clusters == 5 and painter.num_classes == 0
    assert (out / "paintings.png").is_file()


def test_paint_loads_a_library_checkpoint_and_writes_single_paintings(folder, library_painter):
    out = folder / "singles"
    stdout = ok(artlab("paint", "--checkpoint", str(library_painter), "-n", "3", "--seed", "7", "--out", str(out),
                       cwd=folder))
    assert "loaded dcgan painter" in stdout
    files = sorted(out.glob("painting_*.png"))
    assert [f.name for f in files] == ["painting_000.png", "painting_001.png", "painting_002.png"]
    generator = load_painter(library_painter)
    expected = (paint(generator, 3, seed=7) + 1) / 2 * 255  # (3, 3, 16, 16)
    for path, image in zip(files, expected):
        with Image.open(path) as picture:
            assert picture.size == (128, 128)
            pixels = torch.tensor(np.asarray(picture.convert("RGB")), dtype=torch.float32)
        assert (pixels[::8, ::8] - image.permute(1, 2, 0)).abs().max() <= 1.0


@pytest.mark.parametrize("args, named", [
    (["compose", "--temperature", "0"], "temperature"),
    (["compose", "--top-p", "1.5"], "top-p"),
    (["paint", "--data", "no_such_folder_xyz"], "no_such_folder_xyz"),
    (["compose", "--temperature", "hot"], "--temperature"),
])
def test_bad_arguments_give_one_clear_line_and_exit_status_2(folder, args, named):
    result = artlab(*args, "--out", str(folder / "unused"), cwd=folder)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "error" in lines[0]


def test_a_checkpoint_of_the_wrong_kind_is_named_with_what_to_do(folder, library_composer, library_painter):
    result = artlab("paint", "--checkpoint", str(library_composer), cwd=folder)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "a composer checkpoint" in result.stderr and "artlab compose" in result.stderr
    assert main(["compose", "--checkpoint", str(library_painter), "--out", str(folder / "x")]) == 2


@pytest.mark.parametrize("args, named", [
    (["compose", "--top-k", "0"], "top-k"),
    (["compose", "--bars", "0"], "bars"),
    (["compose", "-n", "0"], "n"),
    (["compose", "--motif", "missing_tune.mid"], "missing_tune.mid"),
    (["compose", "--motif", "4/4 r1"], "tinyNotation"),
    (["compose", "--steps", "0"], "steps"),
    (["paint", "--steps", "-5"], "steps"),
    (["compose", "--collection", "no_such_collection"], "no_such_collection"),
    (["compose", "--minutes", "-1"], "minutes"),
    (["paint", "-n", "0"], "-n"),
    (["paint", "--digit", "-1"], "--digit"),
    (["paint", "--digit", "12"], "--digit"),
    (["compose", "--model", "diffusion"], "model"),
    (["paint", "--threads", "0"], "threads"),
    (["paint", "--clusters", "1"], "clusters"),
    (["paint", "--clusters", "3", "--digit", "2"], "clusters"),
    (["paint", "--model", "diffusion", "--sample-steps", "0"], "--sample-steps"),
    (["paint", "--model", "diffusion", "--sampler", "euler"], "--sampler"),
    (["paint", "--model", "diffusion", "--sampler", "ddpm", "--sample-steps", "10"], "--sample-steps"),
    (["paint", "--model", "diffusion", "--guidance", "2"], "--guidance"),
    (["paint", "--model", "diffusion", "--clusters", "4"], "--clusters"),
    (["paint", "--model", "dcgan", "--sampler", "ddim"], "--sampler"),
])
def test_more_bad_arguments_in_process(tmp_path, monkeypatch, capsys, args, named):
    monkeypatch.setenv("ARTLAB_FAST", "1")  # were a check missing, training would be short
    assert main([*args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0]
    assert not list(tmp_path.glob("*.pt")), "a bad argument must fail before any training"


def test_paint_trains_a_guided_diffusion_painter_and_resamples_it_from_its_checkpoint(tmp_path, monkeypatch, capsys,
                                                                                       library_painter):
    monkeypatch.setenv("ARTLAB_FAST", "1")
    monkeypatch.setenv("ARTLAB_PROGRESS", "0")
    out = tmp_path / "diffusion"
    assert main(["paint", "--model", "diffusion", "--digit", "4", "--guidance", "1.5", "--sample-steps", "3",
                 "--steps", "2", "-n", "2", "--seed", "5", "--out", str(out)]) == 0
    assert "trained diffusion painter" in capsys.readouterr().out
    painter = load_painter(out / "painter.pt")
    assert painter.num_classes == 10 and (painter.sample_steps, painter.guidance) == (3, 1.5)  # saved as defaults
    files = sorted(out.glob("painting_*.png"))
    expected = (paint(painter, 2, labels=4, seed=5) + 1) / 2 * 255  # (2, 1, 16, 16)
    for path, image in zip(files, expected):
        with Image.open(path) as picture:
            pixels = torch.tensor(np.asarray(picture.convert("L")), dtype=torch.float32)
        assert (pixels[::8, ::8] - image[0]).abs().max() <= 1.0
    # loaded again with other sampler settings: a different painting, no training
    again = tmp_path / "again"
    assert main(["paint", "--checkpoint", str(out / "painter.pt"), "--digit", "4", "--sample-steps", "2",
                 "--guidance", "0", "-n", "2", "--seed", "5", "--out", str(again)]) == 0
    assert "loaded diffusion painter" in capsys.readouterr().out
    with Image.open(again / "painting_000.png") as first, Image.open(files[0]) as before:
        assert np.asarray(first).tolist() != np.asarray(before).tolist()
    assert main(["paint", "--checkpoint", str(out / "painter.pt"), "--sample-steps", "1001", "--out",
                 str(again)]) == 2
    assert "--sample-steps" in capsys.readouterr().err
    assert main(["paint", "--checkpoint", str(library_painter), "--guidance", "1", "--out", str(again)]) == 2
    assert "a diffusion painter" in capsys.readouterr().err


def test_bad_checkpoint_and_out_paths(folder, capsys, monkeypatch, library_painter):
    monkeypatch.setenv("ARTLAB_FAST", "1")
    (folder / "a_file").write_text("not a folder")
    assert main(["paint", "--out", str(folder / "a_file")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["paint", "--checkpoint", str(folder), "--out", str(folder / "unused")]) == 2
    assert "a folder" in capsys.readouterr().err
    damaged = folder / "damaged.pt"
    damaged.write_bytes(b"not a checkpoint")
    assert main(["compose", "--checkpoint", str(damaged), "--out", str(folder / "unused")]) == 2
    assert "damaged.pt" in capsys.readouterr().err
    assert main(["paint", "--checkpoint", str(library_painter), "--digit", "3", "--out", str(folder / "u")]) == 2
    assert "unconditional" in capsys.readouterr().err


def test_help_on_every_subcommand_shows_its_options_and_examples(folder, capsys):
    top = artlab("--help", cwd=folder)
    assert top.returncode == 0 and all(name in top.stdout for name in ("paint", "compose", "doctor"))
    expected = {"paint": ["--data", "--checkpoint", "--steps", "--conditional", "--digit", "--grid", "--sampler",
                          "--sample-steps", "--guidance", "examples:"],
                "compose": ["--collection", "--temperature", "--top-p", "--top-k", "--motif", "--bars", "--minutes",
                            "examples:"],
                "doctor": ["doctor"]}
    for command, words in expected.items():
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        assert all(word in text for word in words), command


def test_lengths_are_named_in_the_meter_s_beat_unit():
    from artlab.cli import _note_value

    assert _note_value(Fraction(1, 2), "6/8") == "one eighth"
    assert _note_value(3, "3/4") == "three quarters"
    assert _note_value(2, "4/2") == "one half" and _note_value(4, "4/2") == "two halves"
    assert _note_value(Fraction(1, 3), "4/4") == "0.333333 quarter notes"
