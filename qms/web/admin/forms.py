"""Reading an HTML form with a clear message per field.

A form is posted as `application/x-www-form-urlencoded` and read with the standard library
(no multipart parser needed). Each field is read by name with what it must be; a bad value
records a bilingual message under the field's name and reads as None, so a page collects
every problem of a form at once and shows each one next to its field. Nothing is changed
while `errors` is not empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from urllib.parse import parse_qs

from starlette.requests import Request

from qms.web.payloads import read_body

MAX_FORM_BYTES = 512 * 1024  # a window's form lists every service of a 650-service hall
MAX_TEXT = 200
_SESSION = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> Form:
    """The posted form (BodyTooLarge beyond `limit`); values that are not UTF-8 are replaced."""
    text = (await read_body(request, limit)).decode("utf-8", errors="replace")
    return Form(parse_qs(text, keep_blank_values=True, max_num_fields=20_000))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a change (or a login) was not made, as its page says it: a message in Chinese and
    English, and the stable code that the page carries as `data-code`."""

    message: str
    code: str


@dataclass(slots=True)
class Form:
    """A posted form and the problems found so far, field by field."""

    values: dict[str, list[str]]
    errors: dict[str, str] = field(default_factory=dict)

    def raw(self, name: str) -> str:
        """The field's text as posted (stripped), "" when absent."""
        got = self.values.get(name)
        return got[0].strip() if got else ""

    def posted(self) -> dict[str, str]:
        """Each field's first value as posted, to show the form again as it was sent."""
        return {name: values[0] for name, values in self.values.items() if values}

    def all(self, name: str) -> list[str]:
        """Every value posted under `name` (checkbox groups)."""
        return [v.strip() for v in self.values.get(name, [])]

    def fail(self, name: str, zh: str, en: str) -> None:
        """Record a problem with field `name` (the first one found stays)."""
        self.errors.setdefault(name, f"{zh} · {en}")

    def text(self, name: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, "必填", "required")
        elif len(value) > max_len:
            self.fail(name, f"最多 {max_len} 个字符", f"at most {max_len} characters")
        return value

    def pattern(self, name: str, regex: re.Pattern[str], zh: str, en: str) -> str:
        value = self.raw(name)
        if not regex.fullmatch(value):
            self.fail(name, zh, en)
        return value

    def integer(self, name: str, low: int, high: int, *, optional: bool = False) -> int | None:
        value = self.raw(name)
        if not value and optional:
            return None
        try:
            number: int | None = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.fail(name, f"请填写 {low}–{high} 之间的整数", f"a whole number from {low} to {high}")
            return None
        return number

    def number(
        self, name: str, low: float, high: float, *, optional: bool = False, above: bool = False
    ) -> float | None:
        """A decimal number in [low, high] (or (low, high] with `above`)."""
        value = self.raw(name)
        if not value and optional:
            return None
        bound = f"大于 {low:g}" if above else f"不小于 {low:g}"
        bound_en = f"above {low:g}" if above else f"at least {low:g}"
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not (number > low if above else number >= low) or not number <= high:  # nan fails both
            self.fail(name, f"请填写{bound}、不大于 {high:g} 的数", f"a number {bound_en} and at most {high:g}")
            return None
        return number

    def choice(self, name: str, options: Iterable[str]) -> str:
        value = self.raw(name)
        allowed = list(options)
        if value not in allowed:
            self.fail(name, "请从列表中选择", "choose one of the list")
        return value

    def checked(self, name: str) -> bool:
        return self.raw(name) in ("on", "1", "true", "yes")

    def sessions(self, name: str) -> tuple[tuple[time, time], ...]:
        """Opening sessions such as "09:00-12:00, 13:30-17:00" (blank: closed that day)."""
        out: list[tuple[time, time]] = []
        for part in re.split(r"[,，;；]", self.raw(name)):
            if not part.strip():
                continue
            match = _SESSION.fullmatch(part)
            start = end = None
            if match:
                try:
                    start = time(int(match[1]), int(match[2]))
                    end = time(int(match[3]), int(match[4]))
                except ValueError:
                    start = end = None
            if start is None or end is None or end <= start or (out and start < out[-1][1]):
                self.fail(
                    name,
                    "格式如 09:00-12:00, 13:30-17:00，按时间先后，不重叠",
                    "like 09:00-12:00, 13:30-17:00, in order, not overlapping",
                )
                return ()
            out.append((start, end))
        return tuple(out)
