"""The package description, the lock and environment.yml agree."""
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import yaml

from conftest import ROOT

CONDA_NAMES = {"pytorch": "torch"}


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def declared() -> set[str]:
    project = pyproject()["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["course"]
    return {requirement_name(s) for s in specs if "python_version" not in s}


def test_environment_yml_names_the_same_packages_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            names |= {requirement_name(s) for s in entry["pip"] if not s.startswith("-")}
        else:
            names.add(CONDA_NAMES.get(requirement_name(entry), requirement_name(entry)))
    assert names - {"python", "pip"} == declared()
    assert "conda-forge" in env["channels"]


def test_the_lock_pins_every_declared_package_and_the_course_torch():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    assert declared() <= set(pins), f"not pinned: {declared() - set(pins)}"


def test_python_and_entry_point():
    project = pyproject()["project"]
    assert project["requires-python"] == ">=3.10"
    assert project["scripts"]["artlab"] == "artlab.cli:main"
