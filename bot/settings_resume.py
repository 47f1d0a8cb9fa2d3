"""The resume code's settings (bot/privacy/resume.py), part of bot/settings.py's Settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class ResumeSettings(BaseSettings):
    """How long a resume code lasts and how many tries at typing one are allowed."""

    resume_code_days: int = Field(
        default=30, ge=1, le=365, description="Days a resume code lasts (used once)."
    )
    resume_tries_per_hour: int = Field(
        default=5, ge=1, description="Resume code attempts per person an hour."
    )
    resume_tries_per_source_per_hour: int = Field(
        default=20, ge=1, description="Resume code attempts per web chat source (client address) an hour."
    )
