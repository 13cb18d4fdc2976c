-- Voices by where they came from: fresh web chat identities are cheap, so beside each
-- resident's five a day, voices are counted per client address (kept as a keyed hash, never
-- the address, and never tied to the voice or the resident). Rows older than an hour are of
-- no use and are deleted as new ones come (and by retention).
CREATE TABLE voice_senders (
    address_hash TEXT NOT NULL,
    sent_at TEXT NOT NULL
);

CREATE INDEX voice_senders_by_time ON voice_senders (sent_at);

CREATE INDEX voice_senders_by_address ON voice_senders (address_hash, sent_at);
