"""Runs the course's notebooks headless and reports "N passed, N failed".

A notebook fails when a cell raises, fails to compile or times out. The Java kernel's start can
hang (its channel thread may start before its running flag is set, about one start in seven), so
each start is given a short timeout and retried: a hung start costs seconds, never the run.
"""
import os
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


def trace(message: str) -> None:
    if os.environ.get("MEMLEAN_TRACE"):
        print(message, flush=True)


def run(path: Path) -> tuple[bool, str]:
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
            nbformat.write(nb, OUT / path.name)
            first = str(e).strip().splitlines()
            return False, "cell failed: " + (first[-1] if first else type(e).__name__)
        except (RuntimeError, TimeoutError, DeadKernelError) as e:
            if started:
                # the kernel was up and died under a cell: that is the notebook's failure, not a hung start
                nbformat.write(nb, OUT / path.name)
                return False, f"the kernel died: {type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
            # the kernel did not start (or died while starting): try a fresh one
            last_error = f"{type(e).__name__}: {e}"
            print(f"  kernel start {attempt}/{START_ATTEMPTS} failed ({last_error.splitlines()[0]}); retrying",
                  flush=True)
            continue
        nbformat.write(nb, OUT / path.name)
        return True, ""
    return False, f"the kernel did not start in {START_ATTEMPTS} attempts: {last_error}"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    names = sys.argv[1:]
    paths = [HERE / n for n in names] if names else sorted(HERE.glob("[0-9][0-9]-*.ipynb"))
    missing = [p for p in paths if not p.exists()]
    if missing:
        print("no such notebook: " + ", ".join(str(p) for p in missing), file=sys.stderr)
        return 2
    passed = failed = 0
    print(f"Running {len(paths)} notebooks at size {os.environ.get('MEMLEAN_SIZE', 'DEFAULT')} "
          f"(executed copies in {OUT.relative_to(HERE.parent)}/)", flush=True)
    for path in paths:
        start = time.time()
        ok, why = run(path)
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
