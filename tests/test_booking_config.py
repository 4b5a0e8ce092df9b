"""[booking] in hall files: rules, bookable services, neighbours and the hall's place."""

from __future__ import annotations

import pytest

from qms.config import ConfigFileError, load_hall, loads_hall
from qms.core.booking import BookableService, LateCheckIn
from tests.test_config import BASE

BOOKING = """
[booking]
horizon_days = 7
late_check_in = "refuse"
per_week = 2
max_no_shows = 2

[[booking.services]]
service = "pension"
share = 0.28
expected_daily = 50
slot_minutes = 30

[[booking.services]]
service = "tax-filing"
capacity = 3

[[booking.neighbours]]
id = "other"
name = "另一大厅"
city = "广州市"
location = [23.1, 113.2]
url = "https://other.example.gov.cn/book"
services = ["pension"]
"""


def with_site(text: str) -> str:
    return text.replace(
        'name = "测试大厅"\n', 'name = "测试大厅"\ncity = "广州市"\ndistrict = "越秀区"\nlocation = [23.12, 113.26]\n'
    )


def test_booking_rules_and_site_load() -> None:
    loaded = loads_hall(with_site(BASE) + BOOKING)
    rules = loaded.booking
    assert rules is not None
    assert rules.services == (
        BookableService("pension", slot_minutes=30, share=0.28, expected_daily=50),
        BookableService("tax-filing", capacity=3),
    )
    assert (rules.horizon_days, rules.late_check_in, rules.per_week, rules.max_no_shows) == (
        7,
        LateCheckIn.REFUSE,
        2,
        2,
    )
    assert rules.cancel_cutoff_minutes == 120 and rules.per_day == 1  # defaults
    assert (loaded.site.city, loaded.site.district, loaded.site.latitude) == ("广州市", "越秀区", 23.12)
    assert loaded.neighbours[0].services == ("pension",) and loaded.neighbours[0].site.longitude == 113.2


def test_a_hall_without_booking_takes_none() -> None:
    loaded = loads_hall(BASE)
    assert loaded.booking is None and loaded.neighbours == () and loaded.site.city == ""


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        ('service = "tax-filing"', 'service = "tax-fling"', "booking.services[1].service", "a service of this hall"),
        ("capacity = 3", "capacity = 3\nshare = 0.2", "booking.services[1]", "exactly one"),
        ("share = 0.28", "share = 1.5", "booking.services[0].share", "at most 1"),
        ("horizon_days = 7", "horizon_days = 0", "booking.horizon_days", "from 1 to 60"),
        ('late_check_in = "refuse"', 'late_check_in = "never"', "booking.late_check_in", '"ordinary", "refuse"'),
        ("per_week = 2", "per_wek = 2", "booking.per_wek", 'did you mean "per_week"'),
        ("location = [23.1, 113.2]", "location = [123.1, 113.2]", "booking.neighbours[0].location", "latitude"),
        ("location = [23.1, 113.2]", "location = [true, 113.2]", "booking.neighbours[0].location", "latitude"),
        ("location = [23.1, 113.2]", 'location = [23.1, "113"]', "booking.neighbours[0].location", "latitude"),
        ("location = [23.1, 113.2]", "location = [23.1]", "booking.neighbours[0].location", "latitude"),
        ('url = "https://other.example.gov.cn/book"', 'url = "ftp://x"', "booking.neighbours[0].url", "http(s)"),
        ("expected_daily = 50\n", "", "booking.services[0].expected_daily", "share needs expected_daily"),
    ],
)
def test_booking_errors_name_the_key(old: str, new: str, key: str, fragment: str) -> None:
    text = BASE + BOOKING
    assert old in text
    with pytest.raises(ConfigFileError) as caught:
        loads_hall(text.replace(old, new, 1), "hall.toml")
    assert caught.value.key == key, caught.value
    assert fragment in str(caught.value)


@pytest.mark.parametrize("name", ["street-office", "qingyuan"])
def test_the_examples_are_bookable(name: str) -> None:
    loaded = load_hall(f"examples/{name}.toml")
    assert loaded.booking is not None and loaded.booking.services
    assert loaded.site.city and loaded.neighbours
