#!/usr/bin/env python3
"""manpage_test.py - the man page describes every option: each option that `tlsaudit COMMAND --help` names
(-x, --long) appears in doc/tlsaudit.1 in that command's section (its .SH, or READ for the limit options every
command shares), written as an option (roff \\- escapes); every command has a section; the page renders
without groff warnings; `tlsaudit --help` lists the commands the page documents.
usage: manpage_test.py TLSAUDIT MANPAGE"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, MAN = sys.argv[1], sys.argv[2]
tally = Checks()
check = tally.check

src = open(MAN).read()
# sections by .SH name, with roff escapes undone where options are written ("\-" is "-")
sections = {}
name = None
for line in src.splitlines():
    m = re.match(r'^\.SH\s+"?([^"]+)"?', line)
    if m:
        name = m.group(1).strip()
        sections[name] = ""
        continue
    if name:
        sections[name] += line.replace("\\-", "-") + "\n"
OPT = re.compile(r"(?<![\w-])(--?[a-zA-Z][-a-zA-Z0-9]*)")

COMMANDS = ["read", "capture", "report", "diff", "merge", "export", "prune"]
limits = set()
r = subprocess.run([TOOL, "read", "--help"], capture_output=True, text=True)
in_limits = False
for line in r.stdout.splitlines():
    if line.startswith("limits"):
        in_limits = True
    elif in_limits:
        limits.update(OPT.findall(line))
check(len(limits) >= 9, f"limit options found in read --help: {sorted(limits)}")
total = 0
OWN = {}
for cmd in COMMANDS:
    r = subprocess.run([TOOL, cmd, "--help"], capture_output=True, text=True)
    check(r.returncode == 0, f"{cmd} --help")
    sec = sections.get(cmd.upper())
    check(sec is not None, f"the man page has a section {cmd.upper()}")
    if sec is None:
        continue
    opts = {o for o in OPT.findall(r.stdout) if o not in ("-", "--")}
    OWN[cmd] = {o for line in r.stdout.splitlines() if re.match(r"^\s+-", line)
                for o in OPT.findall(line.split("  ", 2)[1] if "  " in line.strip() else line)} - limits
    for o in sorted(opts):
        total += 1
        # the limit options are described once, under READ, and named as shared by the others
        where = sections["READ"] if o in limits else sec
        own = re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", where)
        # an option another command's text mentions (read --help names `tlsaudit export`, capture names
        # `prune --older-than`) is enough in any section
        anywhere = any(re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", s) for s in sections.values())
        check(own or (anywhere and o not in OWN.get(cmd, set())), f"{cmd}: option {o} is not in the man page's {cmd.upper()} section")
r = subprocess.run([TOOL, "--help"], capture_output=True, text=True)
for cmd in COMMANDS:
    check(re.search(r"^\s+" + cmd + r"\b", r.stdout, re.M) is not None, f"tlsaudit --help lists {cmd}")
    check(f".B tlsaudit {cmd}" in src, f"SYNOPSIS has tlsaudit {cmd}")
g = subprocess.run(["groff", "-man", "-ww", "-z", MAN], capture_output=True, text=True)
check(g.returncode == 0 and g.stderr.strip() == "", f"groff warnings: {g.stderr.strip()[:300]}")
tally.finish(f"manpage: {total} options of {len(COMMANDS)} commands; {tally.passed}/{tally.checks} checks passed")
