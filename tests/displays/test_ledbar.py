"""The LED bar driver's command line: a file it cannot use is a clear error, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from displays.ledbar import main

ARGS = ["--broker", "mqtt://led-w1@127.0.0.1:1", "--hall", "h", "--window", "w1"]


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("--password-file", "cannot read the broker password"),
        ("--output", "cannot write frames"),
    ],
)
def test_a_file_the_driver_cannot_use_is_named(
    option: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-dir" / "file"
    with pytest.raises(SystemExit) as stopped:
        main([*ARGS, option, str(missing)])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert says in err and str(missing) in err


@pytest.mark.parametrize("step", ["0", "-1", "nan"])
def test_a_scroll_step_that_would_spin_is_refused(step: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([*ARGS, "--step", step])
    assert stopped.value.code == 2
    assert "--step must be" in capsys.readouterr().err
