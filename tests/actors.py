"""A staff member for tests that call bot/staff directly and do not look at the audit log.

Kept out of bot/staff: the service's own callers always act with an audit log (cli_actor,
the dashboard's Page.actor), so an actor that records nothing exists only here."""

from bot.staff.actor import ADMIN, CLI_ADDRESS, StaffActor

CLI_ACTOR = StaffActor(login="cli", role=ADMIN, address=CLI_ADDRESS)
