"""``doctor()``: what is installed and working, in words a learner can act on.

Run it first when something looks wrong (``artlab doctor`` in a terminal, or
``artlab.doctor()`` in a notebook). Each line says what was found; a line marked
``!!`` is a problem and says what to do. Lesson 00 runs it.
"""
from __future__ import annotations

import importlib
from importlib import metadata
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["doctor", "Report", "Finding"]

# (import name, distribution name, what it is for)
PACKAGES = [
    ("torch", "torch", "neural networks"),
    ("torchvision", "torchvision", "image grids and transforms"),
    ("numpy", "numpy", "arrays"),
    ("music21", "music21", "scores and the music corpus"),
    ("matplotlib", "matplotlib", "plots"),
    ("sklearn", "scikit-learn", "the bundled digits images"),
    ("verovio", "verovio", "music notation as SVG"),
    ("ipywidgets", "ipywidgets", "sliders and buttons"),
    ("tqdm", "tqdm", "progress bars"),
]


@dataclass
class Finding:
    """One line of the report."""

    section: str
    name: str
    value: str
    ok: bool = True
    hint: str = ""


@dataclass
class Report:
    """All findings; ``str(report)`` is the readable report, ``report.ok`` the verdict."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def add(self, section: str, name: str, value: str, ok: bool = True, hint: str = "") -> None:
        self.findings.append(Finding(section, name, value, ok, hint))

    def __str__(self) -> str:
        lines = ["artlab doctor"]
        width = max(len(f.name) for f in self.findings) if self.findings else 0
        section = None
        for f in self.findings:
            if f.section != section:
                section = f.section
                lines.append(f"\n{section}")
            mark = "  " if f.ok else "!!"
            lines.append(f"{mark} {f.name:<{width}}  {f.value}")
            if f.hint:
                lines.append(f"   {'':<{width}}  -> {f.hint}")
        verdict = "everything the course needs is here." if self.ok else (
            f"{len(self.problems)} problem(s), marked !! above.")
        lines.append(f"\nVerdict: {verdict}")
        return "\n".join(lines)

    __repr__ = __str__


def doctor() -> Report:
    """Check the environment and return a :class:`Report` (print it to read it)."""
    report = Report()
    _python(report)
    versions = _packages(report)
    _compute(report, versions)
    _widgets(report)
    _data(report, versions)
    return report


def _python(report: Report) -> None:
    from artlab import __version__

    version = sys.version.split()[0]
    report.add("Python", "python", f"{version} at {sys.executable}", sys.version_info >= (3, 10),
               "" if sys.version_info >= (3, 10) else "artlab needs Python 3.10 or newer.")
    in_venv = sys.prefix != sys.base_prefix
    course_env = Path(sys.prefix).name == ".venv"
    report.add("Python", "environment",
               "the course's .venv" if course_env else ("a virtual environment" if in_venv else
                                                        "the system Python (no virtual environment)"),
               hint="" if course_env else "`make lab` uses .venv; pick its kernel if this is not intended.")
    report.add("Python", "artlab", __version__)


def _packages(report: Report) -> dict[str, str]:
    versions: dict[str, str] = {}
    for name, distribution, purpose in PACKAGES:
        try:
            importlib.import_module(name)
        except Exception as error:  # a broken install raises more than ImportError
            report.add("Packages", name, f"cannot import ({type(error).__name__}: {str(error)[:80]})",
                       ok=False, hint=f"needed for {purpose}; run `make lab` to reinstall the environment.")
            continue
        try:
            versions[name] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown version"
        report.add("Packages", name, versions[name])
    return versions


def _compute(report: Report, versions: dict[str, str]) -> None:
    from artlab.errors import ArtlabError
    from artlab.runtime import is_fast

    if "torch" in versions:
        import torch

        from artlab.runtime import device

        try:
            chosen = device()
        except ArtlabError as error:
            report.add("Compute", "device", "cannot choose", ok=False, hint=str(error))
        else:
            detail = ""
            if chosen.type == "cuda":
                detail = f" ({torch.cuda.get_device_name(chosen)})"
            elif chosen.type == "cpu":
                detail = " (no GPU found; every lesson is sized for a laptop CPU)"
            report.add("Compute", "device", f"{chosen}{detail}")
        report.add("Compute", "CPU threads", str(torch.get_num_threads()))
        _distributed(report)
    try:
        fast = is_fast()
    except ArtlabError as error:
        report.add("Compute", "fast mode", "unreadable", ok=False, hint=str(error))
    else:
        report.add("Compute", "fast mode",
                   "ON (ARTLAB_FAST): tiny budgets, for testing" if fast else
                   "off: full budgets, the results the lessons describe")


def _distributed(report: Report) -> None:
    """The process-group back-ends torchrun can use (appendix 11)."""
    from artlab.distributed import backends

    found = backends()
    have = [name for name, ok in found.items() if ok]
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    notes = {"gloo": "CPU", "nccl": f"NVIDIA GPUs: {gpus} here", "mpi": "MPI"}
    value = ", ".join(f"{name} ({notes[name]})" for name in have) if have else "none"
    report.add("Compute", "distributed", f"{value}; `torchrun --nproc_per_node=N -m artlab paint` trains on N "
               "processes" if have else "none: training runs in one process", bool(found.get("gloo")),
               "" if found.get("gloo") else "appendix 11 needs gloo, which this PyTorch lacks; make lab reinstalls it.")


def _widgets(report: Report) -> None:
    try:
        import ipywidgets
        import jupyterlab_widgets
    except ImportError as error:
        report.add("Notebook", "widgets", f"missing ({error.name})", ok=False,
                   hint="run `make lab`: it installs ipywidgets and its JupyterLab extension.")
        return
    major = int(ipywidgets.__version__.split(".")[0])
    ok = major >= 8
    report.add("Notebook", "widgets",
               f"ipywidgets {ipywidgets.__version__} with its JupyterLab extension "
               f"{jupyterlab_widgets.__version__}: sliders render in JupyterLab started from this "
               "environment", ok,
               "" if ok else "ipywidgets 8 or newer is needed; run `make lab`.")
    shell = _ipython_shell()
    report.add("Notebook", "running in", shell)


def _ipython_shell() -> str:
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None) if ipython else None
    shell = get() if get else None
    if shell is None:
        return "a plain Python process (widgets and audio need a notebook)"
    if type(shell).__name__ == "ZMQInteractiveShell":
        return "a Jupyter kernel"
    return f"IPython ({type(shell).__name__})"


def _data(report: Report, versions: dict[str, str]) -> None:
    if "music21" in versions:
        from music21 import corpus

        bach = len(corpus.getComposer("bach"))
        essen = len(corpus.getComposer("essenFolksong"))
        report.add("Offline data", "music21 corpus",
                   f"{bach} Bach files, {essen} Essen folk-song files", bach > 0 and essen > 0,
                   "" if bach and essen else "the music21 corpus is missing; reinstall music21 (make lab).")
    if "sklearn" in versions:
        try:
            from sklearn.datasets import load_digits

            images = load_digits().images
        except Exception as error:
            report.add("Offline data", "digits", f"cannot load ({error})", ok=False,
                       hint="reinstall scikit-learn (make lab); the digits ship inside it.")
        else:
            report.add("Offline data", "digits", f"{len(images)} images of {images.shape[1]}x{images.shape[2]} pixels")
    from artlab.runtime import output_dir

    where = output_dir(create=False)
    report.add("Files", "outputs go to", str(where) + ("" if "ARTLAB_OUTPUT" not in os.environ else " (ARTLAB_OUTPUT)"))
