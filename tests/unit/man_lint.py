#!/usr/bin/env python3
"""Lint the man pages for what groff does not warn about.

An alternating-font macro (.BR, .RB, .BI, .IB, .IR, .RI) joins its
arguments without spaces, so prose written after one on the same line
renders as run-together words ("uringblk-admin(8))printsaheader"). Three
or more plain-word arguments (letters only, unquoted), two of them in a row,
are that mistake; ".IR N th" (two) is the macro's purpose.
Then every page must render without a groff warning (man --warnings).

Usage: man_lint.py MAN_DIR
"""
import pathlib
import re
import shlex
import subprocess
import sys

ALT = re.compile(r"^\.(BR|RB|BI|IB|IR|RI)\s+(.*)$")
WORD = re.compile(r"^[A-Za-z]+$")


def run_together(line):
    m = ALT.match(line)
    if not m:
        return False
    try:
        args = shlex.split(m.group(2), posix=True)
    except ValueError:
        return False
    raw = m.group(2).split()
    # Quoted arguments are meant to carry their spaces: only bare words count.
    plain = [a for a in args if WORD.match(a) and a in raw]
    return any(WORD.match(a) and WORD.match(b) and a in raw and b in raw
               for a, b in zip(args, args[1:])) and len(plain) >= 3


def main():
    pages = sorted(p for p in pathlib.Path(sys.argv[1]).iterdir()
                   if re.search(r"\.[1-8]$", p.name))
    if not pages:
        sys.exit("man_lint: no man pages in %s" % sys.argv[1])
    bad = 0
    for page in pages:
        for n, line in enumerate(page.read_text().splitlines(), 1):
            if run_together(line):
                print("%s:%d: words after an alternating-font macro run together: %s"
                      % (page.name, n, line))
                bad += 1
        r = subprocess.run(["man", "--warnings", "-l", str(page)],
                           capture_output=True, text=True,
                           env={"LC_ALL": "C.UTF-8", "MANWIDTH": "80", "PATH": "/usr/bin:/bin"})
        if r.stderr.strip():
            print("%s: groff warnings:\n%s" % (page.name, r.stderr.strip()))
            bad += 1
    print("man_lint: %d pages, %d problems" % (len(pages), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
