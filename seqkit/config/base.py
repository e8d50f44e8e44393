"""Base class shared by every configuration section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A configuration section: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, validate_default=True
    )
