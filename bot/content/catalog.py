"""The message catalog: every phrase the bot says, by key, in every language."""

from __future__ import annotations

import string
from pathlib import Path

import yaml

from bot.content.schema import Pack
from bot.core.localized import LANGUAGES, Localized
from bot.errors import PackError

CATALOG_FILE = "messages.yaml"


class Catalog:
    def __init__(self, messages: dict[str, Localized]) -> None:
        self._messages = messages

    def keys(self) -> set[str]:
        return set(self._messages)

    def text(self, key: str, language: str, /, **values: object) -> str:
        """The phrase `key` in `language`, with `{placeholders}` filled from `values`."""
        return self._messages[key].pick(language).format(**values)

    def entries(self) -> dict[str, dict[str, str]]:
        """Every phrase by key and language (a copy), for checks that read them all."""
        return {key: entry.written() for key, entry in self._messages.items()}

    def with_overrides(self, overrides: dict[str, dict[str, str]], where: str) -> Catalog:
        """This catalog with some phrases replaced (a pack's own wording). An override must
        name a key the catalog has and use the same placeholders; PackError names `where`."""
        messages = dict(self._messages)
        for key, entry in overrides.items():
            if key not in messages:
                raise PackError(f"{where}: messages.{key}: no such key in the message catalog")
            expected = _placeholders(messages[key].ja)
            for language in LANGUAGES:
                found = _placeholders(entry[language])
                if found != expected:
                    raise PackError(
                        f"{where}: messages.{key}.{language}: placeholders {sorted(found)}, "
                        f"the catalog has {sorted(expected)}"
                    )
            messages[key] = _localized(entry)
        return Catalog(messages)


def load_catalog(content_dir: Path) -> Catalog:
    """Read content/messages.yaml; refuse a key missing a language or placeholders that differ."""
    path = content_dir / CATALOG_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PackError(f"{path}: cannot read the message catalog: {exc}") from None
    if not isinstance(raw, dict):
        raise PackError(f"{path}: expected a mapping of message keys")
    messages: dict[str, Localized] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise PackError(f"{path}: {key}: expected ja and en texts")
        missing = [lang for lang in LANGUAGES if not isinstance(entry.get(lang), str)]
        if missing:
            raise PackError(f"{path}: {key}: missing {', '.join(missing)}")
        fields = {lang: _placeholders(entry[lang]) for lang in LANGUAGES}
        if len({frozenset(f) for f in fields.values()}) != 1:
            raise PackError(f"{path}: {key}: the languages use different placeholders {fields}")
        messages[str(key)] = _localized(entry)
    return Catalog(messages)


def _localized(entry: dict[str, str]) -> Localized:
    """A catalog entry (every language written), without YAML's closing line break."""
    return Localized.from_mapping({lang: entry[lang].rstrip("\n") for lang in LANGUAGES})


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_pack_catalog(content_dir: Path, pack: Pack) -> Catalog:
    """The catalog as `pack`'s residents read it: its `messages` replace the shared phrases."""
    overrides = {key: message.model_dump() for key, message in pack.messages.items()}
    return load_catalog(content_dir).with_overrides(overrides, f"{content_dir / pack.id}")
