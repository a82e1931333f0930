"""Runs the course's notebooks headless and reports "N passed, N failed".

A notebook fails when a cell raises, fails to compile or times out. The Java kernel's start could
hang (its channel thread may start before its running flag is set); start-kernel puts a corrected
class ahead of the kernel's jar, and each start is still given a short timeout and retried: a hung
start costs seconds, never the run.

Executed copies go to notebooks/out/ — or, with --in-place (for maintainers, at the default
size), back into the notebooks themselves, which are committed with their outputs so that a reader
sees the chapter's measured figures before running anything, and `notebooks/readme` builds each
chapter's README.md from them.

Saved outputs are tidied: consecutive stream fragments become one block (a printed table is one
output, not one per printed token), terminal escape sequences are removed, and the `%jar lib`
cell's output (which names a local path) and per-cell execution timestamps are dropped.
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
KERNEL = "memlean-java"
START_TIMEOUT = 15      # seconds for kernel_info; a healthy start takes 1-3, a hung one never answers
START_ATTEMPTS = 4
CELL_TIMEOUT = 600
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def trace(message: str) -> None:
    if os.environ.get("MEMLEAN_TRACE"):
        print(message, flush=True)


def tidy(nb) -> None:
    """Merges stream fragments, strips escape sequences, drops setup output and timing metadata."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if cell.source.strip().startswith("%jar"):
            cell.outputs = []
            continue
        merged = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                out.text = ANSI.sub("", out.text)
                if merged and merged[-1].output_type == "stream" and merged[-1].name == out.name:
                    merged[-1].text += out.text
                    continue
            merged.append(out)
        # a display(...) call's own return value is not an output a reader needs
        cell.outputs = [o for o in merged if not (o.output_type == "execute_result"
                                                    and set(o.get("data", {})) <= {"text/plain"})]


def run(path: Path, target: Path) -> tuple[bool, str]:
    last_error = ""
    for attempt in range(1, START_ATTEMPTS + 1):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT, startup_timeout=START_TIMEOUT,
                                resources={"metadata": {"path": str(HERE)}})
        started = False
        try:
            t0 = time.time()
            with client.setup_kernel():
                started = True
                trace(f"  kernel up in {time.time() - t0:.1f} s")
                for index, cell in enumerate(nb.cells):
                    t1 = time.time()
                    client.execute_cell(cell, index)
                    trace(f"  cell {index} {time.time() - t1:.1f} s")
                t2 = time.time()
            trace(f"  kernel shut down in {time.time() - t2:.1f} s")
        except (CellExecutionError, CellTimeoutError) as e:
            tidy(nb)
            nbformat.write(nb, OUT / path.name)
            first = str(e).strip().splitlines()
            return False, "cell failed: " + (first[-1] if first else type(e).__name__)
        except (RuntimeError, TimeoutError, DeadKernelError) as e:
            if started:
                # the kernel was up and died under a cell: that is the notebook's failure, not a hung start
                tidy(nb)
                nbformat.write(nb, OUT / path.name)
                return False, f"the kernel died: {type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
            # the kernel did not start (or died while starting): try a fresh one
            last_error = f"{type(e).__name__}: {e}"
            print(f"  kernel start {attempt}/{START_ATTEMPTS} failed ({last_error.splitlines()[0]}); retrying",
                  flush=True)
            continue
        tidy(nb)
        nb.metadata.setdefault("memlean", {})["size"] = os.environ.get("MEMLEAN_SIZE", "DEFAULT")
        nbformat.write(nb, target)
        return True, ""
    return False, f"the kernel did not start in {START_ATTEMPTS} attempts: {last_error}"


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the course's notebooks headless.")
    parser.add_argument("names", nargs="*", help="notebooks to run (default: all)")
    parser.add_argument("--in-place", action="store_true",
                        help="write the executed notebooks back over the committed ones (maintainers, default size)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    paths = [HERE / n for n in args.names] if args.names else sorted(HERE.glob("[0-9][0-9]-*.ipynb"))
    missing = [p for p in paths if not p.exists()]
    if missing:
        print("no such notebook: " + ", ".join(str(p) for p in missing), file=sys.stderr)
        return 2
    passed = failed = 0
    where = "back in place" if args.in_place else f"copies in {OUT.relative_to(HERE.parent)}/"
    print(f"Running {len(paths)} notebooks at size {os.environ.get('MEMLEAN_SIZE', 'DEFAULT')} ({where})", flush=True)
    for path in paths:
        start = time.time()
        ok, why = run(path, path if args.in_place else OUT / path.name)
        took = time.time() - start
        if ok:
            passed += 1
            print(f"PASS {path.name} ({took:.0f} s)", flush=True)
        else:
            failed += 1
            print(f"FAIL {path.name} ({took:.0f} s): {why}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
