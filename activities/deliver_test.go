package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/reconcile"
)

// fakeEntities answers Update-With-Start with a fixed entity outcome.
type fakeEntities struct {
	out     entityaddr.ReconcileOutcome
	err     error
	updates []client.UpdateWithStartWorkflowOptions
}

func (f *fakeEntities) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

func (f *fakeEntities) UpdateWithStartWorkflow(_ context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.updates = append(f.updates, o)
	if f.err != nil {
		return nil, f.err
	}
	return fakeHandle{out: f.out}, nil
}

type fakeHandle struct{ out entityaddr.ReconcileOutcome }

func (fakeHandle) WorkflowID() string { return "employee/1001" }
func (fakeHandle) RunID() string      { return "run" }
func (fakeHandle) UpdateID() string   { return "u" }
func (h fakeHandle) Get(_ context.Context, v any) error {
	b, _ := json.Marshal(h.out)
	return json.Unmarshal(b, v)
}

// Reconciliation counts what the entity confirms: applied, failed with the
// entity's reason, or waiting for the guard.
func TestDeliverCountsTheEntitysVerdict(t *testing.T) {
	target := entityaddr.Target{TaskQueue: "q", Source: "Reconcile:r-1", Approved: "reconciliation r-1 approved by alice"}
	cases := []struct {
		name      string
		out       entityaddr.ReconcileOutcome
		err       error
		waiting   bool
		errSubstr string
		permanent bool
	}{
		{name: "applied", out: entityaddr.ReconcileOutcome{Applied: true, Status: "active"}},
		{name: "not applied", out: entityaddr.ReconcileOutcome{Reason: "no account: the HR record was rejected"}, errSubstr: "HR record was rejected", permanent: true},
		{name: "held by the guard", out: entityaddr.ReconcileOutcome{Waiting: true, Reason: "waits for approval"}, waiting: true},
		{name: "Temporal unavailable", err: errors.New("connection refused"), errSubstr: "connection refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeEntities{out: tc.out, err: tc.err}
			r := (&Activities{}).deliver(context.Background(), f, target, reconcile.PlanAction{EmployeeID: "1001", Action: reconcile.ActionHire})
			if (r.waiting != "") != tc.waiting {
				t.Errorf("waiting %q, want %v", r.waiting, tc.waiting)
			}
			switch {
			case tc.errSubstr == "" && r.err != nil:
				t.Errorf("error %v", r.err)
			case tc.errSubstr != "" && (r.err == nil || !strings.Contains(r.err.Error(), tc.errSubstr)):
				t.Errorf("error %v, want %q", r.err, tc.errSubstr)
			case tc.errSubstr != "" && errors.Is(r.err, errPermanentDelivery) != tc.permanent:
				t.Errorf("error %v: permanent %v, want %v", r.err, !tc.permanent, tc.permanent)
			}
			if len(f.updates) != 1 {
				t.Fatalf("%d updates", len(f.updates))
			}
			u := f.updates[0].UpdateOptions
			req, _ := u.Args[0].(entityaddr.ReconcileRequest)
			if u.UpdateName != "reconcile" || u.UpdateID != "Reconcile:r-1/hire/1001" || req.Approved != target.Approved || req.Action != reconcile.ActionHire {
				t.Errorf("update %+v", u)
			}
		})
	}
}
