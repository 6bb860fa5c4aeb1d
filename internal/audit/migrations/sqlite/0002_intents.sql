-- Write-ahead intents: before a change whose retry would find it already made (an account
-- created, restored or patched), the activity attempt appends what it is about to do. A
-- retry of the same activity that finds the change made while the intent has no record
-- records it then, once. kind 'intent' plans a record (record_key is that record's
-- dedup_key); kind 'void' says the planned change was not made (intent_key names it).
CREATE TABLE IF NOT EXISTS audit_intents (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    intent_key  TEXT    NOT NULL,
    record_key  TEXT    NOT NULL DEFAULT '',
    employee_id TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL DEFAULT '',
    target_kind TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    target_name TEXT    NOT NULL DEFAULT '',
    changes     TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    workflow_id TEXT    NOT NULL DEFAULT '',
    run_id      TEXT    NOT NULL DEFAULT '',
    activity_id TEXT    NOT NULL DEFAULT '',
    attempt     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, intent_key)
);
CREATE INDEX IF NOT EXISTS audit_intents_activity ON audit_intents (workflow_id, run_id, activity_id);
CREATE INDEX IF NOT EXISTS audit_intents_time ON audit_intents (recorded_at);
CREATE TRIGGER IF NOT EXISTS audit_intents_append_only BEFORE UPDATE ON audit_intents
BEGIN
    SELECT RAISE(ABORT, 'audit intents are append-only');
END;
-- The moment a change became due (the leave moment of a disable, the start of an enable):
-- '' when the change had none.
ALTER TABLE audit_records ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
