-- Who sent an inbox event (the platform's user id), so /forget can drop the payloads of their
-- events still waiting; it goes with the payload once the event is handled or given up.
ALTER TABLE inbound_events ADD COLUMN sender TEXT;

CREATE INDEX inbound_events_by_sender ON inbound_events (channel, sender)
    WHERE sender IS NOT NULL;
