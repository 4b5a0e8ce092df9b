"""Runtime settings of the server process: where its data lives and where it listens.

These are not hall configuration (that is the hall file); they describe one running
process, so they come from the environment and the command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ConfigError

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
DEFAULT_DATA_DIR = Path("qms-data")


@dataclass(frozen=True, slots=True)
class Settings:
    """Settings of one server process; build it with `load_settings`."""

    data_dir: Path  # absolute: the database, the secret and voice files live here
    host: str = "127.0.0.1"  # loopback unless told otherwise: a hall LAN is not the internet
    port: int = 8000
    log_level: str = "info"
    # MQTT (devices): QMS_MQTT_URL mqtt://user:password@host:port of the hall's own broker;
    # None runs a managed Mosquitto on 127.0.0.1 (port QMS_MQTT_PORT, default 1883 or a free
    # one), also before the hall has devices, so that the first one added signs in at once;
    # "off" runs none.
    mqtt_url: str | None = None
    mqtt_port: int | None = None
    public_url: str | None = None  # QMS_PUBLIC_URL: base of the ticket QR codes' links

    @property
    def secret_file(self) -> Path:
        """The file holding the key that signs session cookies (made on first start)."""
        return self.data_dir / "secret.key"


def load_settings(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    host: str | None = None,
    port: int | str | None = None,
    log_level: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from, in order of precedence:

    1. an explicit command-line value (an argument here that is not None);
    2. the environment: QMS_DATA_DIR, QMS_HOST, QMS_PORT, QMS_LOG_LEVEL (an empty one counts as unset);
    3. the defaults: ./qms-data, 127.0.0.1, 8000, info.

    So QMS_* variables win over every default (a container sets them once), and a flag typed
    on the command line wins over them, as a person typing it expects. The CLI must therefore
    pass None for flags the user did not give (argparse `default=None`). `environ` defaults to
    os.environ. A bad value raises ConfigError naming where it came from.
    """
    env = os.environ if environ is None else environ

    def pick(given: object, var: str, default: str) -> tuple[str, str]:
        if given is not None:
            return str(given), "the command line"
        if env.get(var):
            return env[var], var
        return default, "the default"

    raw_dir, _ = pick(data_dir, "QMS_DATA_DIR", str(DEFAULT_DATA_DIR))
    raw_host, host_from = pick(host, "QMS_HOST", "127.0.0.1")
    raw_port, port_from = pick(port, "QMS_PORT", "8000")
    raw_level, level_from = pick(log_level, "QMS_LOG_LEVEL", "info")

    if not raw_host.strip():
        raise ConfigError(f"host from {host_from} is empty; expected an address such as 127.0.0.1 or 0.0.0.0")
    try:
        port_number = int(raw_port.strip())
    except ValueError:
        port_number = -1
    if not 0 <= port_number <= 65535:
        raise ConfigError(f"port {raw_port!r} from {port_from}: expected a number from 0 to 65535")
    level = raw_level.strip().lower()
    if level not in LOG_LEVELS:
        raise ConfigError(f"log level {raw_level!r} from {level_from}: expected one of {', '.join(LOG_LEVELS)}")
    mqtt_port: int | None = None
    if env.get("QMS_MQTT_PORT"):
        try:
            mqtt_port = int(env["QMS_MQTT_PORT"].strip())
        except ValueError:
            mqtt_port = -1
        if not 0 < mqtt_port <= 65535:
            raise ConfigError(f"port {env['QMS_MQTT_PORT']!r} from QMS_MQTT_PORT: expected a number from 1 to 65535")
    return Settings(
        # Absolute now, so a later chdir (or a daemon's cwd of /) cannot move the data.
        data_dir=Path(raw_dir).expanduser().resolve(),
        host=raw_host.strip(),
        port=port_number,
        log_level=level,
        mqtt_url=env.get("QMS_MQTT_URL", "").strip() or None,
        mqtt_port=mqtt_port,
        public_url=env.get("QMS_PUBLIC_URL", "").strip().rstrip("/") or None,
    )
