-- Random keys the service makes for itself once and keeps: they sign the web chat's identity
-- cookie and key the link codes' HMAC. Kept in the database so every instance and every restart
-- uses the same key; a copy of the database is as sensitive as the keys it holds.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key_hex TEXT NOT NULL,
    created_at TEXT NOT NULL
);
