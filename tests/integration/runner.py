"""Runs every test_* function of tests/integration/test_*.py; prints a closing line
'integration: N passed, N failed, N skipped'. Usage: runner.py [-k SUBSTRING]."""
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Skip, reap_all  # noqa: E402


def main():
    pattern = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else ""
    here = os.path.dirname(os.path.abspath(__file__))
    passed = failed = skipped = 0
    failures = []
    for fname in sorted(os.listdir(here)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        mod = importlib.import_module(fname[:-3])
        for name in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = "%s.%s" % (fname[:-3], name)
            if pattern and pattern not in full:
                continue
            t0 = time.time()
            try:
                try:
                    getattr(mod, name)()
                finally:
                    reap_all()
            except Skip as e:
                skipped += 1
                print("SKIP %s: %s" % (full, e), flush=True)
                continue
            except Exception:
                failed += 1
                failures.append(full)
                print("FAIL %s (%.1fs)\n%s" % (full, time.time() - t0,
                                              traceback.format_exc()), flush=True)
                continue
            passed += 1
            print("PASS %s (%.1fs)" % (full, time.time() - t0), flush=True)
    if failures:
        print("failed: " + " ".join(failures))
    print("integration: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
