"""Shared by the Python interop tests: counting checks and the closing line CTest reads."""
import os
import subprocess
import sys

failures, passes = [], 0


def check(name, ok, detail=""):
    global passes
    if ok:
        passes += 1
    else:
        failures.append(name)
        print(f"FAIL: {name} {detail}")


def run_tool(bin_dir, *args, expect=0):
    """Runs one of our binaries; a different exit code is a failed check."""
    p = subprocess.run([os.path.join(bin_dir, args[0]), *args[1:]], capture_output=True, text=True)
    check(f"{args[0]} exits {expect}", p.returncode == expect, f"(got {p.returncode}) {p.stderr[-2000:]}")
    return p


def finish():
    print(f"{passes} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)
