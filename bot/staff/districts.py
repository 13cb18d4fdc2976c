"""Districts staff add without editing the pack's YAML: stored, then laid beside the pack's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.content import Pack
from bot.content.schema import District, Text
from bot.staff.actor import StaffActor
from bot.staff.audit import DISTRICT_ADDED, record
from bot.staff.roles import can_change, can_read, require_admin
from bot.storage.districts import DistrictRepository, StaffDistrict


def unknown_district(pack: Pack, district: str | None) -> str | None:
    """What is wrong with a district id staff gave, e.g. "unknown 'x' (known: east, west)";
    None when it is the pack's (or a stored one) or no district (city-wide)."""
    if district is None or pack.district(district) is not None:
        return None
    known = ", ".join(d.id for d in pack.districts) or "none in this pack"
    return f"unknown {district!r} (known: {known})"


@dataclass(frozen=True)
class DistrictChoices:
    """What a form's district field offers: the districts, and whether "city-wide" too."""

    districts: list[District]
    city_wide: bool


def districts_to_change(pack: Pack, actor: StaffActor) -> DistrictChoices:
    """For a form that creates (a poll, an event, a notice): the districts the actor may
    create in; city-wide only for an admin."""
    return DistrictChoices(
        [d for d in pack.districts if can_change(actor, d.id)], can_change(actor, None)
    )


def districts_to_read(pack: Pack, actor: StaffActor) -> DistrictChoices:
    """For a filter: the districts the actor may read (city-wide items are read by all)."""
    return DistrictChoices([d for d in pack.districts if can_read(actor, d.id)], True)


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


async def add_district(
    repository: DistrictRepository,
    pack: Pack,
    district: StaffDistrict,
    now: datetime,
    *,
    actor: StaffActor,
) -> bool:
    """Store a district staff add and lay it beside the pack's at once; False when its id is
    taken (the pack's, or one stored meanwhile). Admins only."""
    require_admin(actor)
    if pack.district(district.id) is not None or not await repository.add(district, now):
        return False
    merge_into_pack(pack, [district])
    await record(actor, DISTRICT_ADDED, now, "district", district.id)
    return True
