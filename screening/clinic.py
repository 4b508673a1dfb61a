"""Clinic settings: who sends the summaries, how the clinic works, and where urgent alerts go.

The settings models only; reading and checking the YAML file is in ``clinic_file`` (``load_clinic_settings``).
"""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AlertSettings(BaseModel):
    """Where urgent and emergency submissions are announced: the clinic's duty e-mail address, over SMTP.

    The password is never kept in the file: it comes from the SCREENING_SMTP_PASSWORD environment variable.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    email_to: str = Field(min_length=3, max_length=200)
    email_from: str = Field(min_length=3, max_length=200)
    smtp_host: str = Field(min_length=1, max_length=200)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    smtp_user: str | None = Field(default=None, max_length=200)
    # also POSTed as signed JSON to clinic systems (HMAC-SHA256 with SCREENING_ALERT_WEBHOOK_SECRET), if set
    webhook_url: str | None = Field(default=None, max_length=500)

    @field_validator("webhook_url")
    @classmethod
    def _secure_webhook(cls, value: str | None) -> str | None:
        if value is None or value.startswith("https://"):
            return value
        if urlsplit(value).scheme == "http" and urlsplit(value).hostname in {"127.0.0.1", "localhost", "::1"}:
            return value  # on this machine nothing crosses a network
        raise ValueError("webhook_url must start with https:// (plain http:// only to this machine)")


class ClinicSettings(BaseModel):
    """Who sends the summary (shown in the header of every referral) and how the clinic works."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    address: list[str] = Field(default_factory=list, max_length=6)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=120)
    booking_url: str | None = Field(default=None, max_length=300)  # where patients book the free discovery call
    callback_days: int = Field(default=2, ge=1, le=30)  # "the clinic will contact you within N working days"
    privacy_notice_url: str | None = Field(default=None, max_length=300)  # linked wherever details are asked
    privacy_notice_version: str = Field(default="unversioned", min_length=1, max_length=40)  # stored with consent
    consent_text: str = Field(
        default="By sending these answers you agree that the clinic can use them to prepare for your call and "
        "to contact you about it.",
        min_length=10,
        max_length=600,
    )
    time_zone: str = Field(default="Europe/London", max_length=64)  # every time shown to people; UTC in data
    base_url: str | None = Field(default=None, max_length=200)  # where staff reach the server, for links in alerts
    alerts: AlertSettings | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_text(cls, value: object) -> object:
        if isinstance(value, int | float):  # YAML reads an unquoted 01632960999 as a number and drops the 0
            raise ValueError('write the phone number in quotes, like phone: "01632 960999"')
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"'{value}' is not a time zone name such as Europe/London") from exc
        return value

    @field_validator("base_url", "booking_url", "privacy_notice_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("a web address must start with https:// (or http:// on a private network)")
        return value.rstrip("/") if value else value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def placeholders(self) -> list[str]:
        """What referrals still lack (a real address; a phone number or e-mail); empty once the details are set."""
        missing = []
        if not self.address or any(line.strip().startswith(PLACEHOLDER_ADDRESS) for line in self.address):
            missing.append("a real address")
        if not self.phone and not self.email:
            missing.append("a phone number or e-mail address")
        return missing


PLACEHOLDER_ADDRESS = "Set your clinic address"  # the shipped settings' address line
