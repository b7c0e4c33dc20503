"""What every benchmark shares: printing its results and writing them into ``docs/benchmarks.md``.

A benchmark builds a :class:`Report`: :meth:`Report.text` and :meth:`Report.table` print Markdown and
keep it, :meth:`Report.goal` prints a ``[met]`` / ``[NOT met]`` line and keeps it, and
:meth:`Report.write` puts the section into ``docs/benchmarks.md`` between the markers
``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` (replacing what an earlier run wrote there, or
appending the section), with the date, the machine and the command. Text outside the markers is
written by hand and left alone. ``make bench`` runs every benchmark, so it rewrites every section.
"""
from __future__ import annotations

import datetime
import os
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"

__all__ = ["Report", "DOCS", "machine"]


def machine() -> str:
    """One line saying where the figures come from: CPU, cores, load, Python, torch, threads."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{cpu}, {os.cpu_count()} cores{load}; {platform.system()} {platform.release()}; Python "
            f"{platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} torch thread(s)")


class Report:
    """The results of one benchmark, printed as they come and written to ``docs/benchmarks.md``."""

    def __init__(self, name: str, title: str, *, write: bool = True) -> None:
        self.name, self.title, self.write_docs = name, title, write
        self.parts: list[str] = []
        self.goals: list[tuple[bool, str]] = []
        self.started = datetime.datetime.now()
        self.machine_at_start = machine()
        self.command = "python " + " ".join([str(Path(sys.argv[0]).relative_to(ROOT)) if Path(sys.argv[0]).is_absolute()
                                             and ROOT in Path(sys.argv[0]).parents else sys.argv[0], *sys.argv[1:]])

    def text(self, markdown: str) -> None:
        print(markdown, flush=True)
        self.parts.append(markdown)

    def table(self, rows: list[dict], title: str | None = None) -> None:
        """A Markdown table of ``rows`` (dicts with the same keys); floats with 3 decimals."""
        keys = list(rows[0])
        lines = ([f"**{title}**", ""] if title else []) + ["| " + " | ".join(map(str, keys)) + " |",
                                                          "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_cell(row[k]) for k in keys) + " |" for row in rows]
        self.text("\n".join(lines))

    def goal(self, met: bool, text: str) -> bool:
        line = f"[{'met' if met else 'NOT met'}] {text}"
        print(f"  {line}", flush=True)
        self.goals.append((met, text))
        return met

    def markdown(self) -> str:
        minutes = (datetime.datetime.now() - self.started).total_seconds() / 60
        head = [f"## {self.title}", "",
                f"Written by `{self.command}` on {self.started:%Y-%m-%d %H:%M} ({minutes:.0f} min).  ",
                f"Machine: {self.machine_at_start}.", ""]
        body = "\n\n".join(self.parts)
        goals = ["", "**Goals**", "", *(f"- `[{'met' if met else 'NOT met'}]` {text}" for met, text in self.goals)] \
            if self.goals else []
        return "\n".join(head) + body + "\n" + "\n".join(goals) + "\n"

    def write(self, path: Path = DOCS) -> Path | None:
        """Put this report's section into ``path`` (nothing when the report was made with ``write=False``)."""
        if not self.write_docs:
            print(f"(not written to {path.relative_to(ROOT)}: a smoke run)")
            return None
        start, end = f"<!-- bench:{self.name} -->", f"<!-- /bench:{self.name} -->"
        block = f"{start}\n{self.markdown()}{end}"
        old = path.read_text() if path.exists() else "# Benchmarks\n"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
        new = pattern.sub(lambda _: block, old) if pattern.search(old) else old.rstrip() + "\n\n" + block + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(new)
        os.replace(tmp, path)
        print(f"wrote the section {self.name!r} of {path.relative_to(ROOT)}")
        return path


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|")
