-- The staff audit log (issue 25): one row for each staff action, from the dashboard or the
-- `chiiki` command. Append-only in the database itself: no row can be changed, and a row can
-- be deleted only once it is over a year old (the retention job, CHIIKI_RETAIN_AUDIT, which
-- cannot be set shorter). `detail` is a short note by the service, never a resident's text.
CREATE TABLE staff_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    login TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT,
    object_id TEXT,
    detail TEXT,
    address TEXT
);

CREATE INDEX staff_audit_by_time ON staff_audit (at);

CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;

CREATE TRIGGER staff_audit_no_early_delete BEFORE DELETE ON staff_audit
WHEN OLD.at > strftime('%Y-%m-%dT%H:%M:%S', 'now', '-365 days')
BEGIN
    SELECT RAISE(ABORT, 'staff_audit rows are kept for at least a year');
END;

-- Staff roles: admin (everything, manages accounts), district (the districts listed in
-- staff_account_districts), viewer (reads, exports nothing personal). Accounts that existed
-- before roles become admins.
ALTER TABLE staff_accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('admin', 'district', 'viewer'));

CREATE TABLE staff_account_districts (
    staff_id INTEGER NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    district TEXT NOT NULL,
    PRIMARY KEY (staff_id, district)
);
