package activities

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/file"
	"github.com/entralifecycle/engine/internal/reconcile"
)

// recObserver records what the activities report.
type recObserver struct {
	reads  []snapRead
	drifts []map[string]int
}

type snapRead struct {
	employees, rejected int
	d                   time.Duration
	err                 error
}

func (o *recObserver) HRSnapshot(employees, rejected int, d time.Duration, err error) {
	o.reads = append(o.reads, snapRead{employees, rejected, d, err})
}

func (o *recObserver) ReconcilePlanned(drift map[string]int) { o.drifts = append(o.drifts, drift) }

func TestObserverSeesSnapshotAndPlan(t *testing.T) {
	e := newRCEnv(t, 2)
	// Employee 1 stays, 2 is gone from HR, "new" is a hire and "bad" is rejected (no name).
	emps := []hr.Employee{
		emp("1", "ICT", "Contoso B.V.", d(2024, 1, 1), nil),
		emp("new", "ICT", "Contoso B.V.", d(2024, 1, 1), nil),
	}
	bad := emp("bad", "ICT", "Contoso B.V.", d(2024, 1, 1), nil)
	bad.GivenName, bad.FamilyName = "", ""
	doc, err := json.Marshal(map[string]any{"employees": append(emps, bad)})
	if err != nil {
		t.Fatal(err)
	}
	src, err := file.New(file.Config{}, file.WithLoader("test", func(context.Context) ([]byte, error) { return doc, nil }))
	if err != nil {
		t.Fatal(err)
	}
	e.acts.HR = src
	obs := &recObserver{}
	e.acts.Observer = obs

	plan, err := e.acts.ComputeReconcilePlan(context.Background(), planNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.reads) != 1 {
		t.Fatalf("snapshot reads observed: %d, want 1", len(obs.reads))
	}
	r := obs.reads[0]
	if r.err != nil || r.employees != 2 || r.rejected != 1 || r.d <= 0 {
		t.Errorf("observed read %+v, want 2 employees, 1 rejected, a duration and no error", r)
	}
	if len(obs.drifts) != 1 || !maps.Equal(obs.drifts[0], plan.Summary.Drift()) {
		t.Fatalf("observed drift %v, plan summary drift %v", obs.drifts, plan.Summary.Drift())
	}
	if obs.drifts[0]["hire"] != 1 {
		t.Errorf("drift %v, want one hire", obs.drifts[0])
	}
	for _, k := range reconcile.DriftKinds {
		if _, ok := obs.drifts[0][k]; !ok {
			t.Errorf("drift lacks kind %q", k)
		}
	}
}

func TestObserverSeesSnapshotFailure(t *testing.T) {
	e := newRCEnv(t, 0)
	boom := errors.New("HR system down")
	src, err := file.New(file.Config{}, file.WithLoader("test", func(context.Context) ([]byte, error) { return nil, boom }))
	if err != nil {
		t.Fatal(err)
	}
	e.acts.HR = src
	obs := &recObserver{}
	e.acts.Observer = obs
	if _, err := e.acts.ComputeReconcilePlan(context.Background(), planNow, 0); err == nil {
		t.Fatal("plan computed without an HR snapshot")
	}
	if len(obs.reads) != 1 || !errors.Is(obs.reads[0].err, boom) {
		t.Fatalf("observed reads %+v, want one failed read", obs.reads)
	}
	if len(obs.drifts) != 0 {
		t.Errorf("a plan was observed after a failed read: %v", obs.drifts)
	}
}
