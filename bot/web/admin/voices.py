"""The 声 pages (地域の声): the list by district, kind and state; one voice with its photo and
map link; moving it on, answering it, publishing it."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.choices import parse_number
from bot.staff import voices as staff_voices
from bot.staff.events import readable_events
from bot.staff.voices import VoiceError, list_voices, map_link, readable_voice
from bot.storage.voices import (
    MAX_ANSWER_CHARS,
    MAX_REASON_CHARS,
    NEXT_STATES,
    VoiceKind,
    VoiceRepository,
    VoiceState,
)
from bot.web.admin.common import FeaturePages, path_number, see
from bot.web.admin.forms import FieldProblem, FormErrors
from bot.web.admin.site import Page

SHOWN = 100


def _voices(page: Page) -> VoiceRepository:
    voices = page.runtime.services.voices
    assert voices is not None
    return voices


class VoicePages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/voices", staff(self.list_voices)),
            Route("/voices/{voice_id:rowid}", staff(self.voice)),
            Route("/voices/{voice_id:rowid}/photo", staff(self.photo)),
            Route("/voices/{voice_id:rowid}/state", staff(self.change_state), methods=["POST"]),
            Route("/voices/{voice_id:rowid}/answer", staff(self.answer), methods=["POST"]),
            Route("/voices/{voice_id:rowid}/publish", staff(self.publish), methods=["POST"]),
        ]

    async def list_voices(self, page: Page) -> Response:
        query = page.request.query_params
        district = query.get("district") or None
        kind = query.get("kind") if query.get("kind") in set(VoiceKind) else None
        state = query.get("state") if query.get("state") in set(VoiceState) else None
        voices = await list_voices(
            _voices(page),
            district,
            VoiceKind(kind) if kind else None,
            VoiceState(state) if state else None,
            SHOWN,
            actor=page.actor,
        )
        return self.render(
            page,
            "admin/voices.html",
            voices=voices,
            chosen={"district": district or "", "kind": kind or "", "state": state or ""},
            kinds=[k.value for k in VoiceKind],
            states=[s.value for s in VoiceState],
        )

    async def voice(
        self,
        page: Page,
        error: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        voice_id = path_number(page.request, "voice_id")
        voice = None
        if voice_id is not None:
            voice = await readable_voice(_voices(page), voice_id, actor=page.actor)
        if voice is None:
            raise HTTPException(404)
        events = await readable_events(page.runtime.services.events, actor=page.actor)
        return self.render(
            page,
            "admin/voice.html",
            400 if error or errors else 200,
            voice=voice,
            map_link=map_link(voice.place),
            next_states=sorted(
                (s.value for s in NEXT_STATES[voice.state] if s is not VoiceState.ANSWERED),
                key=[s.value for s in VoiceState].index,
            ),
            events=sorted(events, key=lambda e: e.starts_at, reverse=True),
            error=error,
            errors=errors or {},
            values=page.form or {},
            max_answer=MAX_ANSWER_CHARS,
            max_reason=MAX_REASON_CHARS,
        )

    async def photo(self, page: Page) -> Response:
        voice_id = path_number(page.request, "voice_id")
        readable = voice_id is not None and await readable_voice(
            _voices(page), voice_id, actor=page.actor
        )
        photo = await _voices(page).photo(voice_id) if readable and voice_id else None
        if photo is None:
            raise HTTPException(404)
        # Only staff see it; never cached by a shared proxy.
        headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
        return Response(photo.data, media_type=photo.media_type, headers=headers)

    async def change_state(self, page: Page) -> Response:
        voice_id = path_number(page.request, "voice_id") or 0
        services = page.runtime.services
        problems: dict[str, FieldProblem] = {}
        state_name = page.field("state")
        if state_name not in set(VoiceState) or state_name == VoiceState.ANSWERED:
            problems["state"] = FieldProblem("form.error.required")
        reason = page.field("reason")
        if len(reason) > MAX_REASON_CHARS:
            problems["reason"] = FieldProblem("form.error.too_long", {"max": MAX_REASON_CHARS})
        if state_name == VoiceState.DECLINED and not reason:
            problems["reason"] = FieldProblem("voices.error.reason")
        event_id = parse_number(page.field("event")) if page.field("event") else None
        if state_name == VoiceState.TAKEN_UP and event_id is None:
            problems["event"] = FieldProblem("voices.error.event")
        if problems:
            return await self.voice(page, errors=self.words(page, FormErrors(problems)))
        try:
            await staff_voices.change_state(
                _voices(page),
                services.notices,
                voice_id,
                VoiceState(state_name),
                page.now,
                reason=reason or None,
                event_id=event_id,
                actor=page.actor,
            )
        except VoiceError as exc:
            return await self.voice(page, error=str(exc))
        page.runtime.delivery.wake.set()
        return see(f"/admin/voices/{voice_id}")

    async def answer(self, page: Page) -> Response:
        voice_id = path_number(page.request, "voice_id") or 0
        problems: dict[str, FieldProblem] = {}
        for name in ("answer_ja", "answer_easy", "answer_en"):
            if len(page.field(name)) > MAX_ANSWER_CHARS:
                problems[name] = FieldProblem("form.error.too_long", {"max": MAX_ANSWER_CHARS})
        if not page.field("answer_ja"):
            problems["answer_ja"] = FieldProblem("form.error.required")
        if problems:
            return await self.voice(page, errors=self.words(page, FormErrors(problems)))
        try:
            await staff_voices.answer(
                _voices(page),
                page.runtime.services.notices,
                voice_id,
                page.field("answer_ja"),
                page.now,
                en=page.field("answer_en") or None,
                easy=page.field("answer_easy") or None,
                actor=page.actor,
            )
        except VoiceError as exc:
            return await self.voice(page, error=str(exc))
        page.runtime.delivery.wake.set()
        return see(f"/admin/voices/{voice_id}")

    async def publish(self, page: Page) -> Response:
        voice_id = path_number(page.request, "voice_id") or 0
        try:
            await staff_voices.publish(
                _voices(page), voice_id, page.field("published") == "1", page.now, actor=page.actor
            )
        except VoiceError as exc:
            return await self.voice(page, error=str(exc))
        return see(f"/admin/voices/{voice_id}")
