"""The job's configuration: the [schedule] table of publisher.toml, PUBLISHER_SCHEDULE_* over it,
and the clock in its time zone. Read once per command, checked before anything runs."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytz

from publisher.settings import ROOT, settings

CONFIG_FILE = ROOT / "publisher.toml"
VAR_FILES = {"run_log": "run-log.jsonl", "status_file": "last-run.json", "lock_file": "publisher.lock",
             "validated_file": "validated.json"}
ENV_PREFIX = "PUBLISHER_SCHEDULE_"


class ConfigError(ValueError):
    """publisher.toml or a PUBLISHER_SCHEDULE_* variable holds a value the job cannot use."""


@dataclass(frozen=True)
class Config:
    every: str = "day"             # "day", or "<N>h"
    at: str = "02:00"              # HH:MM, with every = "day"
    timezone: str = "Asia/Bangkok"
    portal: str = ""               # CKAN address; empty = the local portal
    prune: bool = False
    run_log: Path = ROOT / "var" / "run-log.jsonl"          # paths: the defaults are in the var folder
    status_file: Path = ROOT / "var" / "last-run.json"     # (PUBLISHER_VAR_DIR, default <catalog>/var)
    lock_file: Path = ROOT / "var" / "publisher.lock"
    validated_file: Path = ROOT / "var" / "validated.json"
    lock_wait: float = 10.0        # seconds sync and build wait for a run that holds the lock

    @property
    def hours(self) -> int | None:
        """The interval of an every-N-hours schedule; None for a daily one."""
        return None if self.every == "day" else int(self.every[:-1])

    def describe(self) -> str:
        if self.hours is None:
            return f"daily at {self.at} {self.timezone}"
        return f"every {self.hours} hour(s)"


_AT = re.compile(r"([01]\d|2[0-3]):[0-5]\d\Z")
_HOURS = re.compile(r"[1-9]\d*h\Z")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def load_config(path: Path = CONFIG_FILE, env: dict[str, str] | None = None) -> Config:
    """The [schedule] table of publisher.toml, then PUBLISHER_SCHEDULE_<KEY> over it."""
    env = os.environ if env is None else env
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("schedule", {}) if path.exists() else {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    keys = {f.name for f in Config.__dataclass_fields__.values()}
    unknown = set(table) - keys
    if unknown:
        raise ConfigError(f"{path}: unknown [schedule] keys {sorted(unknown)}; known: {sorted(keys)}")
    values = dict(table)
    for key in keys:
        if ENV_PREFIX + key.upper() in env:
            values[key] = env[ENV_PREFIX + key.upper()]
    var = settings(env).var
    for key, name in VAR_FILES.items():
        values.setdefault(key, var / name)
    return _checked(values, path)


def _checked(values: dict, source: Path) -> Config:
    config = Config()
    every = str(values.get("every", config.every)).strip().lower()
    if every != "day" and not _HOURS.match(every):
        raise ConfigError(f'every must be "day" or a number of hours such as "6h", not {every!r}')
    at = str(values.get("at", config.at)).strip()
    if not _AT.match(at):
        raise ConfigError(f"at must be a time of day HH:MM (00:00 to 23:59), not {at!r}")
    timezone = str(values.get("timezone", config.timezone)).strip()
    try:
        pytz.timezone(timezone)
    except pytz.UnknownTimeZoneError:
        raise ConfigError(f"timezone must be an IANA time zone such as Asia/Bangkok, not {timezone!r}") from None
    prune = values.get("prune", config.prune)
    if isinstance(prune, str):
        if prune.strip().lower() not in _TRUE | _FALSE:
            raise ConfigError(f"prune must be true or false, not {prune!r}")
        prune = prune.strip().lower() in _TRUE
    paths = {key: _path(values.get(key, getattr(config, key)))
             for key in ("run_log", "status_file", "lock_file", "validated_file")}
    try:
        lock_wait = float(values.get("lock_wait", config.lock_wait))
    except (TypeError, ValueError):
        lock_wait = -1.0
    if not 0 <= lock_wait <= 3600:
        raise ConfigError(f"lock_wait must be a number of seconds from 0 to 3600, not {values.get('lock_wait')!r}")
    return Config(every=every, at=at, timezone=timezone, portal=str(values.get("portal", "")).strip().rstrip("/"),
                  prune=bool(prune), lock_wait=lock_wait, **paths)


def _path(value) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else ROOT / path


def now(config: Config) -> datetime:
    return datetime.now(ZoneInfo(config.timezone))


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
