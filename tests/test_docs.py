"""The instructor's kit stays consistent: references in both formats, links that resolve, lesson cells."""
import json
import re

import pytest

from conftest import ROOT

DOCS = ROOT / "docs"
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LINK = re.compile(r"\]\(((?:\.\./docs/)?[\w.-]*\.md)?#([\w-]+)\)")


def anchors(path):
    return set(re.findall(r'<a id="([\w-]+)"></a>', path.read_text()))


def markdown_of(path):
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]


def test_references_md_and_bib_hold_the_same_keys_once():
    md = re.findall(r"\*\*\[([a-z0-9]+)\]\*\*", (DOCS / "references.md").read_text())
    bib = re.findall(r"^@\w+\{([^,\s]+),", (DOCS / "references.bib").read_text(), re.M)
    assert len(md) == len(set(md)), "a key is given in full twice in references.md"
    assert len(bib) == len(set(bib)), "a key appears twice in references.bib"
    assert set(md) == set(bib), f"only in the .md: {set(md) - set(bib)}; only in the .bib: {set(bib) - set(md)}"
    for key in md:  # every full entry can be linked to
        assert key in anchors(DOCS / "references.md"), f"references.md: no anchor for {key}"


def test_bib_entries_have_balanced_braces():
    for entry in re.split(r"\n(?=@)", (DOCS / "references.bib").read_text()):
        assert entry.count("{") == entry.count("}"), entry[:60]


@pytest.mark.parametrize("source", [DOCS / "references.md", DOCS / "instructors.md", *LESSONS],
                         ids=lambda p: p.name)
def test_links_to_the_docs_resolve(source):
    text = source.read_text() if source.suffix == ".md" else "\n".join(markdown_of(source))
    for target, anchor in LINK.findall(text):
        if not target and source.suffix == ".ipynb":
            continue  # a link inside the notebook itself
        name = target.split("/")[-1] if target else source.name
        path = DOCS / name
        assert path.is_file(), f"{source.name} links to {target}, which does not exist"
        assert anchor in anchors(path), f"{source.name} links to {name}#{anchor}, which has no such anchor"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_lesson_states_objectives_prerequisites_study_time_and_references(path):
    cells = json.loads(path.read_text())["cells"]
    about, last = "".join(cells[1]["source"]), "".join(cells[-1]["source"])
    for part in ("**Learning objectives.**", "**Prerequisites.**", "**Study time.**"):
        assert part in about, f"the second cell lacks {part}"
    assert 3 <= len(re.findall(r"^\* ", about, re.M)) <= 5, "3 to 5 learning objectives"
    assert last.startswith("## References") and f"references.md#lesson-{path.name[:2]}" in last


def test_every_lesson_has_three_to_five_discussion_questions():
    text = (DOCS / "instructors.md").read_text()
    for path in LESSONS:
        number = path.name[:2]
        section = text.split(f'<a id="questions-{number}"></a>')[1].split("<a id=")[0]
        assert 3 <= len(re.findall(r"^\d\. ", section, re.M)) <= 5, f"lesson {number}"
