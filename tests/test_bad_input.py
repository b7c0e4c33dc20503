"""The bad-input corpus: broken files and wrong arguments of the kinds people really have.

Every case in :data:`REFUSED` must end in an :class:`~artlab.errors.ArtlabError` whose message
names the problem (the words listed with the case), within a few seconds, never a raw exception,
a hang or a quietly different result; files already there stay as they were. The cases in
:data:`ACCEPTED` are documented acceptances: they load, and say what they did (an
:class:`~artlab.errors.ArtlabWarning`), or load exactly what the file holds.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import signal
import struct
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from artlab.checkpoint import load_checkpoint, save_checkpoint
from artlab.cli import main as cli
from artlab.data.images import image_folder, kmeans
from artlab.errors import ArgumentError, ArtlabError, ArtlabWarning, CheckpointError, DataError, TrainingError
from artlab.music.composers import load_composer
from artlab.music.files import load_folder, load_melodies, load_melody, melody_from_text
from artlab.painters import load_painter, paint

TUNE = "X:1\nT:Test\nM:4/4\nL:1/8\nK:G\nGABc dedB|dedB dedB|c2ec B2dB|c2A2 A4|\n"


@contextmanager
def deadline(seconds: int = 60):
    """Fail the case instead of hanging."""
    def expired(*_):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- small makers -------------------------------------------------------------------------------

def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, (value & 0x7F) | 0x80)
        value >>= 7
    return bytes(out)


def midi_bytes(events: list[tuple[int, bytes]], division: int = 480) -> bytes:
    """A format-0 standard MIDI file from (delta ticks, event bytes) pairs."""
    track = b"".join(_varlen(delta) + event for delta, event in events) + b"\x00\xff\x2f\x00"
    return (b"MThd" + struct.pack(">IHHH", 6, 0, 1, division) + b"MTrk" + struct.pack(">I", len(track)) + track)


def notes(pitches, channel: int = 0, length: int = 480, first_delta: int = 0) -> list[tuple[int, bytes]]:
    events = []
    for i, pitch in enumerate(pitches):
        events.append((first_delta if i == 0 else 0, bytes([0x90 | channel, pitch, 80])))
        events.append((length, bytes([0x80 | channel, pitch, 0])))
    return events


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def png(path: Path, side: int = 24, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(path)
    return path


def tiny_checkpoint(path: Path) -> Path:
    save_checkpoint(path, modules={"net": torch.nn.Linear(2, 2)}, step=1, extra={"kind": "sequence"})
    return path


class Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


# --- the refused cases: (id, action(tmp_path), words its message must contain) -------------------

def _music(tmp: Path, name: str, data) -> Path:
    return write(tmp / name, data)


REFUSED = [
    ("music: missing file", lambda t: load_melody(t / "nowhere.mid"), ["no such file"]),
    ("music: a folder as a file", lambda t: load_melody(t), ["a folder"]),
    ("music: wrong suffix", lambda t: load_melody(_music(t, "tune.txt", TUNE)), [".txt"]),
    ("music: empty MIDI", lambda t: load_melody(_music(t, "empty.mid", b"")), ["empty"]),
    ("ABC: unknown key", lambda t: load_melodies(_music(t, "k.abc", TUNE.replace("K:G", "K:Xyz"))), ["Xyz"]),
    ("ABC: unclosed chord bracket", lambda t: load_melodies(_music(t, "b.abc", TUNE.replace("GABc", "[GBd GABc"))),
     ["["]),
    ("ABC: stray character", lambda t: load_melodies(_music(t, "s.abc", TUNE.replace("dedB|d", "de*dB|d"))), ["*"]),
    ("ABC: unknown metre", lambda t: load_melodies(_music(t, "m.abc", TUNE.replace("M:4/4", "M:FREI4/4"))),
     ["FREI4/4"]),
    ("ABC: no tune at all", lambda t: load_melodies(_music(t, "n.abc", "just some words\n")), ["abc"]),
    ("MIDI: not a MIDI file", lambda t: load_melody(_music(t, "x.mid", b"RIFF0000WAVEfmt " * 4)), ["MIDI"]),
    ("MIDI: truncated", lambda t: load_melody(_music(t, "t.mid", midi_bytes(notes([60, 62, 64]))[:30])), ["truncated"]),
    ("MIDI: drums only", lambda t: load_melody(_music(t, "d.mid", midi_bytes(notes([36, 38, 42], channel=9)))),
     ["drum"]),
    ("MIDI: a first note after 300,000 beats",
     lambda t: load_melody(_music(t, "g.mid", midi_bytes(notes([60, 62], first_delta=480 * 300_000)))), ["silence"]),
    ("MIDI: no notes", lambda t: load_melody(_music(t, "e.mid", midi_bytes([]))), ["note"]),
    ("MusicXML: broken XML", lambda t: load_melody(_music(t, "x.musicxml", "<score-partwise><part>")), ["MusicXML"]),
    ("music folder: missing", lambda t: load_folder(t / "nope"), ["no such folder"]),
    ("music folder: no music files", lambda t: load_folder(_music(t, "f/readme.txt", "hi").parent), ["music files"]),
    ("music folder: one bad file (strict)",
     lambda t: (_music(t, "f/a.abc", TUNE), _music(t, "f/b.abc", TUNE.replace("K:G", "K:Q")),
                load_folder(t / "f")), ["b.abc"]),
    ("motif: junk tokens", lambda t: melody_from_text("4/4 c4 d e g2 zz!!"), ["zz!!", "token 6"]),
    ("motif: empty", lambda t: melody_from_text("   "), ["tinyNotation"]),
    ("motif: not text", lambda t: melody_from_text(123), ["tinyNotation"]),
    ("motif: unclosed triplet", lambda t: melody_from_text("4/4 trip{c8 d e"), ["trip{"]),
    ("images: missing folder", lambda t: image_folder(t / "nope"), ["no such folder"]),
    ("images: empty folder", lambda t: image_folder((t / "empty").mkdir() or t / "empty"), ["empty folder"]),
    ("images: a text file", lambda t: (png(t / "a.png"), write(t / "notes.txt", "hi"), image_folder(t)),
     ["notes.txt"]),
    ("images: a damaged PNG", lambda t: (png(t / "a.png"), write(t / "b.png", b"\x89PNG\r\n\x1a\nbroken"),
                                         image_folder(t)), ["b.png", "unreadable"]),
    ("images: a one-pixel picture", lambda t: (png(t / "a.png"), png(t / "dot.png", side=1), image_folder(t)),
     ["dot.png", "1x1"]),
    ("images: a side of 7", lambda t: (png(t / "a.png"), image_folder(t, size=7)), ["size"]),
    ("images: two channels", lambda t: (png(t / "a.png"), image_folder(t, channels=2)), ["channels"]),
    ("checkpoint: zero bytes", lambda t: load_checkpoint(write(t / "zero.pt", b"")), ["empty"]),
    ("checkpoint: a text file", lambda t: load_checkpoint(write(t / "notes.pt", "not a checkpoint")), ["checkpoint"]),
    ("checkpoint: a malicious pickle", lambda t: load_checkpoint(write(t / "evil.pt", pickle.dumps(Evil(), protocol=2))),
     ["checkpoint"]),
    ("checkpoint: a bare state_dict",
     lambda t: (torch.save(torch.nn.Linear(2, 2).state_dict(), t / "sd.pt"), load_checkpoint(t / "sd.pt")),
     ["checkpoint"]),
    ("checkpoint: a sequence model as a painter", lambda t: load_painter(tiny_checkpoint(t / "seq.pt")), ["painter"]),
    ("checkpoint: a sequence model as a composer", lambda t: load_composer(tiny_checkpoint(t / "seq.pt")),
     ["composer"]),
    ("kmeans: NaN points", lambda t: kmeans(torch.tensor([[0.0, 1.0], [float("nan"), 0.0], [1.0, 1.0]]), 2),
     ["NaN"]),
    ("kmeans: more clusters than points", lambda t: kmeans(torch.zeros(3, 2), 5), ["k"]),
    ("paint: zero paintings", lambda t: paint(torch.nn.Identity(), 0), ["paint(n)"]),
]


def _quality(images):
    from artlab.gan.quality import digit_quality

    return digit_quality(images)


def _nan_training(_):
    from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator
    from artlab.gan.train import TrainConfig, train_gan

    data = lambda batch: (torch.full((batch, 2), float("nan")), None)  # noqa: E731
    train_gan(MLPGenerator(GeneratorConfig(hidden=(8,))), MLPDiscriminator(DiscriminatorConfig(hidden=(8,))), data,
              TrainConfig(steps=5, batch_size=8))


REFUSED += [
    ("digit quality: RGB images", lambda t: _quality(torch.zeros(50, 3, 16, 16)), ["grey"]),
    ("digit quality: NaN images", lambda t: _quality(torch.full((50, 1, 16, 16), float("nan"))), ["NaN"]),
    ("training: NaN data", _nan_training, ["step"]),
]


@pytest.mark.parametrize("action, words", [pytest.param(a, w, id=i) for i, a, w in REFUSED])
def test_bad_input_is_a_clear_error(tmp_path, action, words):
    with deadline(60), warnings.catch_warnings():
        warnings.simplefilter("ignore", ArtlabWarning)
        with pytest.raises(ArtlabError) as caught:
            action(tmp_path)
    message = str(caught.value)
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in: {message}"
    assert "Traceback" not in message and len(message) < 2_000
    assert not (Path.cwd() / "pwned").exists() and not (tmp_path / "pwned").exists()


# --- the command line: exit status 2 and one line, nothing already saved lost --------------------

def _run_cli(args, capsys) -> tuple[int, str]:
    with deadline(120), warnings.catch_warnings():
        warnings.simplefilter("ignore", ArtlabWarning)
        code = cli([str(a) for a in args])
    return code, capsys.readouterr().err


CLI_CASES = [
    ("paint: a zero-byte checkpoint", lambda t: ["paint", "--checkpoint", write(t / "zero.pt", b""), "--out", t],
     ["empty"]),
    ("compose: a zero-byte checkpoint", lambda t: ["compose", "--checkpoint", write(t / "zero.pt", b""), "--out", t],
     ["empty"]),
    ("compose: a motif with junk", lambda t: ["compose", "--checkpoint", write(t / "zero.pt", b""), "--motif",
                                             "4/4 c4 d zz!!", "--out", t], ["zz!!"]),
    ("paint: no paintings", lambda t: ["paint", "-n", "0", "--out", t], ["-n"]),
    ("paint: a missing data folder", lambda t: ["paint", "--data", t / "nope", "--out", t / "o"], ["no such folder"]),
    ("paint: an unknown model", lambda t: ["paint", "--model", "vae", "--out", t], ["vae"]),
    ("compose: a negative temperature", lambda t: ["compose", "--temperature", "-1", "--out", t], ["temperature"]),
    ("compose: top-p above 1", lambda t: ["compose", "--top-p", "1.5", "--out", t], ["top"]),
    ("compose: zero bars", lambda t: ["compose", "--bars", "0", "--out", t], ["bars"]),
    ("compose: an unknown collection", lambda t: ["compose", "--collection", "nowhere_tunes", "--out", t],
     ["nowhere_tunes"]),
]


@pytest.mark.parametrize("make_args, words", [pytest.param(a, w, id=i) for i, a, w in CLI_CASES])
def test_bad_command_line_is_one_clear_line(tmp_path, capsys, make_args, words):
    keep = write(tmp_path / "keep" / "painter.pt", b"an earlier run's file")
    before = hashlib.sha256(keep.read_bytes()).hexdigest()
    code, err = _run_cli(make_args(tmp_path), capsys)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip() and "note:" not in line]
    assert len(lines) == 1 and ": error: " in lines[0] and "internal error" not in err, err
    for word in words:
        assert word.lower() in lines[0].lower(), f"{word!r} not in: {lines[0]}"
    assert hashlib.sha256(keep.read_bytes()).hexdigest() == before


def test_a_motif_given_to_the_command_line_fails_before_any_training(tmp_path, capsys):
    code, err = _run_cli(["compose", "--motif", "4/4 c4 d zz!!", "--out", tmp_path], capsys)
    assert code == 2 and "zz!!" in err
    assert not (tmp_path / "composer.pt").exists(), "the motif is checked before a composer is trained"


# --- documented acceptances -----------------------------------------------------------------------

def test_latin1_abc_loads_and_says_which_encoding(tmp_path):
    path = write(tmp_path / "old.abc", TUNE.replace("T:Test", "T:Schön Rosmarin").encode("latin-1"))
    with pytest.warns(ArtlabWarning, match="Latin-1"):
        melodies = load_melodies(path)
    assert len(melodies) == 1 and len(melodies[0].pitches) == 25


def test_declared_charset_is_honoured_without_a_warning(tmp_path):
    text = "%abc-2.1\nI:abc-charset iso-8859-1\n" + TUNE.replace("T:Test", "T:Grüß")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ArtlabWarning)
        melodies = load_melodies(write(tmp_path / "declared.abc", text.encode("latin-1")))
    assert len(melodies) == 1


def test_skip_bad_music_folder_loads_the_rest_and_names_the_file(tmp_path):
    write(tmp_path / "good.abc", TUNE)
    write(tmp_path / "bad.abc", TUNE.replace("K:G", "K:Q"))
    write(tmp_path / "drums.mid", midi_bytes(notes([36, 38], channel=9)))
    with pytest.warns(ArtlabWarning) as caught:
        melodies = load_folder(tmp_path, skip_bad=True)
    message = "\n".join(str(w.message) for w in caught)
    assert len(melodies) == 1 and "bad.abc" in message and "K:Q" in message and "drums.mid" in message
    assert message.startswith("skipped 2 of 3 files"), message


def test_skip_bad_image_folder_loads_the_rest_and_names_the_files(tmp_path):
    png(tmp_path / "a.png")
    png(tmp_path / "b.png", seed=1)
    write(tmp_path / "c.png", b"broken")
    png(tmp_path / "dot.png", side=1)
    with pytest.warns(ArtlabWarning) as caught:
        images = image_folder(tmp_path, size=16, skip_bad=True)
    message = "\n".join(str(w.message) for w in caught)
    assert images.images.shape == (2, 3, 16, 16) and "c.png" in message and "dot.png" in message


def test_a_small_picture_is_kept_with_a_note(tmp_path):
    png(tmp_path / "small.png", side=10)
    with pytest.warns(ArtlabWarning, match="enlarged"):
        images = image_folder(tmp_path, size=32)
    assert images.images.shape == (1, 3, 32, 32)


def test_a_long_silence_within_the_limit_is_kept(tmp_path):
    from artlab.music.filecheck import MAX_SILENCE

    wait = 480 * (MAX_SILENCE // 2)
    path = write(tmp_path / "rest.mid", midi_bytes(notes([60]) + [(wait, b"\x90\x40\x50"), (480, b"\x80\x40\x00")]))
    melody = load_melody(path)
    assert tuple(p for p in melody.pitches if p >= 0) == (60, 64), "both notes, and the silence between them, are kept"


def test_corpus_size():
    """The issue asks for at least 30 cases."""
    assert len(REFUSED) + len(CLI_CASES) >= 30


def test_skip_bad_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ARTLAB_FAST", "1")
    monkeypatch.setenv("ARTLAB_PROGRESS", "0")
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for seed in range(4):
        png(pictures / f"p{seed}.png", seed=seed)
    write(pictures / "broken.png", b"broken")
    args = ["paint", "--data", pictures, "--size", "16", "--steps", "2", "-n", "2", "--out", tmp_path / "p"]
    code, err = _run_cli(args, capsys)
    assert code == 2 and "broken.png" in err and not (tmp_path / "p" / "painter.pt").exists()
    code, err = _run_cli([*args, "--skip-bad"], capsys)
    assert code == 0 and "note: skipped 1 of 5 files" in err and "broken.png" in err, err
    assert (tmp_path / "p" / "painter.pt").is_file()

    tunes = tmp_path / "tunes"
    for i, tonic in enumerate("GDAEC"):
        write(tunes / f"t{i}.abc", TUNE.replace("K:G", f"K:{tonic}").replace("X:1", f"X:{i + 1}"))
    write(tunes / "typo.abc", TUNE.replace("K:G", "K:Es"))
    args = ["compose", "--collection", tunes, "--steps", "2", "-n", "1", "--bars", "2", "--out", tmp_path / "m"]
    code, err = _run_cli(args, capsys)
    assert code == 2 and "typo.abc" in err and "K:Es" in err
    code, err = _run_cli([*args, "--skip-bad"], capsys)
    assert code == 0 and "note: skipped 1 of 6" in err and "typo.abc" in err, err
