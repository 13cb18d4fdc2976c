-- Several chiiki instances on one database.
-- Which instance is handling an inbox event, and since when: another takes it over only when
-- the claim is older than the lease (the instance stopped).
ALTER TABLE inbound_events ADD COLUMN claimed_by TEXT;
ALTER TABLE inbound_events ADD COLUMN claimed_at TEXT;

-- Delivery workers seen lately: each sends at the platform's rate divided by their number.
CREATE TABLE delivery_workers (
    owner TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);

-- Chart pictures, so the instance a platform's download reaches has them too.
CREATE TABLE chart_images (
    name TEXT PRIMARY KEY,
    png BLOB NOT NULL,
    expires_at TEXT NOT NULL
);

-- Claims take the oldest due rows of a channel, in id order: with next_attempt_at in the
-- index instead, every claim of 64 sorted all pending rows (a 100,000-resident broadcast
-- slowed down as it went).
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (channel, state, id);
