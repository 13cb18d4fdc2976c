"""Load and check content packs: content/<pack>/pack.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.content.answers import FAQ_FILE, check_answer_files, load_faq
from bot.content.catalog import CATALOG_FILE, load_catalog
from bot.content.easy_check import check_catalog, check_faq, check_pack
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
    """Validate every pack and the catalog; return one line per problem: text missing in a
    language (the bot shows Japanese in its place, but a resident who chose another language
    should not have to read it) and easy Japanese that breaks the guidelines (easy_check)."""
    problems = []
    try:
        catalog = load_catalog(content_dir)
        problems += [
            str(fault) for fault in check_catalog(catalog, str(content_dir / CATALOG_FILE))
        ]
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
        problems += [str(fault) for fault in check_pack(pack, str(path))]
        problems += check_answer_files(content_dir, pack)
        try:
            faq = load_faq(content_dir, pack)
        except PackError:
            continue  # check_answer_files said why
        problems += [
            str(fault) for fault in check_faq(faq, pack, str(content_dir / name / FAQ_FILE))
        ]
    return problems


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)
