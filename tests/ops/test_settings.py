from __future__ import annotations

from datetime import time

from atende.ops.calendar import WorkingHours
from atende.ops.policy_store import PolicyStore, coverage_name
from atende.ops.settings import OpsSettings


def test_defaults_are_the_contract() -> None:
    settings = OpsSettings.from_env({})
    assert settings.support_hours == WorkingHours()
    assert settings.holidays_subdivision == "São Paulo Capital"
    assert settings.smtp_host is None
    assert coverage_name(settings.support_hours) == "9x5"


def test_hours_days_and_smtp_from_the_environment() -> None:
    settings = OpsSettings.from_env(
        {
            "ATENDE_SUPPORT_HOURS": "08:00-20:00 mon-sat",
            "ATENDE_SUPPORT_HOLIDAYS": "SP",
            "ATENDE_SMTP_HOST": "smtp.corretora.example",
            "ATENDE_SMTP_PORT": "587",
            "ATENDE_SMTP_STARTTLS": "true",
        },
        timezone="America/Manaus",
    )
    assert settings.support_hours == WorkingHours(time(8), time(20), frozenset(range(6)))
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "smtp.corretora.example",
        587,
        True,
    )
    assert coverage_name(settings.support_hours) == "12x6"
    policy = PolicyStore(settings).policy([])
    assert sorted(policy.calendars) == ["12x6", "24x7", "calendar-days"]
    assert coverage_name(WorkingHours(time(18), time(0))) == "6x5"


def test_policy_is_rebuilt_only_when_closures_change() -> None:
    store = PolicyStore(OpsSettings())
    first = store.policy([])
    assert store.policy([]) is first
