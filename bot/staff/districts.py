"""Districts staff add without editing the pack's YAML: stored, then laid beside the pack's."""

from __future__ import annotations

from bot.content import Pack
from bot.content.schema import District, Text
from bot.storage.districts import DistrictRepository, StaffDistrict


def merge_into_pack(pack: Pack, districts: list[StaffDistrict]) -> None:
    """Append the stored districts the pack lacks to `pack.districts`, in place, so every
    holder of the pack (handlers, staff checks, the dashboard) sees them at once."""
    known = {d.id for d in pack.districts}
    for district in districts:
        if district.id not in known:
            name = Text(
                ja=district.name_ja,
                en=district.name_en or district.name_ja,
                easy=district.name_easy or None,
            )
            pack.districts.append(District(id=district.id, name=name))
            known.add(district.id)


async def load_staff_districts(repository: DistrictRepository, pack: Pack) -> None:
    merge_into_pack(pack, await repository.all())
