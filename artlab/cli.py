"""The ``artlab`` command line (installed with the package). Lesson 09.

    artlab paint     train or load a painter (a GAN, a diffusion model); write a PNG grid or single paintings
    artlab compose   train or load a composer; write MIDI, WAV and SVG notation per piece
    artlab doctor    what is installed and working
    artlab --version

``artlab COMMAND --help`` shows every option with examples. The work itself is done by
:mod:`artlab.workflow`, the same functions the notebooks call, so checkpoints written by a
notebook load here and the other way round. Each subcommand is a small function taking
the parsed arguments; an :class:`~artlab.errors.ArtlabError` (or a bad option, or a file
that cannot be read or written) becomes a one-line message and exit status 2, never a
traceback; anything else is a bug in artlab, reported in one line with exit status 1
(``ARTLAB_DEBUG=1`` shows its traceback). An :class:`~artlab.errors.ArtlabWarning` (the files
``--skip-bad`` left out, one line each) is printed as a note as it happens. ``ARTLAB_FAST=1``
shrinks the training budgets, as in the notebooks.

``torchrun --nproc_per_node=N -m artlab paint ...`` (or ``compose``) trains on N processes
(:mod:`artlab.distributed`, appendix 11): the same run with the global batch split between
them; rank 0 prints, paints and writes the files, the others only train.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from artlab import __version__
from artlab.errors import ArgumentError, ArtlabError, ArtlabWarning

__all__ = ["main", "build_parser"]

PAINT_EXAMPLES = """\
examples:
  artlab paint --data digits --grid                      train a painter on digits (1,500 steps), paint a grid
  artlab paint --data mondrian -n 8 --out my_mondrians   paintings in the style of Mondrian, one PNG each
  artlab paint --data digits --conditional --digit 7 --grid
                                                         a conditional painter, asked for sevens
  artlab paint --data ~/my_art --size 32 --steps 3000    your own folder of PNG/JPEG pictures
  artlab paint --data ~/my_art --clusters 10             the same, self-conditioned on 10 k-means clusters
  artlab paint --data ~/my_art --skip-bad                leave out the files that are not readable pictures
  artlab paint --checkpoint outputs/painters/dcgan_digits.pt --grid -n 64
                                                         paint with lesson 03's painter (no training)
  artlab paint --model diffusion --digit 7 --guidance 2 --grid
                                                         lesson 10's diffusion painter, guided towards sevens
  artlab paint --checkpoint outputs/paintings/painter.pt --sampler ddim --sample-steps 10
                                                         the same painter, sampled in 10 DDIM steps

A checkpoint that exists is loaded (add --retrain to train it again); otherwise the painter
is trained and saved there. The same --seed paints the same pictures.
"""

COMPOSE_EXAMPLES = """\
examples:
  artlab compose                                         train on the Essen folk songs (3 minutes), write 4 pieces
  artlab compose --checkpoint outputs/checkpoints/folk_lstm.pt -n 8 --temperature 0.9
                                                         compose with lesson 07's composer (no training)
  artlab compose --checkpoint outputs/composer.pt --motif "4/4 e4 d c d e e e2" --bars 8
                                                         continue your motif (tinyNotation, any key)
  artlab compose --checkpoint outputs/composer.pt --motif my_tune.mid --top-p 0.9
                                                         continue the melody of a MIDI file
  artlab compose --collection chorales --minutes 2       train on Bach's chorale melodies for 2 minutes
  artlab compose --collection ~/my_tunes --steps 500     train on your own MIDI/MusicXML/ABC files
  artlab compose --collection ~/my_tunes --skip-bad      the same, leaving out the files that cannot be read

Each piece is written as piece_01.mid (open it in any music program), piece_01.wav (listen)
and piece_01.svg (notation). A checkpoint that exists is loaded, whatever composer it holds
(an LSTM, a transformer); add --retrain to train it again.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr and exit status 2 (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _out(folder: str) -> Path:
    from artlab.errors import ArgumentError

    path = Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        raise ArgumentError(f"--out {folder}", expected="a folder (it is created if missing)", got="<a file>")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ArgumentError(f"--out {folder}", expected="a folder artlab may create and write in",
                            got=f"<{error.strerror or error}>", hint="Pick a folder of your own, e.g. --out my_art.") from None
    return path


def _world_note(here) -> str:
    """Words for the run: " on 2 processes (gloo)" under torchrun, nothing in one process."""
    return f" on {here.size} processes ({here.backend})" if here.size > 1 else ""


def _paint(args: argparse.Namespace) -> int:
    from artlab import distributed
    from artlab.errors import whole_number
    from artlab.painters import painting_labels
    from artlab.registry import PAINTERS
    from artlab.workflow import check_budget, get_painter, write_paintings

    check_budget(args.steps)
    whole_number(args.n, "-n", unit="paintings")
    if args.digit is not None:
        whole_number(args.digit, "--digit", low=0)
    sampling = _sampling(args)
    training = args.checkpoint is None or args.retrain or not Path(args.checkpoint).expanduser().exists()
    if args.checkpoint is None or args.retrain:
        PAINTERS[args.model]  # an unknown --model fails at once
    if sampling and training and args.model != "diffusion":
        raise ArgumentError(_sampling_flags(sampling), expected="--model diffusion (only a diffusion painter has a "
                            "sampler)", got=f"--model {args.model}")
    if "guidance" in sampling and training and not (args.conditional or args.digit is not None):
        raise ArgumentError("--guidance", expected="--conditional or --digit as well (guidance needs labels)",
                            got=sampling["guidance"], hint="Guidance mixes the painter's conditional and "
                            "unconditional predictions; an unconditional painter has only one.")
    here = distributed.init()  # under torchrun: join the other processes; else nothing happens
    out = _out(args.out)
    checkpoint = Path(args.checkpoint).expanduser() if args.checkpoint else out / "painter.pt"
    run = get_painter(checkpoint, data=args.data, model=args.model, steps=args.steps, seed=args.seed,
                      conditional=args.conditional or args.digit is not None, size=args.size, retrain=args.retrain,
                      threads=args.threads, digit=args.digit, clusters=args.clusters, skip_bad=args.skip_bad,
                      options=sampling or None)
    if sampling:
        run.generator = _with_sampler(run.generator, sampling, run.model)
    painting_labels(run.generator, 1, args.digit)  # a wrong --digit fails before painting
    if not here.is_main:
        return 0
    how = "trained" if run.trained else "loaded"
    print(f"{how} {run.model} painter {run.checkpoint} ({run.data}, {run.step} steps, {run.seconds:.0f} s of "
          f"training{_world_note(here) if run.trained else ''})")
    files = write_paintings(run.generator, out, args.n, digit=args.digit, seed=args.seed, grid=args.grid)
    what = "a grid of " if args.grid else ""
    print(f"painted {what}{args.n} paintings: " + (str(files[0]) if len(files) == 1 else f"{files[0]} ... {files[-1]}"))
    return 0


def _sampling(args: argparse.Namespace) -> dict:
    """The sampler options given (a diffusion painter's), checked; empty when none were."""
    from artlab.diffusion.painter import SAMPLERS
    from artlab.errors import one_of, real_number, whole_number

    options = {"sampler": args.sampler, "sample_steps": args.sample_steps, "guidance": args.guidance}
    options = {k: v for k, v in options.items() if v is not None}
    if "sampler" in options:
        one_of(options["sampler"], "--sampler", SAMPLERS)
    if "sample_steps" in options:
        whole_number(options["sample_steps"], "--sample-steps", unit="steps", hint="DDIM's network calls, "
                     "such as 50 (at most the T = 1000 steps the painter was trained on).")
        if options.get("sampler") == "ddpm":
            raise ArgumentError("--sample-steps", expected="--sampler ddim (DDPM always takes all T steps)",
                                got=options["sample_steps"])
    if "guidance" in options:
        real_number(options["guidance"], "--guidance", hint="0: none; 1 to 3 paints the digit more clearly.")
    return options


def _sampling_flags(options: dict) -> str:
    return "/".join("--" + k.replace("_", "-") for k in options)


def _with_sampler(painter, options: dict, model: str):
    """The painter with the sampler options, or a clear error when it has no sampler."""
    if not hasattr(painter, "with_sampler"):
        raise ArgumentError(_sampling_flags(options), expected="a diffusion painter (only it has a sampler)",
                            got=f"<a {model} painter>", hint="Leave these options out for a GAN.")
    if options.get("guidance", 0) and not painter.num_classes:
        raise ArgumentError("--guidance", expected="no --guidance: this painter is unconditional",
                            got=options["guidance"], hint="Train one with --conditional to guide it.")
    if options.get("sample_steps", 1) > painter.config.T:
        raise ArgumentError("--sample-steps", expected=f"from 1 to the painter's T = {painter.config.T}",
                            got=options["sample_steps"])
    return painter.with_sampler(**options)


def _compose(args: argparse.Namespace) -> int:
    from artlab import distributed
    from artlab.music.files import as_melody
    from artlab.music.metrics import in_key_share
    from artlab.registry import COMPOSERS
    from artlab.runtime import progress
    from artlab.workflow import check_budget, check_sampling, compose_pieces, get_composer, write_pieces

    from artlab.errors import real_number

    check_sampling(args.temperature, args.top_p, args.top_k, args.bars, args.n)
    check_budget(args.steps, args.minutes)
    real_number(args.tempo, "--tempo", low=0.0, low_open=True, hint="Quarter notes per minute, such as 100.")
    motif = as_melody(args.motif) if args.motif else None  # a bad motif fails before any training
    if args.checkpoint is None or args.retrain:
        COMPOSERS[args.model]  # an unknown --model fails at once
    here = distributed.init()  # under torchrun: join the other processes; else nothing happens
    out = _out(args.out)
    checkpoint = Path(args.checkpoint).expanduser() if args.checkpoint else out / "composer.pt"
    run = get_composer(checkpoint, collection=args.collection, model=args.model, steps=args.steps,
                       minutes=args.minutes, seed=args.seed, retrain=args.retrain, skip_bad=args.skip_bad)
    if not here.is_main:
        return 0
    if run.trained:
        print(f"trained {run.name} composer {run.checkpoint} on {args.collection}{_world_note(here)}: best step "
              f"{run.step}, {run.seconds:.0f} s, validation {run.valid_nll:.3f} nats per token")
    else:
        print(f"loaded {run.name} composer {run.checkpoint} (best step {run.step})")
    melodies = compose_pieces(run.model, run.vocab, args.n, bars=args.bars, temperature=args.temperature,
                              top_p=args.top_p, top_k=args.top_k, motif=motif, seed=args.seed)
    files = write_pieces(progress(melodies, desc="writing pieces"), out, tempo=args.tempo)
    for melody, paths in zip(melodies, files):
        print(f"{paths['midi'].stem}: {_length(melody)} in {melody.key}, "
              f"{len(melody)} events, {in_key_share(melody):.0%} in key -> {paths['midi'].name}, "
              f"{paths['wav'].name}, {paths['svg'].name}")
    print(f"wrote {len(files)} pieces to {out}")
    return 0


def _length(melody) -> str:
    """A melody's length in musical terms: "16 bars of 6/8 after an upbeat of two eighths"."""
    from artlab.music.melody import bar_length

    bar = bar_length(melody.meter)
    after = melody.duration - melody.upbeat
    whole, rest = divmod(after, bar)
    text = f"{int(whole)} bar{'s' if whole != 1 else ''} of {melody.meter}"
    if rest:
        text += f" and {_note_value(rest, melody.meter)}"
    if melody.upbeat:
        text += f" after an upbeat of {_note_value(melody.upbeat, melody.meter)}"
    return text


def _note_value(length, meter: str) -> str:
    """A length in quarter notes as counted in ``meter``'s beat unit: "two eighths", "one quarter"."""
    from fractions import Fraction

    unit = Fraction(4, int(meter.split("/")[1]))      # quarter notes per beat unit: 1/2 for /8, 1 for /4
    names = {Fraction(1, 2): "eighth", Fraction(1): "quarter", Fraction(2): "half", Fraction(1, 4): "sixteenth"}
    count = Fraction(length) / unit
    name = names.get(unit, f"{unit}-quarter note")
    if count.denominator == 1:
        words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
        n = int(count)
        plural = "halves" if name == "half" else f"{name}s"
        return f"{words.get(n, n)} {name if n == 1 else plural}"
    return f"{float(Fraction(length)):g} quarter notes"


def _doctor(args: argparse.Namespace) -> int:
    from artlab.doctor import doctor

    report = doctor()
    print(report)
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="artlab",
        description="artlab: AI for art, on a laptop CPU, offline. Paint with GANs, compose with sequence models.",
        epilog="Run 'artlab COMMAND --help' for a command's options and examples. "
               "ARTLAB_FAST=1 trains with tiny budgets (seconds); ARTLAB_PROGRESS=0 hides progress bars.",
    )
    parser.add_argument("--version", action="version", version=f"artlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    raw = argparse.RawDescriptionHelpFormatter

    from artlab.registry import COMPOSERS, PAINTERS

    paint = commands.add_parser(
        "paint", help="train or load a painter and paint PNGs", formatter_class=raw, epilog=PAINT_EXAMPLES,
        description="Train a painter (a DCGAN of lessons 03-04, or another family) or load one from a checkpoint, "
                    "and paint pictures as PNG files: one grid, or one file per painting.")
    paint.add_argument("--data", default="digits", metavar="DATA",
                       help="digits, mondrian, or a folder of PNG/JPEG pictures (default: digits)")
    paint.add_argument("--skip-bad", action="store_true", help="with a folder: leave out files that are not "
                       "readable pictures (one line each says why) instead of stopping at the first")
    paint.add_argument("--model", default="dcgan", metavar="NAME",
                       help=f"the painter to train: {PAINTERS.help()} (default: dcgan)")
    paint.add_argument("--size", type=int, default=None, help="picture side for a folder: 16 or 32 (default 32)")
    paint.add_argument("--checkpoint", default=None, metavar="FILE",
                       help="load this painter if the file exists, else train one and save it here "
                            "(default: OUT/painter.pt)")
    paint.add_argument("--retrain", action="store_true", help="train even if the checkpoint exists (overwrites it)")
    paint.add_argument("--steps", type=int, default=None,
                       help="training steps (default 1,500, diffusion 3,200; 20 with ARTLAB_FAST=1)")
    paint.add_argument("--seed", type=int, default=0, help="seed for training and for the painting noise (default 0)")
    paint.add_argument("--threads", type=int, default=1, help="CPU threads while training (default 1: robust on a "
                       "busy laptop; 2 can be faster on an idle one)")
    paint.add_argument("--conditional", action="store_true",
                       help="train a conditional GAN on the data's labels (digits: paint the digit you ask for)")
    paint.add_argument("--clusters", type=int, default=0, metavar="K",
                       help="train a self-conditioned GAN on K k-means clusters of the pictures (no labels needed; "
                            "lesson 04: fewer half-way shapes); default 0: plain DCGAN")
    paint.add_argument("--digit", type=int, default=None,
                       help="the label to paint (a conditional painter; implies --conditional when training)")
    paint.add_argument("--sampler", default=None, metavar="NAME", help="a diffusion painter's sampler: ddim "
                       "(fast, deterministic) or ddpm (all 1,000 steps) (default: the painter's own, ddim)")
    paint.add_argument("--sample-steps", type=int, default=None, metavar="N",
                       help="DDIM's steps for a diffusion painter: fewer is faster, more is cleaner (default 50)")
    paint.add_argument("--guidance", type=float, default=None, metavar="W",
                       help="classifier-free guidance for a conditional diffusion painter (default: the painter's own, "
                            "0.5 for lesson 10's recipe; 0 none, 1-3 paints the digit asked for more boldly)")
    paint.add_argument("-n", type=int, default=16, help="number of paintings (default 16)")
    paint.add_argument("--grid", action="store_true", help="write one grid, OUT/paintings.png, instead of one PNG each")
    paint.add_argument("--out", default="outputs/paintings", metavar="DIR", help="folder to write to "
                       "(default: outputs/paintings)")
    paint.set_defaults(run=_paint)

    compose = commands.add_parser(
        "compose", help="train or load a composer and write MIDI, WAV and SVG pieces", formatter_class=raw,
        epilog=COMPOSE_EXAMPLES,
        description="Train a composer (lesson 07's LSTM, or lesson 08's transformer) or load one from a "
                    "checkpoint, and compose N pieces: MIDI, WAV audio and SVG notation for each.")
    compose.add_argument("--checkpoint", default=None, metavar="FILE",
                         help="load this composer if the file exists, else train one and save it here "
                              "(default: OUT/composer.pt)")
    compose.add_argument("--retrain", action="store_true", help="train even if the checkpoint exists (overwrites it)")
    compose.add_argument("--collection", default="essen", metavar="NAME",
                         help="what to learn from: essen, chorales, ryans, oneills (join with +, e.g. ryans+oneills), "
                              "or a folder of MIDI/MusicXML/ABC files (default: essen)")
    compose.add_argument("--skip-bad", action="store_true", help="with a folder: leave out files and tunes that "
                         "cannot be read (one line each says why) instead of stopping at the first")
    compose.add_argument("--model", default="lstm", metavar="NAME",
                         help=f"the composer to train: {COMPOSERS.help()} (default: lstm)")
    compose.add_argument("--steps", type=int, default=None, help="training steps at most (default 1,500; 40 with "
                         "ARTLAB_FAST=1)")
    compose.add_argument("--minutes", type=float, default=None, help="training time at most (default 3)")
    compose.add_argument("-n", type=int, default=4, help="number of pieces (default 4)")
    compose.add_argument("--seed", type=int, default=0, help="seed for training and sampling (default 0)")
    compose.add_argument("--temperature", type=float, default=1.0,
                         help="> 0: below 1 safer and more repetitive, above 1 bolder (default 1.0)")
    compose.add_argument("--top-p", type=float, default=None, help="nucleus sampling, a probability in (0, 1]")
    compose.add_argument("--top-k", type=int, default=None, help="sample among the k most likely tokens only")
    compose.add_argument("--motif", default=None, help="a start to continue: tinyNotation such as "
                         "\"4/4 e4 d c d e e e2\", or a MIDI/MusicXML/ABC file")
    compose.add_argument("--bars", type=int, default=16, help="length of each piece in bars (default 16)")
    compose.add_argument("--tempo", type=float, default=100, help="quarter notes per minute in MIDI and WAV "
                         "(default 100)")
    compose.add_argument("--out", default="outputs/music", metavar="DIR", help="folder to write to "
                         "(default: outputs/music)")
    compose.set_defaults(run=_compose)

    doctor = commands.add_parser("doctor", help="report what is installed and working",
                                 description="Report versions, device, fast mode, widgets and offline data.")
    doctor.set_defaults(run=_doctor)
    return parser


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    prefix = f"artlab {args.command}"
    show = warnings.showwarning

    def note(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, ArtlabWarning):
            return show(message, category, filename, lineno, file, line)
        first, *rest = str(message).splitlines()
        print(f"{prefix}: note: {first}", *rest, sep="\n", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", ArtlabWarning)
        warnings.showwarning = note
        try:
            return run(args)
        except ArtlabError as error:
            print(f"{prefix}: error: {_one_line(error)}", file=sys.stderr)
            return 2
        except OSError as error:  # a file the system would not let us read or write (permissions, a full disk)
            where = f" {error.filename}" if error.filename else ""
            print(f"{prefix}: error: could not read or write{where}: {error.strerror or _one_line(error)}",
                  file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{prefix}: interrupted", file=sys.stderr)
            return 130
        except Exception as error:
            if os.environ.get("ARTLAB_DEBUG") == "1":
                raise
            print(f"{prefix}: internal error: {type(error).__name__}: {_one_line(error)[:300]} (a bug in artlab, "
                  "not in your input: please report it; ARTLAB_DEBUG=1 shows the traceback)", file=sys.stderr)
            return 1
        finally:
            from artlab.distributed import cleanup

            cleanup()  # leave the process group of a torchrun run (nothing otherwise)


if __name__ == "__main__":
    raise SystemExit(main())
