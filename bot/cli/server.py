"""`chiiki serve`: the web server (web chat, webhooks, dashboard, health)."""

from __future__ import annotations

import click

from bot.cli.output import echo
from bot.cli.startup import command_settings, friendly_errors


@click.command()
@click.option("--host", help="Address to listen on (default CHIIKI_HOST).")
@click.option("--port", type=int, help="Port to listen on (default CHIIKI_PORT).")
@click.option(
    "--telegram-polling",
    is_flag=True,
    help="Fetch Telegram updates with getUpdates (no public HTTPS address needed).",
)
@friendly_errors
def serve(host: str | None, port: int | None, telegram_polling: bool) -> None:
    """Start the web server: web chat at /chat, health at /healthz and /readyz.

    SIGTERM (or Ctrl-C) stops it gently: webhooks get 503, work in hand finishes within
    CHIIKI_SHUTDOWN_GRACE_SECONDS, claims go back at once, and it exits 0.
    """
    import uvicorn

    from bot.content import load_pack, load_pack_catalog
    from bot.logging_setup import configure_logging, secret_values
    from bot.web import GracefulServer, build_served_app

    settings = command_settings()
    configure_logging(settings.log_level, settings.log_format, secret_values(settings))
    # Fail before the server starts, with one line, when the pack or catalog is broken.
    load_pack_catalog(settings.content_dir, load_pack(settings.content_dir, settings.pack))
    base = f"http://{host or settings.host}:{port or settings.port}"
    echo(f"chiiki: web chat at {base}/chat, staff dashboard at {base}/admin/")
    app, drain = build_served_app(settings, telegram_polling=telegram_polling)
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        # The client's address is read by bot/web/addresses.py, which trusts X-Forwarded-For
        # only from CHIIKI_TRUSTED_PROXIES; uvicorn's own rewrite (on for 127.0.0.1) would
        # let anyone on the host choose their address.
        proxy_headers=False,
    )
    GracefulServer(config, drain).run()
