"""/voice (声を届ける): send an opinion, a problem or a question to the district, and read and
support (賛同) the district's published voices.

The steps: kind → text → place (a map pin, a typed name, or none) → photo (or none) → may
staff contact you → confirm → stored, with a receipt number. What the resident wrote (and the
photo, EXIF already stripped) waits in their conversation state, which expires on its own, until
they confirm; nothing of it is logged.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
from datetime import timedelta

from bot.core import Ask, Attachment, AttachmentKind, Card, Channel, Choice, Reply
from bot.core.choices import encode_choice, parse_number
from bot.core.commands import VOICE
from bot.core.text import normalize_input
from bot.errors import AttachmentError
from bot.images import NotAPhotoError, clean_photo
from bot.storage.voices import (
    MAX_PLACE_CHARS,
    MAX_VOICE_CHARS,
    VOICES_PER_DAY,
    NewVoice,
    Photo,
    Place,
    SendOutcome,
    VoiceKind,
    VoiceRepository,
)
from handlers.context import HandlerContext
from handlers.menu import back_to_menu, command_choice
from handlers.routing import Request
from handlers.settings import district_name

KIND_CHOICE = "vkind"
SKIP_PLACE_CHOICE = "vnoplace"
SKIP_PHOTO_CHOICE = "vnophoto"
CONTACT_CHOICE = "vcontact"
SEND_CHOICE = "vsend"
CANCEL_CHOICE = "vcancel"
QUESTION_CHOICE = "vquestion"
LIST_CHOICE = "vlist"
SUPPORT_CHOICE = "vsupport"
WRITING = "voice_text"
PLACING = "voice_place"
PHOTOGRAPHING = "voice_photo"
CONTACTING = "voice_contact"
CONFIRMING = "voice_confirm"
# An unanswered question, kept so 「市に質問を送る」 can send it.
OFFERED = "voice_offered"
STATE_TTL = timedelta(minutes=30)
SHOWN = 10
# A published voice on a card: the start of it, as a list shows it.
CARD_CHARS = 200
# A phone's photo; the web chat takes at most 5 MB too. Larger ones are refused unread.
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PLACE_KINDS = frozenset({AttachmentKind.LOCATION})
PHOTO_KINDS = frozenset({AttachmentKind.PHOTO})
# Where a resident can send a map pin; elsewhere (the web chat, the console) a place is typed.
PIN_CHANNELS = frozenset({Channel.LINE, Channel.TELEGRAM})

logger = logging.getLogger(__name__)


def _voices(ctx: HandlerContext) -> VoiceRepository:
    assert ctx.services.voices is not None, "voices are assembled in bot/runtime.py"
    return ctx.services.voices


def _voice_button(ctx: HandlerContext) -> Choice:
    return command_choice(ctx, VOICE)


def kind_label(ctx: HandlerContext, kind: VoiceKind | str) -> str:
    return ctx.t(f"voices.kind.{VoiceKind(kind).value}")


async def _too_many(ctx: HandlerContext) -> bool:
    return await _voices(ctx).sent_since(ctx.resident.id, ctx.now) >= VOICES_PER_DAY


def _refusal(ctx: HandlerContext) -> list[Reply]:
    return [Reply(ctx.t("voices.too_many", count=VOICES_PER_DAY), (back_to_menu(ctx),))]


async def _refused_before_writing(request: Request, ctx: HandlerContext) -> list[Reply] | None:
    """The resident's daily limit, then their address's hourly one (the web chat: fresh
    identities are cheap there), asked before they write anything."""
    if await _too_many(ctx):
        await ctx.services.conversations.leave(ctx.resident.id)
        return _refusal(ctx)
    if await _voices(ctx).address_busy(request.message.client_address, ctx.now):
        await ctx.services.conversations.leave(ctx.resident.id)
        return [Reply(ctx.t("voices.address_busy"), (back_to_menu(ctx),))]
    return None


async def start(request: Request, ctx: HandlerContext) -> list[Reply]:
    if request.args[:1] == ("list",):
        return await list_published(request, ctx)
    await ctx.services.conversations.leave(ctx.resident.id)
    choices = [
        Choice(kind_label(ctx, kind), encode_choice(KIND_CHOICE, kind.value)) for kind in VoiceKind
    ]
    choices.append(Choice(ctx.t("voices.published_button"), LIST_CHOICE))
    return [Reply(ctx.t("voices.intro"), (*choices, back_to_menu(ctx)))]


async def choose_kind(request: Request, ctx: HandlerContext) -> list[Reply]:
    args = request.choice.args if request.choice else ()
    if not args or args[0] not in {kind.value for kind in VoiceKind}:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    if refused := await _refused_before_writing(request, ctx):
        return refused
    await ctx.services.conversations.enter(
        ctx.resident.id, WRITING, ctx.now + STATE_TTL, {"kind": args[0]}
    )
    return [Reply(ctx.t("voices.ask_text", limit=MAX_VOICE_CHARS), (back_to_menu(ctx),))]


async def receive_text(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.state is not None
    # The dispatcher refuses anything longer than MAX_INPUT_CHARS (the same 1,000) before this.
    data = {**request.state.data, "text": request.text[:MAX_VOICE_CHARS]}
    return await _ask_place(ctx, data, request.message.channel)


async def _ask_place(
    ctx: HandlerContext, data: dict[str, object], channel: Channel
) -> list[Reply]:
    await ctx.services.conversations.enter(ctx.resident.id, PLACING, ctx.now + STATE_TTL, data)
    skip = Choice(ctx.t("voices.no_place"), SKIP_PLACE_CHOICE)
    if channel not in PIN_CHANNELS:
        return [Reply(ctx.t("voices.ask_place_typed"), (skip, back_to_menu(ctx)))]
    # LINE shows its map picker for this button; Telegram's paperclip sends a pin without one.
    pin = Ask(AttachmentKind.LOCATION, ctx.t("voices.place_button"))
    return [Reply(ctx.t("voices.ask_place"), (skip, back_to_menu(ctx)), asks=(pin,))]


async def receive_place(request: Request, ctx: HandlerContext) -> list[Reply]:
    """A map pin (LINE, Telegram) or a typed place name."""
    assert request.state is not None
    pins = [a.location for a in request.attachments if a.location is not None]
    if pins:
        pin = pins[0]
        # The platform's place name, cleaned like typed text (no ESC, no U+202E for staff).
        named = normalize_input(" ".join((pin.title or pin.address or "").split()))
        named = named[:MAX_PLACE_CHARS] or None
        place = {"place": named, "lat": pin.latitude, "lon": pin.longitude}
        return await _ask_photo(ctx, {**request.state.data, **place})
    name = " ".join(request.text.split())
    if len(name) > MAX_PLACE_CHARS:
        skip = Choice(ctx.t("voices.no_place"), SKIP_PLACE_CHOICE)
        return [Reply(ctx.t("voices.place_too_long", limit=MAX_PLACE_CHARS), (skip,))]
    return await _ask_photo(ctx, {**request.state.data, "place": name})


async def skip_place(request: Request, ctx: HandlerContext) -> list[Reply]:
    state = await ctx.services.conversations.current(ctx.resident.id, ctx.now)
    if state is None or state.state != PLACING:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    return await _ask_photo(ctx, {**state.data, "place": None})


async def _ask_photo(ctx: HandlerContext, data: dict[str, object]) -> list[Reply]:
    await ctx.services.conversations.enter(
        ctx.resident.id, PHOTOGRAPHING, ctx.now + STATE_TTL, data
    )
    return [_photo_prompt(ctx)]


def _photo_prompt(ctx: HandlerContext) -> Reply:
    """The photo step's question, with the button that opens the photo picker (LINE's camera
    roll, the web chat's file picker)."""
    skip = Choice(ctx.t("voices.no_photo"), SKIP_PHOTO_CHOICE)
    pick = Ask(AttachmentKind.PHOTO, ctx.t("voices.photo_button"))
    return Reply(ctx.t("voices.ask_photo"), (skip, back_to_menu(ctx)), asks=(pick,))


async def receive_photo(request: Request, ctx: HandlerContext) -> list[Reply]:
    """A photo, kept without EXIF (no camera position, time or device) from the start."""
    assert request.state is not None
    photos = [a for a in request.attachments if a.kind is AttachmentKind.PHOTO]
    if not photos:  # typed text while a photo was asked for
        return [_photo_prompt(ctx)]
    cleaned = await _clean_photo(photos[0])
    if cleaned is None:
        refused = ctx.t("voices.photo_refused", megabytes=MAX_PHOTO_BYTES >> 20)
        return [dataclasses.replace(_photo_prompt(ctx), text=refused)]
    media_type, data = cleaned
    photo = {"photo_type": media_type, "photo": base64.b64encode(data).decode("ascii")}
    return await _ask_contact(ctx, {**request.state.data, **photo})


async def _clean_photo(attachment: Attachment) -> tuple[str, bytes] | None:
    try:
        return await clean_photo(await attachment.fetch(MAX_PHOTO_BYTES))
    except (AttachmentError, NotAPhotoError) as exc:
        logger.info("a voice's photo was refused: %s", type(exc).__name__)
        return None


async def skip_photo(request: Request, ctx: HandlerContext) -> list[Reply]:
    state = await ctx.services.conversations.current(ctx.resident.id, ctx.now)
    if state is None or state.state != PHOTOGRAPHING:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    return await _ask_contact(ctx, dict(state.data))


async def _ask_contact(
    ctx: HandlerContext, data: dict[str, object], lead: str | None = None
) -> list[Reply]:
    await ctx.services.conversations.enter(ctx.resident.id, CONTACTING, ctx.now + STATE_TTL, data)
    choices = (
        Choice(ctx.t("voices.contact_yes"), encode_choice(CONTACT_CHOICE, "yes")),
        Choice(ctx.t("voices.contact_no"), encode_choice(CONTACT_CHOICE, "no")),
    )
    question = ctx.t("voices.ask_contact")
    return [Reply(f"{lead}\n{question}" if lead else question, choices)]


async def answer_contact(request: Request, ctx: HandlerContext) -> list[Reply]:
    state = await ctx.services.conversations.current(ctx.resident.id, ctx.now)
    if state is None or state.state != CONTACTING or request.choice is None:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    data = {**state.data, "contact": request.choice.args == ("yes",)}
    await ctx.services.conversations.enter(ctx.resident.id, CONFIRMING, ctx.now + STATE_TTL, data)
    text = ctx.t(
        "voices.confirm",
        kind=kind_label(ctx, str(data["kind"])),
        text=data["text"],
        place=_place_words(ctx, data),
        photo=ctx.t("voices.photo_yes" if data.get("photo") else "voices.photo_none"),
        contact=ctx.t("voices.contact_yes" if data["contact"] else "voices.contact_no"),
    )
    choices = (
        Choice(ctx.t("voices.send"), SEND_CHOICE),
        Choice(ctx.t("voices.cancel"), CANCEL_CHOICE),
    )
    return [Reply(text, choices)]


async def send(request: Request, ctx: HandlerContext) -> list[Reply]:
    conversations = ctx.services.conversations
    state = await conversations.current(ctx.resident.id, ctx.now)
    if state is None or state.state != CONFIRMING:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    data = state.data
    place = data.get("place")
    photo = None
    if data.get("photo"):
        photo = Photo(str(data["photo_type"]), base64.b64decode(str(data["photo"])))
    lat, lon = data.get("lat"), data.get("lon")
    voice = NewVoice(
        resident_id=ctx.resident.id,
        kind=VoiceKind(str(data["kind"])),
        body=str(data["text"]),
        language=ctx.language,
        district=ctx.resident.district,
        place=Place(
            name=str(place) if place else None,
            latitude=float(str(lat)) if lat is not None else None,
            longitude=float(str(lon)) if lon is not None else None,
        ),
        photo=photo,
        contact_ok=bool(data.get("contact")),
    )
    outcome, stored = await _voices(ctx).send(voice, ctx.now, request.message.client_address)
    if outcome is SendOutcome.ADDRESS_BUSY:
        # Kept while the conversation state lives: 送る later sends what they wrote.
        again = (
            Choice(ctx.t("voices.send"), SEND_CHOICE),
            Choice(ctx.t("voices.cancel"), CANCEL_CHOICE),
        )
        return [Reply(ctx.t("voices.address_busy"), again)]
    await conversations.leave(ctx.resident.id)
    if outcome is SendOutcome.TOO_MANY or stored is None:
        return _refusal(ctx)
    return [Reply(ctx.t("voices.sent", receipt=stored.receipt), (back_to_menu(ctx),))]


def _place_words(ctx: HandlerContext, data: dict[str, object]) -> str:
    if data.get("lat") is not None:
        if data.get("place"):
            return ctx.t("voices.place_with_pin", place=data["place"])
        return ctx.t("voices.place_pin")
    return str(data.get("place") or ctx.t("voices.place_none"))


async def cancel(request: Request, ctx: HandlerContext) -> list[Reply]:
    await ctx.services.conversations.leave(ctx.resident.id)
    return [Reply(ctx.t("voices.cancelled"), (_voice_button(ctx), back_to_menu(ctx)))]


async def offer_question(ctx: HandlerContext, question: str) -> Choice | None:
    """The 「市に質問を送る」 button under an unanswered question: the text waits in the
    conversation state until it is tapped (choice data cannot carry it)."""
    if ctx.services.voices is None or not question.strip():
        return None
    await ctx.services.conversations.enter(
        ctx.resident.id, OFFERED, ctx.now + STATE_TTL, {"text": question[:MAX_VOICE_CHARS]}
    )
    return Choice(ctx.t("voices.offer_question"), QUESTION_CHOICE)


async def send_question(request: Request, ctx: HandlerContext) -> list[Reply]:
    """「市に質問を送る」 tapped: the question goes on as a 質問 voice, from the contact step."""
    state = await ctx.services.conversations.current(ctx.resident.id, ctx.now)
    if state is None or state.state != OFFERED:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    if refused := await _refused_before_writing(request, ctx):
        return refused
    data = {"kind": VoiceKind.QUESTION.value, "text": state.data["text"], "place": None}
    # Said first: the tap alone does not tell the resident where their question goes.
    return await _ask_contact(ctx, data, ctx.t("voices.question_lead"))


async def list_published(request: Request, ctx: HandlerContext) -> list[Reply]:
    voices = await _voices(ctx).published_in(ctx.resident.district, SHOWN)
    district = (
        district_name(ctx) if ctx.resident.district else ctx.local(ctx.pack.municipality.name)
    )
    if not voices:
        return [Reply(ctx.t("voices.published_none", district=district), (_voice_button(ctx),))]
    mine = await _voices(ctx).supported_by(ctx.resident.id, [v.id for v in voices])
    cards = []
    for voice in voices:
        body = voice.body if len(voice.body) <= CARD_CHARS else voice.body[:CARD_CHARS] + "…"
        lines = [body, ctx.t("voices.supports", count=voice.supports)]
        if voice.answer is not None:
            lines.append(ctx.t("voices.answer_line", answer=ctx.staff(voice.answer)))
        choices: tuple[Choice, ...] = ()
        if voice.id not in mine:
            data = encode_choice(SUPPORT_CHOICE, str(voice.id))
            choices = (Choice(ctx.t("voices.support_button"), data),)
        title = f"{kind_label(ctx, voice.kind)} {voice.receipt}"
        cards.append(Card(title, tuple(lines), choices))
    text = ctx.t("voices.published_heading", district=district)
    return [Reply(text, (_voice_button(ctx), back_to_menu(ctx)), cards=tuple(cards))]


async def support(request: Request, ctx: HandlerContext) -> list[Reply]:
    args = request.choice.args if request.choice else ()
    voice_id = parse_number(args[0]) if args else None
    voice = await _voices(ctx).get(voice_id) if voice_id is not None else None
    # Only a published voice of the resident's own district, as the list offers them.
    if voice is None or not voice.published or voice.district != ctx.resident.district:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    added = await _voices(ctx).support(voice.id, ctx.resident.id, ctx.now)
    if added is None:
        return [Reply(ctx.t("fallback.stale_choice"), (_voice_button(ctx),))]
    back = (Choice(ctx.t("voices.published_button"), LIST_CHOICE), back_to_menu(ctx))
    if not added:
        return [Reply(ctx.t("voices.already_supported"), back)]
    now_held = await _voices(ctx).get(voice.id)
    count = now_held.supports if now_held is not None else voice.supports + 1
    return [Reply(ctx.t("voices.supported", count=count), back)]
