"""checklib.py - the check() of the Python tests: counts the checks and the failed ones, says each failed one as it
happens, and gives the exit status. A test script imports it from tests/, the parent of its own directory:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from checklib import Checks  # noqa: E402

    tally = Checks()                 # "FAIL: what" on stderr for each failed check
    check = tally.check
    ...
    tally.finish(f"{tally.checks} checks, {tally.failures} failed")   # prints the line, exits 1 or 0

The script keeps its own summary line (other tooling greps it) and its own exit 77 (skip)."""
import sys


class Checks:
    """checks: how many checks were made; failed: what each failed one said, in order; failures: how many failed.

    out: where each check's line goes as it is made (None: nowhere, e.g. to print tally.failed at the end);
    fail: what starts the line of a failed check; ok: what starts the line of a passed one (None: no line);
    flush: flush out after each line."""

    def __init__(self, out=sys.stderr, fail="FAIL: ", ok=None, flush=False):
        self.out, self.fail, self.ok, self.flush = out, fail, ok, flush
        self.checks = 0
        self.failed = []

    @property
    def failures(self):
        return len(self.failed)

    @property
    def passed(self):
        return self.checks - self.failures

    def check(self, cond, what):
        """one check; returns cond, so that `if not check(...)` skips what needs it"""
        self.checks += 1
        if not cond:
            self.failed.append(what)
        start = self.ok if cond else self.fail
        if self.out is not None and start is not None:
            print(f"{start}{what}", file=self.out, flush=self.flush)
        return cond

    def exit_code(self):
        return 1 if self.failed else 0

    def finish(self, summary=None):
        """prints summary (a line on stdout) unless None, then exits 1 if a check failed, else 0"""
        if summary is not None:
            print(summary)
        sys.exit(self.exit_code())
