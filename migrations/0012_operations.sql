-- Operations (readiness, failover).
-- /readyz writes this one row: a cheap proof that the database takes writes.
CREATE TABLE readiness_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at TEXT NOT NULL
);

-- The instance a delivery worker belongs to: while its heartbeat is fresh, the inbox events
-- that instance claimed stay its own; once it is stale, another instance takes them over.
ALTER TABLE delivery_workers ADD COLUMN instance TEXT;
