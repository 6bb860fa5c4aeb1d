package audit

import (
	"context"
	"testing"
)

func TestIntentsArePendingUntilRecordedOrVoided(t *testing.T) {
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		created := rec("2026-10-01T09:00:00Z", "1001", "", AccountCreated, "", "", "", "hire")
		created.Attempt = 1
		created.Changes = []Change{{Field: "userPrincipalName", After: "jan@example.com", BeforeKnown: true}}
		patch := rec("2026-10-01T09:00:00Z", "1001", "obj-1", AccountUpdated, "", "", "", "hire")
		patch.ActivityID = created.ActivityID
		patch.Attempt = 1
		for _, r := range []Record{created, patch} {
			if err := s.Intend(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// A second attempt intends the same: the first intent (attempt 1) is kept.
		again := created
		again.Attempt, again.At = 2, day("2026-10-01T09:05:00Z")
		if err := s.Intend(ctx, again); err != nil {
			t.Fatal(err)
		}
		pending, err := s.Pending(ctx, created.WorkflowID, created.RunID, created.ActivityID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 2 {
			t.Fatalf("%d pending intents, want 2: %+v", len(pending), pending)
		}
		p := pending[0]
		if p.Action != AccountCreated || p.Attempt != 1 || !p.At.Equal(created.At) || p.Key != created.DedupKey() ||
			len(p.Changes) != 1 || p.Changes[0].After != "jan@example.com" {
			t.Errorf("pending create came back as %+v", p)
		}
		if other, err := s.Pending(ctx, created.WorkflowID, created.RunID, "another-activity"); err != nil || len(other) != 0 {
			t.Errorf("another activity has pending intents %+v (%v)", other, err)
		}
		// The create is recorded under the intent's key; the patch turns out not made.
		p.ObjectID = "obj-1"
		if n, err := s.Record(ctx, p); err != nil || n != 1 {
			t.Fatalf("recording the intended create stored %d (%v)", n, err)
		}
		if err := s.Void(ctx, patch); err != nil {
			t.Fatal(err)
		}
		if pending, err := s.Pending(ctx, created.WorkflowID, created.RunID, created.ActivityID); err != nil || len(pending) != 0 {
			t.Fatalf("pending after record and void: %+v (%v)", pending, err)
		}
		// Recording it again (a later retry) stores nothing.
		if n, err := s.Record(ctx, p); err != nil || n != 0 {
			t.Fatalf("second record of the intent stored %d (%v), want 0", n, err)
		}
		if _, err := s.db.ExecContext(ctx, "UPDATE audit_intents SET kind = 'void'"); err == nil {
			t.Error("an UPDATE of audit intents succeeded; the table must be append-only")
		}
		if err := s.Intend(ctx, Record{Action: AccountCreated}); err == nil {
			t.Error("an intent outside an activity was accepted")
		}
	})
}

func TestDueIsStored(t *testing.T) {
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		r := rec("2026-10-01T17:05:00Z", "1001", "obj-1", AccountDisabled, "", "", "", "exit")
		r.Due = day("2026-10-01T17:00:00Z")
		plain := rec("2026-10-01T17:06:00Z", "1001", "obj-1", SessionsRevoked, "", "", "", "exit")
		if _, err := s.Record(ctx, r, plain); err != nil {
			t.Fatal(err)
		}
		got, err := s.Query(ctx, Filter{EmployeeID: "1001"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !got[0].Due.Equal(r.Due) || !got[1].Due.IsZero() {
			t.Fatalf("records %+v, want the disable with due %v and the revoke without", got, r.Due)
		}
	})
}

func TestPruneRemovesOldIntents(t *testing.T) {
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		old := rec("2020-01-01T09:00:00Z", "1001", "obj-1", AccountRestored, "", "", "", "rehire")
		recent := rec("2026-10-01T09:00:00Z", "1001", "obj-1", AccountRestored, "", "", "", "rehire")
		recent.ActivityID = old.ActivityID
		recent.RunID = "run-2"
		for _, r := range []Record{old, recent} {
			if err := s.Intend(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Prune(ctx, day("2025-01-01T00:00:00Z")); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Pending(ctx, old.WorkflowID, old.RunID, old.ActivityID); err != nil || len(p) != 0 {
			t.Errorf("the old intent survived the prune: %+v (%v)", p, err)
		}
		if p, err := s.Pending(ctx, recent.WorkflowID, recent.RunID, recent.ActivityID); err != nil || len(p) != 1 {
			t.Errorf("the recent intent was pruned: %+v (%v)", p, err)
		}
	})
}
