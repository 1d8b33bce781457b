#!/usr/bin/env python3
"""Fails when a function in lib/, formats/ or tools/ is longer than 100 lines, or a file in lib/
or formats/ longer than 600 (the unpickler's opcode switch aside): the limits of the codebase's
style (docs/architecture.md), kept by CI (scripts/test.sh). clang-tidy's
readability-function-size would need every translation unit parsed with LibTorch's headers (minutes each here); this reads the sources'
braces instead: a brace opened at namespace or class scope after a parameter list is a function
(constructors' initialiser lists included), nested braces (lambdas, blocks) count towards it.
  python3 scripts/check-function-size.py [ROOT]"""
import os
import re
import sys

FUNCTION_LINES, FILE_LINES = 100, 600
EXEMPT = {"formats/restricted_unpickler.cpp"}  # the opcode switch is one function by design
CONTROL = re.compile(r"\b(if|for|while|switch|catch|do|else|try)\b\s*(\(|$)")
SCOPE = re.compile(r"\b(namespace|class|struct|union|enum)\b|extern\s+\"C\"")


def code_only(text):
    """The text with comments, strings and character literals blanked (line breaks kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path):
    text = code_only(open(path, encoding="utf-8").read())
    text = re.sub(r"(?m)^[ \t]*#.*$", "", text)  # preprocessor lines are no function's header
    stack, header, line, found = [], "", 1, []
    for c in text:
        if c == "\n":
            line += 1
        if c == "{":
            h = " ".join(header.split())
            outer = not stack or stack[-1][0] in ("scope",)
            if SCOPE.search(h) and "(" not in h.split("{")[-1].split(":")[0]:
                kind = "scope"
            elif outer and ")" in h and not CONTROL.search(h) and not h.startswith("="):
                kind = "function"
            else:
                kind = "block"
            stack.append((kind, line, h))
            header = ""
        elif c == "}":
            if stack:
                kind, start, h = stack.pop()
                if kind == "function" and line - start + 1 > FUNCTION_LINES:
                    found.append((start, line - start + 1, h[:80]))
            header = ""
        elif c == ";":
            header = ""
        else:
            header += c
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    problems = []
    for top in ("lib", "formats", "tools"):
        for folder, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".cpp", ".h")):
                    continue
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, root)
                if rel in EXEMPT:
                    continue
                for start, length, head in long_functions(path):
                    problems.append(f"{rel}:{start}: a function of {length} lines (over "
                                    f"{FUNCTION_LINES}): {head}")
                lines = sum(1 for _ in open(path, encoding="utf-8"))
                if top != "tools" and lines > FILE_LINES:
                    problems.append(f"{rel}: {lines} lines (over {FILE_LINES})")
    for p in problems:
        print(p)
    print(f"check-function-size: {len(problems)} over the limits")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
