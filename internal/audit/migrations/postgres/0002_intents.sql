-- Write-ahead intents (see the SQLite migration of the same number for the design).
CREATE TABLE IF NOT EXISTS audit_intents (
    seq         BIGSERIAL   PRIMARY KEY,
    recorded_at TIMESTAMPTZ NOT NULL,
    kind        TEXT        NOT NULL,
    intent_key  TEXT        NOT NULL,
    record_key  TEXT        NOT NULL DEFAULT '',
    employee_id TEXT        NOT NULL DEFAULT '',
    object_id   TEXT        NOT NULL DEFAULT '',
    action      TEXT        NOT NULL DEFAULT '',
    target_kind TEXT        NOT NULL DEFAULT '',
    target_id   TEXT        NOT NULL DEFAULT '',
    target_name TEXT        NOT NULL DEFAULT '',
    changes     TEXT        NOT NULL DEFAULT '',
    reason      TEXT        NOT NULL DEFAULT '',
    workflow_id TEXT        NOT NULL DEFAULT '',
    run_id      TEXT        NOT NULL DEFAULT '',
    activity_id TEXT        NOT NULL DEFAULT '',
    attempt     INTEGER     NOT NULL DEFAULT 0,
    UNIQUE (kind, intent_key)
);
CREATE INDEX IF NOT EXISTS audit_intents_activity ON audit_intents (workflow_id, run_id, activity_id);
CREATE INDEX IF NOT EXISTS audit_intents_time ON audit_intents (recorded_at);
CREATE OR REPLACE FUNCTION audit_intents_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit intents are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_intents_append_only ON audit_intents;
CREATE TRIGGER audit_intents_append_only BEFORE UPDATE ON audit_intents
    FOR EACH ROW EXECUTE FUNCTION audit_intents_append_only();
-- The moment a change became due (leave moment of a disable, start of an enable); NULL: none.
ALTER TABLE audit_records ADD COLUMN IF NOT EXISTS due_at TIMESTAMPTZ;
