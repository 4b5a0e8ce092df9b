"""Staff planning: how many windows to staff in each half hour to meet a service target.

`make_plan` computes Erlang C's windows per 30-minute slot and pool from a scenario's demand
(`demand`), turns them into a schedule (`schedule`), checks it on the real policy and raises
the slots that miss (`verify`, `plan`); `output` prints it. `qms sim plan SCENARIO --within 15
--share 0.9` is the command.
"""

from __future__ import annotations

from .erlang import service_level, windows_needed
from .plan import Plan, Target, make_plan

__all__ = ["Plan", "Target", "make_plan", "service_level", "windows_needed"]
