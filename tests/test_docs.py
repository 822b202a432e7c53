"""The project cites only what it holds: `docs/` files that exist, sections of `docs/papers.md` that exist."""

import pathlib
import re

from core.testing import TestCase

ROOT = pathlib.Path(__file__).resolve().parents[1]
SUFFIXES = (".py", ".md", ".ipynb", ".cfg", ".sh", ".sbatch", ".toml")
SKIPPED = {".venv", ".git", "build", "dist", "runs"}


def project_files():
    """Every source, notebook and documentation file of the repository (not the virtual environment)."""
    return [path for path in ROOT.rglob("*") if path.suffix in SUFFIXES and path.is_file()
            and not SKIPPED & set(path.relative_to(ROOT).parts) and path != pathlib.Path(__file__)]


class DocsTest(TestCase):
    def test_nothing_cites_a_file_outside_the_repository(self):
        outside = re.compile(r"REFERENCE\.md|PLATFORM\.md|DATA\.md|STYLE\.md|\.\./shared|/work/shared")
        found = [f"{path.relative_to(ROOT)}:{number}" for path in project_files()
                 for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
                 if outside.search(line)]
        self.assertEqual(found, [])

    def test_every_cited_doc_and_section_exists(self):
        sections = set(re.findall(r"^## (\d+)\. ", (ROOT / "docs" / "papers.md").read_text(), re.MULTILINE))
        self.assertEqual(sections, {str(n) for n in range(1, 8)})
        cited_files, cited_sections = set(), set()
        for path in project_files():
            text = path.read_text(errors="replace")
            cited_files.update(re.findall(r"docs/(\w+\.md)", text))
            cited_sections.update(re.findall(r"docs/papers\.md §(\d+)", text))
        self.assertLessEqual(cited_files, {path.name for path in (ROOT / "docs").glob("*.md")})
        self.assertIn("papers.md", cited_files)
        self.assertIn("official_implementations.md", cited_files)
        self.assertLessEqual(cited_sections, sections)
