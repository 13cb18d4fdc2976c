-- Staff accounts for the dashboard. Only a password hash is kept (argon2id).
CREATE TABLE staff_accounts (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A logged-in browser. The cookie holds the token; only its SHA-256 is stored, so a copy of
-- the database does not let anyone in. Logout deletes the row.
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Failed logins, counted per login name and per client address to slow down guessing.
CREATE TABLE staff_login_failures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE INDEX staff_login_failures_by_key ON staff_login_failures (key, at);
