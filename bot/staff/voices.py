"""地域の声 for staff: triage (state changes), answers, publishing; the CLI and the dashboard
both use this. Every voice keeps its district and every change takes the acting staff member
(StaffActor), so a role limited to districts (issue 25) is checked here once for both."""

from __future__ import annotations

from datetime import datetime

from bot.errors import ChiikiError
from bot.notices import Notices
from bot.staff.actor import StaffActor
from bot.staff.audit import VOICE_ANSWERED, VOICE_PUBLISHED, VOICE_STATE_CHANGED, record
from bot.staff.roles import can_read, read_scope, require_change, require_read
from bot.storage.voices import (
    MAX_ANSWER_CHARS,
    MAX_REASON_CHARS,
    Answer,
    ChangeOutcome,
    Place,
    Voice,
    VoiceKind,
    VoiceRepository,
    VoiceState,
)

# The states staff name (CLI, dashboard), in the order a voice goes through them.
STATE_NAMES = tuple(state.value for state in VoiceState)
# The changes the author is told of (with the answer, the reason or the meeting).
TOLD = frozenset({VoiceState.TAKEN_UP, VoiceState.ANSWERED, VoiceState.DECLINED})


class VoiceError(ChiikiError):
    """A staff change that cannot be made; the message says which field and why."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def map_link(place: Place) -> str | None:
    """The place on OpenStreetMap (no key, no tracking script), for staff to see where it is."""
    lat, lon = place.latitude, place.longitude
    if lat is None or lon is None:
        return None
    return (
        f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=18/{lat:.6f}/{lon:.6f}"
    )


def parse_state(name: str) -> VoiceState:
    try:
        return VoiceState(name)
    except ValueError:
        raise VoiceError(
            f"state: one of {', '.join(STATE_NAMES)}, not {name!r}", "state"
        ) from None


async def find(voices: VoiceRepository, voice_id: int) -> Voice:
    voice = await voices.get(voice_id)
    if voice is None:
        raise VoiceError(f"there is no voice {voice_id}", "voice")
    return voice


async def readable_voice(
    voices: VoiceRepository, voice_id: int, *, actor: StaffActor
) -> Voice | None:
    """The voice, or None when there is none or it is another district's (for a district
    account, which learns nothing of other districts' voices)."""
    voice = await voices.get(voice_id)
    return voice if voice is not None and can_read(actor, voice.district) else None


async def list_voices(
    voices: VoiceRepository,
    district: str | None,
    kind: VoiceKind | None,
    state: VoiceState | None,
    limit: int,
    *,
    actor: StaffActor,
) -> list[Voice]:
    """The newest voices the actor may read (a district account: its districts' and the
    city's own), filtered in the query before the limit; asking for another district's is
    refused."""
    require_read(actor, district)
    return await voices.search(district, kind, state, limit=limit, within=read_scope(actor))


async def change_state(
    voices: VoiceRepository,
    notices: Notices,
    voice_id: int,
    state: VoiceState,
    now: datetime,
    *,
    reason: str | None = None,
    event_id: int | None = None,
    actor: StaffActor,
) -> Voice:
    """Move a voice on. Declining needs a reason and taking it up an event; the author is told
    of both (and of an answer) through the outbox, in the same transaction."""
    reason = (reason or "").strip() or None
    if state is VoiceState.ANSWERED:
        raise VoiceError("an answer is given with its text (answer), not as a bare state", "state")
    if state is VoiceState.DECLINED and reason is None:
        raise VoiceError("reason: say why the city will not act on it", "reason")
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        raise VoiceError(f"reason: at most {MAX_REASON_CHARS} characters", "reason")
    if state is VoiceState.TAKEN_UP and event_id is None:
        raise VoiceError("event: the round-table or council meeting that takes it up", "event")
    require_change(actor, (await find(voices, voice_id)).district)
    outcome = await voices.change_state(
        voice_id,
        state,
        now,
        notices.voice_changed if state in TOLD else None,
        reason=reason,
        event_id=event_id,
    )
    changed = await _checked(voices, voice_id, state, outcome)
    await record(actor, VOICE_STATE_CHANGED, now, "voice", voice_id, state.value)
    return changed


async def answer(
    voices: VoiceRepository,
    notices: Notices,
    voice_id: int,
    ja: str,
    now: datetime,
    *,
    en: str | None = None,
    easy: str | None = None,
    actor: StaffActor,
) -> Voice:
    """The city's answer (Japanese, easy and English optional), sent to the author once."""
    texts = {"answer": ja, "answer-en": en, "answer-easy": easy}
    for name, text in texts.items():
        if text is not None and len(text.strip()) > MAX_ANSWER_CHARS:
            raise VoiceError(f"{name}: at most {MAX_ANSWER_CHARS} characters", name)
    if not ja.strip():
        raise VoiceError("answer: the answer in Japanese is required", "answer")
    given = Answer(ja.strip(), (en or "").strip() or None, (easy or "").strip() or None)
    require_change(actor, (await find(voices, voice_id)).district)
    outcome = await voices.change_state(
        voice_id, VoiceState.ANSWERED, now, notices.voice_changed, answer=given
    )
    answered = await _checked(voices, voice_id, VoiceState.ANSWERED, outcome)
    await record(actor, VOICE_ANSWERED, now, "voice", voice_id)
    return answered


async def publish(
    voices: VoiceRepository, voice_id: int, published: bool, now: datetime, *, actor: StaffActor
) -> Voice:
    """Show the voice (text only, no name) to its district's residents, or stop showing it."""
    require_change(actor, (await find(voices, voice_id)).district)
    if not await voices.set_published(voice_id, published, now):
        raise VoiceError(f"there is no voice {voice_id}", "voice")
    await record(actor, VOICE_PUBLISHED, now, "voice", voice_id, "on" if published else "off")
    return await find(voices, voice_id)


async def _checked(
    voices: VoiceRepository, voice_id: int, state: VoiceState, outcome: ChangeOutcome
) -> Voice:
    if outcome is ChangeOutcome.MISSING:
        raise VoiceError(f"there is no voice {voice_id}", "voice")
    if outcome is ChangeOutcome.NO_EVENT:
        raise VoiceError("event: there is no such event", "event")
    voice = await find(voices, voice_id)
    if outcome is ChangeOutcome.NOT_ALLOWED:
        raise VoiceError(
            f"state: a voice {voice.state.value} cannot become {state.value}", "state"
        )
    return voice
