"""harness.py - the integration-test protocol for Python tests.

Each test file does `from harness import T` and calls t.ok(cond, name) etc.;
t.done() prints "# passed=N failed=M skipped=K" and exits non-zero on any
failure, which scripts/run-tests.sh adds up. Helpers run the binary under
test (env PAPERBOY) with a time limit so no test can hang CI.
"""
import os
import subprocess
import sys
import tempfile


class T:
    def __init__(self):
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.binary = os.environ.get("PAPERBOY") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build", "paperboy")
        self.shared = os.environ.get("SHARED") or os.path.join(
            os.path.dirname(__file__), "..", "..", "..", "shared")
        self.tmp = tempfile.mkdtemp(prefix="paperboy-integ-")

    def ok(self, cond, name, detail=""):
        self.n += 1
        if cond:
            self.passed += 1
            print(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            if detail:
                for line in str(detail).splitlines()[:20]:
                    print(f"#   {line}")
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, f"got {got!r} want {want!r}")

    def skip(self, name, why):
        self.skipped += 1
        print(f"ok - {name} # SKIP {why}")

    def run(self, *args, stdin=None, timeout=120, env=None):
        """Runs the binary; returns CompletedProcess with text stdout/stderr."""
        e = dict(os.environ)
        if env:
            e.update(env)
        return subprocess.run([self.binary, *args], input=stdin, capture_output=True,
                              timeout=timeout, env=e,
                              text=not isinstance(stdin, bytes))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def done(self):
        print(f"# passed={self.passed} failed={self.failed} skipped={self.skipped}")
        sys.exit(1 if self.failed else 0)
