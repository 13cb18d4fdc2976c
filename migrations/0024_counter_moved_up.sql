-- When a counter volunteer (窓口での代理入力, 0022) moved up from the waitlist. They are sent
-- nothing, so the dashboard shows this beside their name for staff to phone them.
ALTER TABLE watch_signups ADD COLUMN moved_up_at TEXT;
