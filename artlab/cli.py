"""The ``artlab`` command line (installed with the package).

    artlab doctor          what is installed and working
    artlab --version

Each subcommand is a small function taking the parsed arguments; an
:class:`~artlab.errors.ArtlabError` becomes a one-line message and exit status 2,
never a traceback. Lesson 09 uses the command line for the whole workflow.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from artlab import __version__
from artlab.errors import ArtlabError

__all__ = ["main", "build_parser"]


def _doctor(args: argparse.Namespace) -> int:
    from artlab.doctor import doctor

    report = doctor()
    print(report)
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="artlab",
        description="artlab: AI for art, on a laptop CPU, offline.",
    )
    parser.add_argument("--version", action="version", version=f"artlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    doctor = commands.add_parser("doctor", help="report what is installed and working",
                                 description="Report versions, device, fast mode, widgets and offline data.")
    doctor.set_defaults(run=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except ArtlabError as error:
        print(f"artlab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"artlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
