"""Random edits of the shipped hall files: each one is either a hall the server can run or a
ConfigFileError naming the file, never another exception (a traceback at start-up).

The edits are what people do to a TOML file by hand, at random (seeded): a value replaced by
one of another type or out of range, a key misspelt or dropped, a line doubled or deleted.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from qms.config import ConfigFileError, loads_hall

REPO = Path(__file__).resolve().parents[1]
FILES = sorted((REPO / "examples").glob("*.toml"))
EDITS = 120  # a file each; about 5 s in all (the big hall takes 30 ms to read)
VALUES = (
    '""', '" "', '"x"', "0", "-1", "1e400", "-0.0", "nan", "inf", "true", "[]", "{}", "[1, \"a\"]",
    '"25:61"', '"08:00"', '"2026-02-30"', "2026-11-23", "08:00:00", '"Mars/Olympus"', '"social"',
    '"' + "长" * 300 + '"', '"\\u0000"', "99999999999999999999", '["w1", "w1"]', '{ x = 1 }',
)  # fmt: skip
ASSIGNMENT = re.compile(r"^(\s*)([A-Za-z0-9_.\"-]+)(\s*=\s*)(.+)$")


def edit(text: str, rng: random.Random) -> str:
    """`text` with one to three random hand edits."""
    lines = text.splitlines()
    for _ in range(rng.randrange(1, 4)):
        assignments = [i for i, line in enumerate(lines) if ASSIGNMENT.match(line)]
        i = rng.choice(assignments)
        indent, key, eq, value = ASSIGNMENT.match(lines[i]).groups()  # type: ignore[union-attr]
        kind = rng.randrange(6)
        if kind < 3:
            lines[i] = f"{indent}{key}{eq}{rng.choice(VALUES)}"
        elif kind == 3:
            lines[i] = f"{indent}{key[:-1] or 'k'}{eq}{value}"  # misspelt
        elif kind == 4:
            del lines[i]
        else:
            j = rng.randrange(len(lines))
            lines.insert(j, lines[j])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_hand_edit_is_a_hall_or_a_clear_error(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    loads_hall(text, path)  # the file as shipped is a hall
    rng = random.Random(path.name)
    refused = 0
    for n in range(EDITS):
        edited = edit(text, rng)
        try:
            loads_hall(edited, path)
        except ConfigFileError as err:
            refused += 1
            assert err.source == path and str(path) in str(err) and err.problem.strip(), (n, str(err))
        except Exception as err:  # anything else is the bug this test looks for
            diff = [line for line in edited.splitlines() if line not in text.splitlines()]
            raise AssertionError(f"edit {n} of {path.name} ({diff[:3]}) raised {type(err).__name__}: {err}") from err
    assert refused > EDITS // 4  # the edits were not all harmless
