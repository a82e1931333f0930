"""Builds each chapter's README.md from its notebook: the notebook is the one source of the text.

For every notebook whose metadata names a target (memlean.readme, a path from the repository
root), the README is: a line saying where it comes from, then each cell in order — markdown as it
is (links written relative to notebooks/ rewritten relative to the README), code as a ```java
block, a code cell's printed output as a ```text block and its images saved beside the README
(docs/<notebook>-<n>.png, or figures/ beside a page in docs/) and linked. Cells tagged "setup" (the `%jar lib` line) are left out.

A figure the prose quotes from the notebook's own run is written <m>1.10× ±0.04</m>, or
<m in="every block">1.10× ±0.04</m> to say which row of a table it comes from: the README shows it
as plain text, and the check fails when no code cell's output contains it (on one line with the
label, when there is one) — so a re-run that changes a table cannot leave the prose quoting the old
figure.

    notebooks/readme            write the READMEs (and their images)
    notebooks/readme --check    fail if a README differs from what its notebook gives, or the prose
                                quotes a figure its outputs do not contain (CI)
"""
import base64
import os
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LINK = re.compile(r"(\]\()([^)#:]+)(\))")
MEASURED = re.compile(r'<m(?: in="([^"]*)")?>(.*?)</m>', re.DOTALL)


def outputs_text(nb) -> str:
    """Everything the notebook's code cells printed or displayed as text."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("display_data", "execute_result"):
                for kind in ("text/plain", "text/html", "text/markdown"):
                    if kind in out.get("data", {}):
                        parts.append(out.data[kind])
    return "\n".join(parts)


def unquoted_figures(nb) -> list[str]:
    """Figures the prose marks as measured that no output of the notebook contains."""
    text = outputs_text(nb)
    printed = re.sub(r"\s+", " ", text)
    lines = text.splitlines()
    missing = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for label, figure in MEASURED.findall(cell.source):
            figure = re.sub(r"\s+", " ", figure)
            if label:   # the figure must stand on an output line that also holds the label (a table's row)
                if not any(label in line and figure in re.sub(r"\s+", " ", line) for line in lines):
                    missing.append(f'{figure}" in a line with "{label}')
            elif figure not in printed:
                missing.append(figure)
    return missing


def relink(markdown: str, target_dir: Path) -> str:
    """Rewrites relative links (written from notebooks/) so they work from the README's folder."""
    def fix(m):
        path = m.group(2)
        if path.startswith(("http", "/", "#")):
            return m.group(0)
        resolved = (HERE / path).resolve()
        return m.group(1) + os.path.relpath(resolved, target_dir) + m.group(3)
    return LINK.sub(fix, markdown)


def build(path: Path) -> tuple[Path, str, dict]:
    nb = nbformat.read(path, as_version=4)
    target = ROOT / nb.metadata["memlean"]["readme"]
    folder = target.parent
    images = {}
    size = nb.metadata.get("memlean", {}).get("size", "DEFAULT")
    parts = [f"<!-- Generated from notebooks/{path.name} by notebooks/readme: edit the notebook, not this file. "
             f"Outputs are those of its committed run at the {size.lower()} size. -->\n"]
    figure = 0
    for cell in nb.cells:
        if "setup" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            parts.append(MEASURED.sub(r"\2", relink(cell.source, folder)).rstrip() + "\n")
        elif cell.cell_type == "code":
            parts.append("```java\n" + cell.source.rstrip() + "\n```\n")
            for out in cell.get("outputs", []):
                if out.output_type == "stream" and out.text.strip():
                    parts.append("```text\n" + out.text.rstrip() + "\n```\n")
                elif out.output_type in ("display_data", "execute_result") and "image/png" in out.get("data", {}):
                    figure += 1
                    sub = "figures" if folder.name == "docs" else "docs"
                    name = f"{sub}/{path.stem}-{figure}.png"
                    images[folder / name] = base64.b64decode(out.data["image/png"])
                    parts.append(f"![figure {figure}]({name})\n")
    return target, "\n".join(parts), images


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for path in sorted(HERE.glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if "readme" not in nb.metadata.get("memlean", {}):
            continue
        target, text, images = build(path)
        for figure in unquoted_figures(nb):
            stale.append(f"notebooks/{path.name} quotes <m>{figure}</m>, which none of its outputs contains")
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(f"{target.relative_to(ROOT)} (from notebooks/{path.name})")
            for image, data in images.items():
                if not image.exists() or image.read_bytes() != data:
                    stale.append(f"{image.relative_to(ROOT)} (from notebooks/{path.name})")
            continue
        target.write_text(text)
        for image, data in images.items():
            image.parent.mkdir(parents=True, exist_ok=True)
            image.write_bytes(data)
        print(f"wrote {target.relative_to(ROOT)} and {len(images)} images from notebooks/{path.name}")
    if stale:
        print("out of date (fix the notebook, run notebooks/readme and commit): " + "; ".join(stale), file=sys.stderr)
        return 1
    if check:
        print("every chapter README matches its notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
