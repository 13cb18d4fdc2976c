-- Wrong /link codes by where they came from, so codes cannot be found by trying from many
-- fresh identities: counted per client address (kept as a keyed hash, never the address) and
-- in all. Rows older than an hour are of no use and are deleted as new ones come.
CREATE TABLE link_guesses (
    address_hash TEXT,
    failed_at TEXT NOT NULL
);

CREATE INDEX link_guesses_by_time ON link_guesses (failed_at);

CREATE INDEX link_guesses_by_address ON link_guesses (address_hash, failed_at);
