"""Builds each chapter's README.md from its notebook: the notebook is the one source of the text.

For every notebook whose metadata names a target (memlean.readme, a path from the repository
root), the README is: a line saying where it comes from, then each cell in order — markdown as it
is (links written relative to notebooks/ rewritten relative to the README), code as a ```java
block, a code cell's printed output as a ```text block and its images saved beside the README
(docs/<notebook>-<n>.png, or figures/ beside a page in docs/) and linked. Cells tagged "setup" (the `%jar lib` line) are left out.

    notebooks/readme            write the READMEs (and their images)
    notebooks/readme --check    fail if a README differs from what its notebook gives (CI)
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
            parts.append(relink(cell.source, folder).rstrip() + "\n")
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
        print("out of date (run notebooks/readme and commit): " + "; ".join(stale), file=sys.stderr)
        return 1
    if check:
        print("every chapter README matches its notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
