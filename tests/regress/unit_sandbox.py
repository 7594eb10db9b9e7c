#!/usr/bin/python3
"""unit_sandbox.py - run a command under the parts of a systemd unit's sandbox that work without systemd:
SystemCallFilter= (groups resolved by `systemd-analyze syscall-filter`, applied with libseccomp in the order
systemd applies the lines: an allow list, then ~ removals and additions), SystemCallErrorNumber=,
RestrictAddressFamilies= (socket(2) of another family fails with EAFNOSUPPORT, as systemd does) and UMask=.
User, capabilities and no_new_privs come from setpriv(1) before this (tests/regress/regress_test.py item 11).
Needs Debian's python3-seccomp (so /usr/bin/python3).

usage: unit_sandbox.py UNIT_FILE -- COMMAND..."""
import errno
import os
import socket
import subprocess
import sys

import seccomp


def unit_settings(path):
    s = {}
    for line in open(path):
        line = line.strip()
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            s.setdefault(k, []).append(v)
    return s


def groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True).stdout
    g, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = line.strip()
            g[cur] = []
        elif cur and line.strip() and not line.strip().startswith("#"):
            g[cur].append(line.strip())
    return g


def resolve(names, g, seen=None):
    seen = seen or set()
    out = set()
    for n in names:
        if n.startswith("@"):
            if n not in seen:
                seen.add(n)
                out |= resolve(g.get(n, []), g, seen)
        else:
            out.add(n)
    return out


def main():
    unit, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    s = unit_settings(unit)
    g = groups()
    allowed, first = set(), True
    for line in s.get("SystemCallFilter", []):
        neg = line.startswith("~")
        names = resolve(line.lstrip("~").split(), g)
        if first and neg:
            sys.exit("unit_sandbox: a deny-list filter is not supported")
        allowed = allowed - names if neg else allowed | names
        first = False
    err = getattr(errno, s.get("SystemCallErrorNumber", ["EPERM"])[-1])
    f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(err))
    fams = s.get("RestrictAddressFamilies", [])
    n = 0
    for name in sorted(allowed):
        if name == "socket" and fams:
            continue  # allowed per address family below (libseccomp: no plain rule beside conditional ones)
        try:
            f.add_rule(seccomp.ALLOW, name)
            n += 1
        except (RuntimeError, ValueError, OSError):
            pass  # not a system call of this architecture
    if fams and "socket" in allowed:
        keep = {getattr(socket, a) for a in " ".join(fams).split()}
        for fam in sorted(keep):
            f.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, fam))
        for fam in range(0, 46):
            if fam not in keep:
                f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, fam))
    if "UMask" in s:
        os.umask(int(s["UMask"][-1], 8))
    print(f"unit_sandbox: {n} system calls allowed, address families {fams}", file=sys.stderr, flush=True)
    f.load()
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
