#!/usr/bin/python3
"""scripts/check-function-size.py, on made-up sources: a function of 101 lines fails and one of
100 passes; lambdas, blocks and braces inside comments or strings count towards the function
they are in, not as functions; namespaces and classes are scopes, their methods functions; a
file of 601 lines in lib/ fails, in tools/ it does not."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, finish  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "check-function-size.py")


def function(name, lines):
    """A function of exactly `lines` lines, with a lambda, a block, a string and a comment."""
    body = ['  auto f = [] { return "{"; };  // a } in a comment', "  {", "  }"]
    body += ["  ;"] * (lines - 2 - len(body))
    return [f"int {name}(int x) {{"] + body + ["}"]


def run(files):
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        p = subprocess.run([sys.executable, SCRIPT, root], capture_output=True, text=True)
        return p.returncode, p.stdout


code, out = run({"lib/a.cpp": "\n".join(["namespace swa {", "namespace {"] + function("ok", 100)
                                        + ["}", "}"])})
check("a function of 100 lines passes", code == 0, out)
code, out = run({"lib/a.cpp": "\n".join(["namespace swa {"] + function("big", 101) + ["}"])})
check("a function of 101 lines fails, named with its line", code == 1 and "lib/a.cpp:2:" in out
      and "101 lines" in out, out)
code, out = run({"formats/b.h": "\n".join(["class C {", " public:"] + ["  " + l for l in
                                          function("method", 101)] + ["};"])})
check("a class's method counts as a function", code == 1 and "formats/b.h:3:" in out, out)
code, out = run({"lib/c.cpp": "\n".join(["// filler"] * 601)})
check("a file of 601 lines in lib/ fails", code == 1 and "601 lines" in out, out)
code, out = run({"tools/x/main.cpp": "\n".join(["// filler"] * 601)})
check("a long file in tools/ is not limited", code == 0, out)
finish()
