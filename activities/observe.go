package activities

import (
	"context"
	"errors"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/reconcile"
)

// Observer receives what the activities learn that is worth a metric: each HR snapshot
// read and each reconciliation plan computed. The worker sets its Prometheus metrics here
// (internal/metrics implements it); nil observes nothing.
type Observer interface {
	// HRSnapshot reports one snapshot read: the employees and rejected records it held,
	// how long it took, and the error when it failed.
	HRSnapshot(employees, rejected int, d time.Duration, err error)
	// ReconcilePlanned reports a computed plan's drift by kind: hire, rehire, move, exit,
	// repair and orphan (see reconcile.DriftKinds).
	ReconcilePlanned(drift map[string]int)
}

// readSnapshot reads the HR snapshot and reports the read to the Observer. A read cut
// short by the activity's own cancellation is not reported as an HR failure.
func (a *Activities) readSnapshot(ctx context.Context) (hr.Snapshot, error) {
	start := time.Now()
	snap, err := a.HR.Snapshot(ctx)
	if a.Observer != nil && !(err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil) {
		a.Observer.HRSnapshot(len(snap.Employees), len(snap.Rejected), time.Since(start), err)
	}
	return snap, err
}

// observePlan reports a computed plan to the Observer.
func (a *Activities) observePlan(p reconcile.Plan) {
	if a.Observer != nil {
		a.Observer.ReconcilePlanned(p.Summary.Drift())
	}
}

// ProvisioningDue is the moment a hire's access became due, for SetEnabledInput.Since: the
// later of the employment's start and the moment the engine took the hire up (the hire
// workflow's start), so that neither an account created ahead of its start nor an HR record
// entered late counts as slow provisioning. It is zero when the hire does not enable the
// account (a pre-hire created disabled), which observes nothing.
func ProvisioningDue(enable bool, start, began time.Time) time.Time {
	if !enable {
		return time.Time{}
	}
	if start.After(began) {
		return start
	}
	return began
}
