"""The starlette application: web chat, webhooks, the dashboard, health; and its server."""

from bot.web.app import build_app, build_served_app, build_web_app
from bot.web.server import GracefulServer

__all__ = ["GracefulServer", "build_app", "build_served_app", "build_web_app"]
