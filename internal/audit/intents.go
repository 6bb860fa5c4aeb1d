package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Intent kinds in audit_intents.
const (
	intentPlanned = "intent"
	intentVoid    = "void"
)

const insertIntentSQL = `INSERT INTO audit_intents (recorded_at, kind, intent_key, record_key, employee_id, object_id,
 action, target_kind, target_id, target_name, changes, reason, workflow_id, run_id, activity_id, attempt)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, intent_key) DO NOTHING`

// Intend appends rec as an intent (IntentStore). Only records made inside an activity
// (with a workflow id) can be intended: the others have no retry to recover them.
func (s *SQLStore) Intend(ctx context.Context, rec Record) error {
	return s.appendIntent(ctx, intentPlanned, rec)
}

// Void appends that the intended change of rec was not made (IntentStore).
func (s *SQLStore) Void(ctx context.Context, rec Record) error {
	return s.appendIntent(ctx, intentVoid, rec)
}

func (s *SQLStore) appendIntent(ctx context.Context, kind string, r Record) error {
	if r.WorkflowID == "" || r.Action == "" {
		return errors.New("audit intent: a record without a workflow id or action")
	}
	if r.At.IsZero() {
		r.At = s.now()
	}
	changes, err := changesText(r.Changes)
	if err != nil {
		return fmt.Errorf("audit intent: %w", err)
	}
	key := r.DedupKey()
	_, err = s.db.ExecContext(ctx, s.bind(insertIntentSQL), s.timeArg(r.At), kind, key, key, r.EmployeeID, r.ObjectID,
		string(r.Action), r.Target.Kind, r.Target.ID, r.Target.Name, changes, r.Reason, r.WorkflowID, r.RunID, r.ActivityID, r.Attempt)
	if err != nil {
		return fmt.Errorf("audit %s of %s on %s: %w", kind, r.Action, r.ObjectID, err)
	}
	return nil
}

const pendingSQL = `SELECT i.recorded_at, i.record_key, i.employee_id, i.object_id, i.action, i.target_kind, i.target_id,
 i.target_name, i.changes, i.reason, i.workflow_id, i.run_id, i.activity_id, i.attempt
 FROM audit_intents i
 WHERE i.kind = 'intent' AND i.workflow_id = ? AND i.run_id = ? AND i.activity_id = ?
 AND NOT EXISTS (SELECT 1 FROM audit_records r WHERE r.dedup_key = i.record_key)
 AND NOT EXISTS (SELECT 1 FROM audit_intents v WHERE v.kind = 'void' AND v.intent_key = i.intent_key)
 ORDER BY i.seq`

// Pending lists the intents of an activity that have neither a record nor a void
// (IntentStore), as the records they plan.
func (s *SQLStore) Pending(ctx context.Context, workflowID, runID, activityID string) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, s.bind(pendingSQL), workflowID, runID, activityID)
	if err != nil {
		return nil, fmt.Errorf("pending audit intents of %s: %w", workflowID, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at dbTime
		var action, changes string
		if err := rows.Scan(&at, &r.Key, &r.EmployeeID, &r.ObjectID, &action, &r.Target.Kind, &r.Target.ID, &r.Target.Name,
			&changes, &r.Reason, &r.WorkflowID, &r.RunID, &r.ActivityID, &r.Attempt); err != nil {
			return nil, fmt.Errorf("read audit intent: %w", err)
		}
		r.At, r.Action = at.t, Action(action)
		if changes != "" {
			if err := json.Unmarshal([]byte(changes), &r.Changes); err != nil {
				return nil, fmt.Errorf("read audit intent %s: changes: %w", r.Key, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending audit intents of %s: %w", workflowID, err)
	}
	return out, nil
}
