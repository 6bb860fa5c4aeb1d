-- The audit trail (PostgreSQL).
CREATE TABLE IF NOT EXISTS audit_records (
    seq         BIGSERIAL   PRIMARY KEY,
    recorded_at TIMESTAMPTZ NOT NULL,
    employee_id TEXT        NOT NULL DEFAULT '',
    object_id   TEXT        NOT NULL DEFAULT '',
    action      TEXT        NOT NULL,
    target_kind TEXT        NOT NULL DEFAULT '',
    target_id   TEXT        NOT NULL DEFAULT '',
    target_name TEXT        NOT NULL DEFAULT '',
    changes     TEXT        NOT NULL DEFAULT '',
    reason      TEXT        NOT NULL DEFAULT '',
    workflow_id TEXT        NOT NULL DEFAULT '',
    run_id      TEXT        NOT NULL DEFAULT '',
    activity_id TEXT        NOT NULL DEFAULT '',
    attempt     INTEGER     NOT NULL DEFAULT 0,
    dedup_key   TEXT        NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS audit_records_employee ON audit_records (employee_id, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_object ON audit_records (object_id, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_target ON audit_records (target_kind, lower(target_name), recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_target_id ON audit_records (target_kind, target_id);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (recorded_at);
-- Append-only: a record is never changed once written.
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
