"""The starlette application: web chat, health, and (later) webhooks and the dashboard."""

from bot.web.app import build_app, build_served_app, build_web_app

__all__ = ["build_app", "build_served_app", "build_web_app"]
