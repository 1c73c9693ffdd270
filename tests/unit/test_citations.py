"""The repository stands on its own: every "§" citation in code, tests, scripts and docs names a file
under docs/ and a numbered heading of that file, every .md file named in prose exists, nothing sends a
reader to a contract kept outside the repository, and every markdown link in docs/ and README.md
reaches a file (and heading) that exists.

A citation is written `docs/reference/http.md §12` (several sections: `§3.3, §3.4`, `§6–7`) or, in
markdown, as a link whose text holds the "§" (`[http.md §12](http.md#12-error-types-and-statuses)`).
Inside a markdown file a bare `§4.2` means that file's own section 4.2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("src", "tests", "scripts", "bench", "docs", "README.md", "CHANGELOG.md")
SKIPPED_DIRS = {"node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "uprof.egg-info"}

SECTION = r"\d+(?:\.\d+)*"
# More sections after the first: ", §3.4", "–§3", "-7", " and §5".
MORE_SECTIONS = rf"(?:\s*(?:,|–|-|and|or)\s*§?\s*{SECTION}(?![\w.]))*"
CITATION = re.compile(rf"(?:(?P<file>docs/[\w./-]+\.md)`?\s?)?§\s?(?P<sections>{SECTION}{MORE_SECTIONS})")
# A file named without its place in the repository ("http.md §12"): which http.md is it?
UNPLACED_FILE = re.compile(r"(?<![\w/.-])[\w-]+\.md`?\s?§")
# A file name ending in .md, with or without folders, in prose (not a string literal, a URL or the tail of
# a longer path); it must name a file from the repository's root, the file's own folder or docs/.
MENTION = re.compile(r"(?<![\w/.:\"'-])(?P<name>(?:\.\./|[\w-]+/)*[\w-]+\.md)\b")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
ANY_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
# Built from pieces so that this file does not match itself.
OUTSIDE = re.compile("|".join(["shared" + "/spec", "beside " + "this repository", "/work/" + "shared"]), re.I)


def scanned_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(path, text) of every text file under the scanned places."""
    for name in SCANNED:
        place = root / name
        paths = [place] if place.is_file() else sorted(place.rglob("*")) if place.is_dir() else []
        for path in paths:
            if not path.is_file() or SKIPPED_DIRS.intersection(path.relative_to(root).parts):
                continue
            if path == Path(__file__).resolve():
                continue  # its examples of faults are on purpose
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # images and other binary files


def outside_fences(text: str) -> Iterator[str]:
    """The lines of a markdown text that are not inside a ``` fence."""
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def slug(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def headings(path: Path) -> tuple[set[str], set[str]]:
    """The section numbers ("4", "4.2") and the anchors of a markdown file's headings."""
    numbers: set[str] = set()
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in outside_fences(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match is None:
            continue
        title = match["title"]
        number = re.match(rf"({SECTION})\.?\s", title)
        if number:
            numbers.add(number[1])
        anchor = slug(title)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return numbers, anchors


def section_numbers(sections: str) -> list[str]:
    return re.findall(SECTION, sections)


def check_sections(root: Path, cited: Path, sections: list[str], where: str) -> list[str]:
    shown = cited.relative_to(root) if cited.is_relative_to(root) else cited
    if not cited.is_file() or not cited.is_relative_to(root / "docs"):
        return [f"{where}: cites {shown}, which is not a file under docs/"]
    numbers, _ = headings(cited)
    return [f"{where}: {shown} has no section §{s}" for s in sections if s not in numbers]


def citation_problems(root: Path) -> list[str]:
    """Every "§" citation that does not resolve, every .md file named that does not exist, and every
    reference to a contract outside `root`."""
    problems: list[str] = []
    for path, text in scanned_files(root):
        relative = path.relative_to(root)
        last_cited: tuple[int, Path] | None = None  # (line number, file) of the latest docs/ path citation
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{relative}:{number}"
            if OUTSIDE.search(line):
                problems.append(f"{where}: refers to a contract outside the repository: {line.strip()}")
            problems += mention_problems(root, path, line, where)
            if "§" not in line:
                continue
            if last_cited is not None and last_cited[0] < number - 1:
                last_cited = None
            rest, found = link_citations(root, path, line, where)
            problems += found
            if UNPLACED_FILE.search(rest):
                problems.append(f"{where}: names a file without its docs/ path: {line.strip()}")
            # In reading order: a bare "§7" means the markdown file it is in, or else the file cited
            # last before it on this line or the one before ("… http.md §3 … the workspace header (§7)").
            for citation in CITATION.finditer(rest):
                if citation["file"]:
                    last_cited = (number, root / citation["file"])
                    cited: Path | None = last_cited[1]
                else:
                    cited = bare_citation_file(path, last_cited)
                if cited is None:
                    continue
                problems += check_sections(root, cited, section_numbers(citation["sections"]), where)
                rest = rest.replace(citation[0], " ", 1)
            if "§" in rest:
                problems.append(f"{where}: a § that names no file of docs/: {line.strip()}")
    return problems


def mention_problems(root: Path, path: Path, line: str, where: str) -> list[str]:
    """A .md file named in prose must exist. In markdown a link's text may name its target
    ([http.md](docs/reference/http.md)): links are checked as links, so only the prose around them counts."""
    prose = ANY_LINK.sub(" ", line) if path.suffix == ".md" else line
    return [
        f"{where}: names {mention['name']}, which is not a file of the repository"
        for mention in MENTION.finditer(prose)
        if not any((base / mention["name"]).is_file() for base in (root, path.parent, root / "docs"))
    ]


def link_citations(root: Path, path: Path, line: str, where: str) -> tuple[str, list[str]]:
    """Check the markdown links whose text holds a "§" against their target; return the line without
    them, and the problems."""
    if path.suffix != ".md":
        return line, []
    rest, problems = line, []
    for link in LINK.finditer(line):
        if "§" not in link["text"]:
            continue
        target = link["target"].split("#", 1)[0]
        cited = path if target == "" else (path.parent / target).resolve()
        problems += check_sections(root, cited, section_numbers(link["text"].split("§", 1)[1]), where)
        rest = rest.replace(link[0], " ")
    return rest, problems


def bare_citation_file(path: Path, last_cited: tuple[int, Path] | None) -> Path | None:
    """The file a "§" without a file name refers to: the markdown file it is in, or the file cited last."""
    if path.suffix == ".md":
        return path
    return last_cited[1] if last_cited is not None else None


def link_problems(root: Path) -> list[str]:
    """Every markdown link in docs/ and README.md whose file or heading does not exist."""
    problems: list[str] = []
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    for page in pages:
        for line in outside_fences(page.read_text(encoding="utf-8")):
            for link in ANY_LINK.finditer(re.sub(r"`[^`]*`", " ", line)):
                target = link["target"]
                if re.match(r"[a-z]+:", target):
                    continue  # http:, https:, mailto:
                file_part, _, anchor = target.partition("#")
                linked = page if file_part == "" else (page.parent / file_part).resolve()
                where = f"{page.relative_to(root)}: [{link['text']}]({target})"
                if not linked.exists():
                    problems.append(f"{where}: no such file")
                elif anchor and linked.suffix == ".md" and anchor not in headings(linked)[1]:
                    problems.append(f"{where}: no such heading in {linked.relative_to(root)}")
    return problems


def test_every_citation_resolves_to_a_section_of_docs_and_none_leaves_the_repository() -> None:
    problems = citation_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_every_markdown_link_in_docs_and_readme_reaches_a_file_and_heading() -> None:
    problems = link_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """The checks find each kind of fault in a small made-up repository (so they can fail)."""
    (tmp_path / "docs" / "reference").mkdir(parents=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "docs" / "reference" / "http.md").write_text(
        "# HTTP\n\n## 1. Routes\n\n### 1.2 Paths\n\nSee §1.2 and §3.\n```\n## 3. In a fence\n```\n"
        "[ok](#1-routes) [gone](#9-nothing) [missing](nowhere.md) [§1](http.md#1-routes)\n",
        encoding="utf-8",
    )
    (tmp_path / "README.md").write_text("[ref](docs/reference/http.md)\n", encoding="utf-8")
    (tmp_path / "src" / "a.py").write_text(
        '"""docs/reference/http.md §1, §1.2 and §2; docs/reference/nope.md §1; http.md §1."""\n'
        "# the contract in shared" + "/spec/http.md\n"
        "# docs/reference/http.md §1.2, then on the next line\n# its §1 and §5\n\n# and alone: see §1.\n",
        encoding="utf-8",
    )
    citations = citation_problems(tmp_path)
    assert any("http.md has no section §3" in p and "http.md:7" in p for p in citations)  # bare §3 in markdown
    assert not any("§1.2" in p and "no section" in p for p in citations)
    assert any("src/a.py:1: docs/reference/http.md has no section §2" in p for p in citations)
    assert any("nope.md, which is not a file under docs/" in p for p in citations)
    assert any("without its docs/ path" in p for p in citations)
    assert any("src/a.py:4: docs/reference/http.md has no section §5" in p for p in citations)  # the line after
    assert any("src/a.py:6: a § that names no file" in p for p in citations)  # "see §1." with nothing cited before
    assert any("src/a.py:2: refers to a contract outside" in p for p in citations)
    assert any("src/a.py:2: names shared" + "/spec/http.md, which is not a file" in p for p in citations)
    links = link_problems(tmp_path)
    assert any("(#9-nothing): no such heading" in p for p in links)
    assert any("(nowhere.md): no such file" in p for p in links)
    assert len(links) == 2
