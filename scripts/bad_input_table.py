"""Write docs/bad_input.md: every bad command the test suite checks, run through the real CLI, with
its exit status and the one line it prints.

The cases are the tests' own lists (tests/test_params.py BAD_VALUES, tests/test_cli.py
BAD_COMMANDS), so the table grows with them; tests/test_cli.py checks that it lists every case.

    python scripts/bad_input_table.py      # about a minute
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_cli import BAD_COMMANDS  # noqa: E402
from tests.test_params import BAD_VALUES  # noqa: E402

OUT = ROOT / "docs" / "bad_input.md"
HEADER = """# Bad input: what each refusal says

Every case below is a test (`tests/test_params.py` BAD_VALUES, `tests/test_cli.py` BAD_COMMANDS):
the command stops before any data is read or any job starts, with exit status 2 and the one line
shown, and leaves no `metrics.json`. Regenerate with `python scripts/bad_input_table.py`.
Procedures that are tests of their own (interrupted and rerun sweeps, a folder holding another
config's finished run or a run on changed data, tampered run folders, Ctrl-C) are described in
`docs/reference.md`.

| command | exit | the line it prints |
|:--|--:|:--|
"""


def command_of(args: list[str]) -> str:
    return "sparseae train " + " ".join(args)


def run(args: list[str], scratch: Path) -> tuple[int, str]:
    flags = [a for a in args if a.startswith("-")]
    overrides = [a for a in args if not a.startswith("-")]
    result = subprocess.run(
        [sys.executable, "-c", "from sparseae_cli.cli import main; main()", "train", *flags,
         f"hydra.run.dir={scratch}/r", f"hydra.sweep.dir={scratch}/s", *overrides],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return result.returncode, (lines[-1] if lines else "")


def main() -> None:
    rows = []
    cases = [args for args, _ in BAD_VALUES] + [args for args, _ in BAD_COMMANDS]
    with tempfile.TemporaryDirectory() as scratch:
        for args in dict.fromkeys(tuple(a) for a in cases):
            code, line = run(list(args), Path(scratch))
            line = line.replace(scratch, "TMP").replace("|", "\\|")
            rows.append(f"| `{command_of(list(args))}` | {code} | {line} |")
    OUT.write_text(HEADER + "\n".join(rows) + "\n")
    print(f"{len(rows)} cases -> {OUT}")


if __name__ == "__main__":
    main()
