"""Load and check content packs: content/<pack>/pack.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.content.answers import check_answer_files
from bot.content.catalog import load_catalog
from bot.content.schema import Pack, missing_texts
from bot.errors import PackError

PACK_FILE = "pack.yaml"


def list_packs(content_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in content_dir.glob(f"*/{PACK_FILE}"))


def load_pack(content_dir: Path, name: str) -> Pack:
    """Read and validate one pack. Raises PackError naming the file and the field at fault."""
    path = content_dir / name / PACK_FILE
    if not path.is_file():
        available = ", ".join(list_packs(content_dir)) or "none"
        raise PackError(f"{path}: no such pack (available: {available}); check CHIIKI_PACK")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: not valid YAML: {exc}") from None
    try:
        pack = Pack.model_validate(raw)
    except ValidationError as exc:
        raise PackError(f"{path}: {_describe(exc)}") from None
    if pack.id != name:
        raise PackError(f"{path}: id: {pack.id!r} must match its folder name {name!r}")
    return pack


def check_packs(content_dir: Path) -> list[str]:
    """Validate every pack; return one line per problem, text missing in a language included
    (the bot shows Japanese in its place, but a resident who chose another language should not
    have to read it)."""
    problems = []
    try:
        catalog = load_catalog(content_dir)
    except PackError as exc:
        problems.append(str(exc))
        catalog = None
    for name in list_packs(content_dir):
        try:
            pack = load_pack(content_dir, name)
            if catalog is not None:
                overrides = {key: m.model_dump() for key, m in pack.messages.items()}
                catalog.with_overrides(overrides, str(content_dir / name / PACK_FILE))
        except PackError as exc:
            problems.append(str(exc))
            continue
        path = content_dir / name / PACK_FILE
        problems += [f"{path}: {gap}: missing" for gap in missing_texts(pack)]
        problems += check_answer_files(content_dir, pack)
    return problems


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)
