"""Hall files: what loads, and that every mistake names the file, the key and what is expected."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

import qms.config.hall_file as hall_file
import qms.core.model as model
from qms.config import ConfigFileError, HallFile, Role, Settings, load_hall, load_settings, loads_hall
from qms.core.errors import ConfigError
from qms.core.model import PriorityClass, Reactivation, WindowKind
from qms.passwords import hash_demo_password, hash_password, is_password_hash, needs_rehash, verify_password

# An argon2id hash of "change-me", made once with qms.passwords.hash_password.
HASH = "$argon2id$v=19$m=65536,t=3,p=4$npFRf07x0H528NTIxXAByg$OU6ANYW3PKjP03hLKBHF7tyPWE8z1mAmG8DQBAdN2Ew"

BASE = f"""\
[hall]
id = "test-hall"
name = "测试大厅"

[hours]
weekdays = [["09:00", "12:00"], ["13:30", "17:00"]]

[[services]]
id = "tax-filing"
name = "纳税申报"
prefix = "D"

[[services]]
id = "pension"
name = "养老保险待遇申领"
prefix = "A"

[[windows]]
numbers = "1-3"
kind = "general"

[[windows]]
number = 4
kind = "specialized"
services = {{ tax-filing = 2 }}

[[staff]]
username = "admin"
name = "管理员"
role = "admin"
password_hash = "{HASH}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def test_base_loads(tmp_path: Path) -> None:
    loaded = load_hall(write(tmp_path, BASE))
    assert isinstance(loaded, HallFile)
    assert loaded.source == tmp_path / "hall.toml"
    assert loaded.demo is False
    hall = loaded.hall
    assert hall.id == "test-hall"
    assert hall.timezone == "Asia/Shanghai"  # the default
    assert [w.id for w in hall.windows] == ["w1", "w2", "w3", "w4"]
    assert hall.windows[3].weights == (("tax-filing", 2.0),)
    assert hall.hours.on(date(2026, 11, 23)).sessions == ((time(9), time(12)), (time(13, 30), time(17)))
    assert not hall.hours.on(date(2026, 11, 22)).is_open_day  # a Sunday: not given, so closed
    assert hall.policy == model.PolicyConfig()
    assert hall.calling == model.CallingConfig()
    (admin,) = loaded.staff
    assert admin.role is Role.ADMIN and admin.password_hash == HASH
    assert HASH not in repr(admin)
    assert loaded.account("admin") is admin and loaded.account("nobody") is None


# (case id, text of the file, key path named, fragment of the message)
CASES: list[tuple[str, str, str, str]] = [
    ("toml syntax", edited('name = "测试大厅"', "name = 测试大厅"), "", "line 3"),
    ("unknown top-level key", BASE + "\n[extras]\nx = 1\n", "extras", "unknown key"),
    ("typo in service key", edited('prefix = "D"', 'prefx = "D"'), "services[0].prefx", 'did you mean "prefix"'),
    ("typo in hall key", edited('name = "测试大厅"', 'name = "测试大厅"\ntimezon = "UTC"'), "hall.timezon", "timezone"),
    ("missing hall", BASE.replace('[hall]\nid = "test-hall"\nname = "测试大厅"\n', ""), "hall", "missing"),
    ("missing service name", edited('name = "纳税申报"\n', ""), "services[0].name", "missing; expected a non-empty"),
    ("missing hours", edited('[hours]\nweekdays = [["09:00", "12:00"], ["13:30", "17:00"]]\n', ""), "hours", "missing"),
    ("wrong type", edited('prefix = "D"', "prefix = 4"), "services[0].prefix", "got 4; expected a ticket prefix"),
    ("bad prefix", edited('prefix = "D"', 'prefix = "d1"'), "services[0].prefix", "1 or 2 capital letters"),
    ("bad hall id", edited('id = "test-hall"', 'id = "Test Hall"'), "hall.id", "lower-case letters"),
    ("bad service id", edited('id = "pension"', 'id = "养老"'), "services[1].id", "lower-case letters"),
    (
        "unknown timezone",
        edited('name = "测试大厅"', 'name = "测试大厅"\ntimezone = "Asia/Beijing"'),
        "hall.timezone",
        "IANA time zone",
    ),
    (
        "time zone too long for a file name",
        edited('name = "测试大厅"', 'name = "测试大厅"\ntimezone = "' + "长" * 300 + '"'),
        "hall.timezone",
        "IANA time zone",
    ),
    (
        "bad time",
        edited('[["09:00", "12:00"], ["13:30"', '[["9h", "12:00"], ["13:30"'),
        "hours.weekdays[0][0]",
        'got "9h"; expected a 24-hour time "HH:MM"',
    ),
    ("hour 25", edited('"13:30", "17:00"', '"13:30", "25:00"'), "hours.weekdays[1][1]", "24-hour time"),
    ("session reversed", edited('["13:30", "17:00"]', '["17:00", "13:30"]'), "hours.weekdays[1]", "not after"),
    ("sessions overlap", edited('["13:30", "17:00"]', '["11:00", "17:00"]'), "hours.weekdays[1]", "overlaps"),
    ("session of three", edited('["13:30", "17:00"]', '["13:30", "15:00", "17:00"]'), "hours.weekdays[1]", "two times"),
    (
        "no open day",
        edited('weekdays = [["09:00", "12:00"], ["13:30", "17:00"]]', "weekdays = []"),
        "hours",
        "no open day",
    ),
    (
        "negative cutoff",
        edited("[hours]\n", "[hours]\nissue_cutoff_minutes = -5\n"),
        "hours.issue_cutoff_minutes",
        "integer from 0",
    ),
    (
        "special until before date",
        BASE + "[[hours.special]]\ndate = 2026-10-07\nuntil = 2026-10-01\nsessions = []\n",
        "hours.special[0].until",
        "got 2026-10-01",
    ),
    (
        "special date twice",
        BASE + "[[hours.special]]\ndate = 2026-10-01\nuntil = 2026-10-07\nsessions = []\n"
        "[[hours.special]]\ndate = 2026-10-05\nsessions = []\n",
        "hours.special[1].date",
        "hours.special[0]",
    ),
    (
        "special names unknown day",
        BASE + '[[hours.special]]\ndate = 2026-10-10\nsessions = "saturday"\n',
        "hours.special[0].sessions",
        "weekdays",
    ),
    (
        "special bad date",
        BASE + '[[hours.special]]\ndate = "10/01"\nsessions = []\n',
        "hours.special[0].date",
        "a date such as",
    ),
    ("duplicate service id", edited('id = "pension"', 'id = "tax-filing"'), "services[1].id", "services[0]"),
    ("daily cap 0", edited('prefix = "D"', 'prefix = "D"\ndaily_cap = 0'), "services[0].daily_cap", "at least 1"),
    (
        "boolean as integer",
        edited('prefix = "D"', 'prefix = "D"\ndaily_cap = true'),
        "services[0].daily_cap",
        "got true",
    ),
    (
        "handling minutes 0",
        edited('prefix = "D"', 'prefix = "D"\nhandling_minutes = 0'),
        "services[0].handling_minutes",
        "greater than 0",
    ),
    (
        "unknown next step",
        edited('prefix = "D"', 'prefix = "D"\nnext_step = "issuing"'),
        "services[0].next_step",
        "a service of this hall",
    ),
    (
        "band reversed",
        edited('prefix = "D"', 'prefix = "D"\nbands = [{start = "12:00", end = "09:00", quota = 5}]'),
        "services[0].bands[0].end",
        "not after",
    ),
    (
        "band quota missing",
        edited('prefix = "D"', 'prefix = "D"\nbands = [{start = "09:00", end = "12:00"}]'),
        "services[0].bands[0].quota",
        "missing",
    ),
    (
        "services as a table",
        BASE.replace("[[services]]", "[services]", 1).replace(
            '[[services]]\nid = "pension"\nname = "养老保险待遇申领"\nprefix = "A"\n', ""
        ),
        "services",
        "array of tables",
    ),
    (
        "service served by no window",
        edited('prefix = "A"', 'prefix = "A"\ngeneral = false'),
        "services[1]",
        "served by no window",
    ),
    (
        "window unknown service",
        edited("tax-filing = 2", "tax-fling = 2"),
        "windows[1].services.tax-fling",
        'unknown service "tax-fling"',
    ),
    (
        "window unknown service in array",
        edited("{ tax-filing = 2 }", '["tax-filing", "taxes"]'),
        "windows[1].services[1]",
        'unknown service "taxes"',
    ),
    ("window weight 0", edited("tax-filing = 2", "tax-filing = 0"), "windows[1].services.tax-filing", "greater than 0"),
    (
        "window bad kind",
        edited('kind = "specialized"', 'kind = "special"'),
        "windows[1].kind",
        'one of "general", "specialized"',
    ),
    (
        "specialized without services",
        edited("services = { tax-filing = 2 }\n", ""),
        "windows[1].services",
        "specialized window must list",
    ),
    ("window number twice", edited("number = 4", "number = 3"), "windows[1].number", "already used by windows[0]"),
    ("window id twice", edited("number = 4", 'number = 4\nid = "w2"'), "windows[1].id", "already used by windows[0]"),
    ("window range reversed", edited('numbers = "1-3"', 'numbers = "3-1"'), "windows[0].numbers", "low to high"),
    ("window range huge", edited('numbers = "1-3"', 'numbers = "1-30000"'), "windows[0].numbers", "at most 1000"),
    ("window range syntax", edited('numbers = "1-3"', 'numbers = "1..3"'), "windows[0].numbers", '"1-40"'),
    ("window range with id", edited('numbers = "1-3"', 'numbers = "1-3"\nid = "w1"'), "windows[0].id", "not allowed"),
    ("window without number", edited("number = 4\n", ""), "windows[1].number", "missing"),
    (
        "window bad zone",
        edited('kind = "general"', 'kind = "general"\nzone = "一楼"'),
        "windows[0].zone",
        "lower-case letters",
    ),
    ("unknown priority class", BASE + "[policy]\nclass_rates = { vip = 3 }\n", "policy.class_rates.vip", "unknown key"),
    ("priority run 0", BASE + "[policy]\npriority_run = 0\n", "policy.priority_run", "at least 1, or false"),
    ("bad reactivation", BASE + '[policy]\nreactivation = "front"\n', "policy.reactivation", '"keep_place"'),
    ("auto recall true", BASE + "[calling]\nauto_recall_seconds = true\n", "calling.auto_recall_seconds", "or false"),
    (
        "plain password outside demo",
        edited(f'password_hash = "{HASH}"', 'password = "secret"'),
        "staff[0].password",
        "qms hash-password",
    ),
    (
        "password and hash",
        edited(f'password_hash = "{HASH}"', f'password_hash = "{HASH}"\npassword = "x"'),
        "staff[0].password",
        "not both",
    ),
    ("no password", edited(f'password_hash = "{HASH}"', ""), "staff[0].password_hash", "missing"),
    ("truncated hash", edited(HASH, HASH[:40]), "staff[0].password_hash", "not an argon2 hash"),
    ("bad username", edited('username = "admin"', 'username = "Admin"'), "staff[0].username", "lower-case"),
    ("bad role", edited('role = "admin"', 'role = "boss"'), "staff[0].role", '"staff", "admin"'),
    (
        "unknown staff window",
        edited('role = "admin"', 'role = "admin"\nwindows = ["w9"]'),
        "staff[0].windows[0]",
        'unknown window "w9"',
    ),
    (
        "username twice",
        BASE + f'[[staff]]\nusername = "admin"\nname = "x"\npassword_hash = "{HASH}"\n',
        "staff[1].username",
        "staff[0]",
    ),
]


@pytest.mark.parametrize(("text", "key", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_errors_name_file_key_and_expectation(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as caught:
        load_hall(path)
    error = caught.value
    assert isinstance(error, ConfigError)
    assert error.source == path
    assert error.key == key
    assert str(path) in str(error)
    assert f"{path}: {key}" in str(error)
    assert fragment in str(error)


def test_error_names_the_service_or_window(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r'services\[0\]\.prefix \(service "tax-filing"\)'):
        load_hall(write(tmp_path, edited('prefix = "D"', 'prefix = "d"')))
    with pytest.raises(ConfigFileError, match=r'windows\[1\]\.kind \(window "w4"\)'):
        load_hall(write(tmp_path, edited('kind = "specialized"', 'kind = "x"')))


def test_a_pasted_password_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_hall(write(tmp_path, edited(HASH, "hunter2")))
    assert "hunter2" not in str(caught.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read the file"):
        load_hall(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes('[hall]\nname = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigFileError, match="not UTF-8"):
        load_hall(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(BASE.encode("utf-8-sig"))
    assert load_hall(path).hall.id == "test-hall"


def test_validate_hall_errors_are_wrapped_with_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(hall: model.HallConfig) -> None:
        raise ConfigError("service 'x' is inconsistent")

    monkeypatch.setattr(model, "validate_hall", refuse)
    path = write(tmp_path, BASE)
    with pytest.raises(ConfigFileError) as caught:
        load_hall(path)
    assert str(caught.value) == f"invalid_config: {path}: service 'x' is inconsistent"


def test_window_ranges_expand() -> None:
    text = edited(
        'numbers = "1-3"\nkind = "general"',
        'numbers = "1-3"\nkind = "general"\nname = "{n}号综合窗口"\n'
        'zone = "floor2"\nfloor = 2\nservices = { pension = 3 }',
    ) + ('[[windows]]\nnumbers = "10-11"\nid_prefix = "vip-"\nkind = "specialized"\nservices = ["pension"]\n')
    windows = loads_hall(text).hall.windows
    assert [(w.id, w.number, w.name) for w in windows[:3]] == [
        ("w1", 1, "1号综合窗口"),
        ("w2", 2, "2号综合窗口"),
        ("w3", 3, "3号综合窗口"),
    ]
    assert all(w.kind is WindowKind.GENERAL and w.zone == "floor2" and w.floor == 2 for w in windows[:3])
    assert all(w.weights == (("pension", 3.0),) for w in windows[:3])
    assert [(w.id, w.number, w.kind, w.weights) for w in windows[4:]] == [
        ("vip-10", 10, WindowKind.SPECIALIZED, (("pension", 1.0),)),
        ("vip-11", 11, WindowKind.SPECIALIZED, (("pension", 1.0),)),
    ]


def test_overlapping_ranges_are_refused() -> None:
    text = BASE + '[[windows]]\nnumbers = "3-5"\nkind = "general"\n'
    with pytest.raises(
        ConfigFileError, match=r"windows\[2\]\.numbers.*window number 3 is already used by windows\[0\]"
    ):
        loads_hall(text, "x.toml")


def test_hours_shortcuts_overrides_and_special_days() -> None:
    text = edited(
        "[hours]\n",
        '[hours]\nfriday = [["09:00", "12:00"]]\nsaturday = [[09:00:00, 12:00:00]]\nissue_cutoff_minutes = 30\n',
    ) + (
        "[[hours.special]]\ndate = 2026-10-01\nuntil = 2026-10-03\nsessions = []\n"
        '[[hours.special]]\ndate = 2026-10-10\nsessions = "weekdays"\n'
        '[[hours.special]]\ndate = 2026-10-11\nsessions = [["10:00", "11:00"]]\n'
    )
    hours = loads_hall(text).hall.hours
    full = ((time(9), time(12)), (time(13, 30), time(17)))
    assert [d.sessions for d in hours.weekly] == [
        full,
        full,
        full,
        full,
        ((time(9), time(12)),),
        ((time(9), time(12)),),
        (),
    ]
    assert hours.issue_cutoff_minutes == 30
    assert [d for d, _ in hours.special] == [
        date(2026, 10, 1),
        date(2026, 10, 2),
        date(2026, 10, 3),
        date(2026, 10, 10),
        date(2026, 10, 11),
    ]
    assert not hours.on(date(2026, 10, 2)).is_open_day
    assert hours.on(date(2026, 10, 10)).sessions == full  # a Saturday worked as a weekday (调休)
    assert hours.on(date(2026, 10, 11)).sessions == ((time(10), time(11)),)


def test_policy_and_calling() -> None:
    text = BASE + (
        "[policy]\nclass_rates = { booking = 10, normal = 1.5 }\npriority_run = false\nelderly_age = 65\n"
        'reactivation = "keep_place"\n[calling]\nauto_recall_seconds = false\nmax_calls = 2\n'
    )
    hall = loads_hall(text).hall
    assert hall.policy.rate(PriorityClass.GREEN) == 1000.0  # left out: the default
    assert hall.policy.rate(PriorityClass.BOOKING) == 10.0
    assert hall.policy.rate(PriorityClass.NORMAL) == 1.5
    assert hall.policy.priority_run is None
    assert hall.policy.elderly_age == 65
    assert hall.policy.reactivation is Reactivation.KEEP_PLACE
    assert hall.calling.auto_recall_seconds is None
    assert hall.calling.max_calls == 2


def test_demo_passwords_are_hashed_once_per_password(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting_hash(plain: str) -> str:
        calls.append(plain)
        return hash_demo_password(plain)

    monkeypatch.setattr(hall_file, "hash_demo_password", counting_hash)
    text = edited('name = "测试大厅"', 'name = "测试大厅"\ndemo = true') + "".join(
        f'[[staff]]\nusername = "staff{i}"\nname = "窗口{i}"\npassword = "demo123"\nwindows = ["w{i}"]\n'
        for i in range(1, 4)
    )
    loaded = loads_hall(text)
    assert loaded.demo is True
    assert sorted(calls) == ["demo123"]
    staff = loaded.staff[1:]
    assert [s.role for s in staff] == [Role.STAFF] * 3
    assert [s.windows for s in staff] == [("w1",), ("w2",), ("w3",)]
    assert all(s.password_hash.startswith("$argon2id$") for s in staff)
    assert verify_password(staff[0].password_hash, "demo123")
    assert not verify_password(staff[0].password_hash, "demo124")


def test_password_helpers() -> None:
    assert verify_password(HASH, "change-me")  # one full-cost check: argon2 is slow on purpose
    assert is_password_hash(HASH) and not is_password_hash(HASH[:40]) and not is_password_hash("secret")
    assert not needs_rehash(HASH)
    demo = hash_demo_password("admin123")
    assert demo.startswith("$argon2id$") and is_password_hash(demo)
    assert verify_password(demo, "admin123")
    assert not verify_password(demo, "admin124")
    assert not verify_password("not a hash", "admin123")
    assert needs_rehash(demo)  # a server may upgrade it after a good login
    with pytest.raises(ValueError):
        hash_password("")
    with pytest.raises(ValueError):
        hash_demo_password("")


# -- runtime settings ------------------------------------------------------------------------

ENV_VARS = ("QMS_DATA_DIR", "QMS_HOST", "QMS_PORT", "QMS_LOG_LEVEL")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_settings_defaults(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = load_settings()
    assert settings == Settings(data_dir=tmp_path.resolve() / "qms-data")
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8000, "info")
    assert settings.secret_file == settings.data_dir / "secret.key"


def test_environment_wins_over_defaults(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("QMS_DATA_DIR", str(tmp_path / "var"))
    clean_env.setenv("QMS_HOST", "0.0.0.0")
    clean_env.setenv("QMS_PORT", "9000")
    clean_env.setenv("QMS_LOG_LEVEL", "DEBUG")
    settings = load_settings(data_dir=None, host=None, port=None, log_level=None)  # flags not given
    assert settings == Settings(data_dir=tmp_path.resolve() / "var", host="0.0.0.0", port=9000, log_level="debug")


def test_explicit_flags_win_over_environment(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("QMS_PORT", "9000")
    clean_env.setenv("QMS_HOST", "0.0.0.0")
    settings = load_settings(port=8080, data_dir="relative")
    assert settings.port == 8080
    assert settings.host == "0.0.0.0"
    assert settings.data_dir == tmp_path.resolve() / "relative"  # made absolute


def test_empty_environment_variable_counts_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("QMS_PORT", "")
    assert load_settings().port == 8000


def test_explicit_environ_mapping(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("QMS_PORT", "9000")
    assert load_settings(environ={"QMS_PORT": "7000"}).port == 7000


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("QMS_PORT", "eighty", "port 'eighty' from QMS_PORT"),
        ("QMS_PORT", "70000", "0 to 65535"),
        ("QMS_LOG_LEVEL", "loud", "log level 'loud' from QMS_LOG_LEVEL"),
        ("QMS_HOST", "  ", "host from QMS_HOST is empty"),
    ],
)
def test_bad_settings_name_their_source(clean_env: pytest.MonkeyPatch, var: str, value: str, fragment: str) -> None:
    clean_env.setenv(var, value)
    with pytest.raises(ConfigError, match=fragment):
        load_settings()


def test_bad_flag_names_the_command_line(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="from the command line"):
        load_settings(port=-1)
