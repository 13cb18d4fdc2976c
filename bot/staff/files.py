"""Reading a staff YAML file into a pydantic model, with one error line naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.errors import ChiikiError

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path, model: type[M], error: type[ChiikiError]) -> M:
    """Parse and validate `path`; raise `error` with "FILE: field: problem"."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    return parse_yaml_model(text, str(path), model, error)


def parse_yaml_model(text: str, source: str, model: type[M], error: type[ChiikiError]) -> M:
    """The same for YAML text (an upload in the dashboard), `source` naming it in errors."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: cannot read: {exc}") from None
    return validate_model(raw, source, model, error)


def validate_model(raw: Any, source: str, model: type[M], error: type[ChiikiError]) -> M:
    """Validate parsed data (a file, or a dashboard form); raise `error` naming the field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in first["loc"])
        # A whole-file check names its own field in its message.
        raise error(f"{source}: {where}: {message}" if where else f"{source}: {message}") from None


class StaffSpec(BaseModel):
    """Base of every staff file model: an unknown field is an error, never ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def japanese_only(value: Any) -> Any:
    """A plain string in a file means Japanese text with no English: {"ja": value}."""
    return {"ja": value} if isinstance(value, str) else value
