"""The `schedule:` block of finops.yml: when the clock runs each job."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_crontab(value: str | None) -> str | None:
    """A five-field crontab line (minute hour day month day-of-week) or "off"."""
    if value is None or value == "off":
        return value

    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f'"{value}" must be 5 crontab fields (like "0 9 * * mon") or "off"')
    if any(ch.isdigit() for ch in fields[4]):
        raise ValueError(
            f'day of week "{fields[4]}": use names like mon or mon-fri '
            "(cron and APScheduler number the days differently)"
        )
    from apscheduler.triggers.cron import CronTrigger  # only when a schedule is configured

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f'"{value}" is not a valid schedule: {exc}') from None
    return value


class ScheduleConfig(_Strict):
    """When the clock runs the jobs (`schedule:`): crontab lines in `timezone`, or "off"."""

    timezone: str = "UTC"
    anomalies: str = "5 */6 * * *"
    budgets: str = "15 7 * * *"
    digest: str = "0 9 * * mon"
    #: Schedules of other jobs by name (for example housekeeping).
    jobs: dict[str, str] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'"{value}" is not a time zone name (like Europe/Paris)') from None
        return value

    @field_validator("anomalies", "budgets", "digest")
    @classmethod
    def _cron(cls, value: str) -> str:
        return str(_check_crontab(value))

    @field_validator("jobs")
    @classmethod
    def _crons(cls, value: dict[str, str]) -> dict[str, str]:
        for line in value.values():
            _check_crontab(line)
        return value

    def for_job(self, name: str) -> str | None:
        """The configured crontab line (or "off") for job `name`, None when not configured."""
        if name in ("anomalies", "budgets", "digest"):
            return str(getattr(self, name))
        return self.jobs.get(name)
