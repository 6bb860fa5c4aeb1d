-- The audit trail (SQLite). Times are UTC text of fixed width (2006-01-02T15:04:05.000000Z),
-- so they sort as they compare.
CREATE TABLE IF NOT EXISTS audit_records (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT    NOT NULL,
    employee_id TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    target_kind TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    target_name TEXT    NOT NULL DEFAULT '',
    changes     TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    workflow_id TEXT    NOT NULL DEFAULT '',
    run_id      TEXT    NOT NULL DEFAULT '',
    activity_id TEXT    NOT NULL DEFAULT '',
    attempt     INTEGER NOT NULL DEFAULT 0,
    dedup_key   TEXT    NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS audit_records_employee ON audit_records (employee_id, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_object ON audit_records (object_id, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_target ON audit_records (target_kind, target_name, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_target_id ON audit_records (target_kind, target_id);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (recorded_at);
-- Append-only: a record is never changed once written.
CREATE TRIGGER IF NOT EXISTS audit_records_append_only BEFORE UPDATE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
