"""Every dashboard page, feature by feature: the one list `bot/web/app.py` mounts at /admin.

A new feature is a module here with a `FeaturePages` subclass (bot/web/admin/common.py) and
one line below.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from bot.web.admin.account import AccountPages
from bot.web.admin.accounts import StaffAccountPages
from bot.web.admin.audit import AuditPages
from bot.web.admin.broadcasts import BroadcastPages
from bot.web.admin.districts import DistrictPages
from bot.web.admin.events import EventPages
from bot.web.admin.faq import FaqPages
from bot.web.admin.outcomes import OutcomePages
from bot.web.admin.overview import OverviewPages
from bot.web.admin.polls import PollPages
from bot.web.admin.site import Site
from bot.web.admin.voices import VoicePages
from bot.web.admin.watch import WatchPages
from bot.web.convertors import register_convertors

FEATURES = (
    AccountPages,
    OverviewPages,
    PollPages,
    WatchPages,
    EventPages,
    OutcomePages,
    VoicePages,
    BroadcastPages,
    FaqPages,
    DistrictPages,
    StaffAccountPages,
    AuditPages,
)


def dashboard_routes(site: Site) -> list[BaseRoute]:
    register_convertors()
    return [route for feature in FEATURES for route in feature(site).routes()]
