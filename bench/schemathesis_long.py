"""The long schemathesis run: the suite's fuzz test (tests/integration/test_openapi_fuzz.py: every
operation of /schema/openapi.json as admin, organiser, board secretary, partner coordinator and anonymous,
against a live server on a fresh PostgreSQL database) with many generated cases per operation and role.

    .venv/bin/python bench/schemathesis_long.py [--examples 25] [--budget 1800]

Prints what pytest prints: the failures found (each with a curl line to reproduce it), or that none were.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=25, help="generated cases per operation and role")
    parser.add_argument("--budget", type=float, default=1800, help="seconds before the run stops itself")
    args = parser.parse_args(argv)
    env = {**os.environ, "DTZ_FUZZ_EXAMPLES": str(args.examples), "DTZ_FUZZ_BUDGET": str(args.budget)}
    print(
        f"schemathesis: {args.examples} cases per operation and role, at most {args.budget:.0f} s", flush=True
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/integration/test_openapi_fuzz.py", "-q"],
        cwd=ROOT,
        env=env,
        timeout=args.budget + 300,
        check=False,
    )
    print(f"finished in {time.monotonic() - started:.0f} s with exit code {done.returncode}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
