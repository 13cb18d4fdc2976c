-- Addresses a staff account has logged in from (a keyed hash, never the address): wrong
-- passwords from elsewhere are counted apart, so strangers cannot lock the owner out.
CREATE TABLE staff_known_addresses (
    staff_id INTEGER NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    address_hash TEXT NOT NULL,
    last_login_at TEXT NOT NULL,
    PRIMARY KEY (staff_id, address_hash)
);
