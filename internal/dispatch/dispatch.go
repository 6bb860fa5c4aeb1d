// Package dispatch delivers work to the employee entity workflows from outside Temporal:
// HR webhook events, `starter sync`, replacement requests from the CLI and the dev-mode
// bootstrap all go through it, so every caller starts and addresses the entities the same way.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/webhook"
	"github.com/entralifecycle/engine/workflows"
)

// Dispatcher signals (and, when needed, starts) employee entity workflows.
type Dispatcher struct {
	// Client is the Temporal client.
	Client client.Client
	// TaskQueue is where new entity workflows run.
	TaskQueue string
}

var _ webhook.Notifier = Dispatcher{}

// HRChanged tells the employee's entity workflow that their HR record changed, starting the
// entity when it does not run yet (entityaddr.SignalWithStart). It returns the workflow id.
func (d Dispatcher) HRChanged(ctx context.Context, employeeID string, ch entityaddr.HRChanged) (string, error) {
	if !hr.ValidID(employeeID) {
		return "", fmt.Errorf("invalid employee id %q", employeeID)
	}
	return entityaddr.SignalWithStart(ctx, d.Client, d.TaskQueue, employeeID, ch)
}

// Notify implements webhook.Notifier: an accepted HR event becomes an hr-changed signal.
func (d Dispatcher) Notify(ctx context.Context, ev webhook.Event) (string, error) {
	return d.HRChanged(ctx, ev.EmployeeID, entityaddr.HRChanged{Reason: ev.Reason, Source: ev.Source, Employee: ev.Employee})
}

// SyncConcurrency is how many employees SyncAll signals at the same time. Each signal is one
// round trip to the Temporal frontend; a few dozen in flight keep it busy without crowding out
// the entities' own workflow tasks.
const SyncConcurrency = 24

// SyncAll signals every employee of the snapshot (and every replacement to its substitute is
// left to the entities, which read replacements from HR), SyncConcurrency at a time. Each
// signal carries the employee's record from the snapshot, so the entity need not read HR again
// for it. Signals for one employee id go out one after the other, in snapshot order, so an
// entity sees them in the order the snapshot lists them. It returns how many entities were
// signalled; failures are collected, one per employee, and do not stop the others.
func (d Dispatcher) SyncAll(ctx context.Context, snap hr.Snapshot, reason string) (int, error) {
	ids := make([]string, 0, len(snap.Employees))
	for _, e := range snap.Employees {
		ids = append(ids, e.EmployeeID)
	}
	return deliverAll(ctx, ids, SyncConcurrency, func(ctx context.Context, i int) error {
		rec := snap.Employees[i].Clone()
		_, err := d.HRChanged(ctx, rec.EmployeeID, entityaddr.HRChanged{Reason: reason, Source: "snapshot", Employee: &rec})
		return err
	})
}

// deliverAll calls send once per entry of ids (with its index), at most limit calls at a
// time. Entries with the same id are sent by one goroutine, one after the other, in their
// order in ids. It returns how many sends succeeded and every failure (each naming its
// employee); a cancelled ctx stops the sends not yet begun and is reported once.
func deliverAll(ctx context.Context, ids []string, limit int, send func(context.Context, int) error) (int, error) {
	// Group the entries by id, keeping the order of first appearance.
	var order []string
	byID := map[string][]int{}
	for i, id := range ids {
		if len(byID[id]) == 0 {
			order = append(order, id)
		}
		byID[id] = append(byID[id], i)
	}
	limit = max(1, min(limit, len(order)))
	work := make(chan string)
	var (
		mu       sync.Mutex
		errs     []error
		n        int
		canceled bool
		wg       sync.WaitGroup
	)
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				for _, i := range byID[id] {
					err := send(ctx, i)
					mu.Lock()
					if err != nil {
						errs = append(errs, fmt.Errorf("employee %s: %w", id, err))
					} else {
						n++
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range order {
		if ctx.Err() != nil {
			canceled = true
			break
		}
		select {
		case work <- id:
		case <-ctx.Done():
			canceled = true
		}
		if canceled {
			break
		}
	}
	close(work)
	wg.Wait()
	if canceled {
		errs = append(errs, ctx.Err())
	}
	return n, errors.Join(errs...)
}

// Update sends an update to the employee's entity workflow and waits for its result.
func (d Dispatcher) Update(ctx context.Context, employeeID, name string, arg any, result any) error {
	h, err := d.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   entityaddr.WorkflowID(employeeID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("%s on %s: %w", name, entityaddr.WorkflowID(employeeID), err)
	}
	if err := h.Get(ctx, result); err != nil {
		return fmt.Errorf("%s on %s: %s", name, entityaddr.WorkflowID(employeeID), strings.TrimSpace(err.Error()))
	}
	return nil
}

// SyncReplacements hands the snapshot's replacements to the substitutes' entity workflows:
// a replace request (a repeated one is a no-op for the entity) and, when HR gives an end,
// an extend to that end, so an end moved in HR moves the revocation timer. Replacements that
// ended before yesterday are skipped. Failures are collected and do not stop the others.
func (d Dispatcher) SyncReplacements(ctx context.Context, snap hr.Snapshot, today hr.Date, perRequest time.Duration) (int, error) {
	var errs []error
	n := 0
	for _, r := range snap.Replacements {
		if r.End != nil && r.End.Before(today.AddDays(-1)) {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, perRequest)
		req := workflows.ReplaceRequest{ReplacementID: r.ID, ReplacedEmployeeID: r.ReplacedEmployeeID, From: r.Start.String()}
		if r.End != nil {
			req.Until = r.End.String()
		}
		var st workflows.ReplacementStatus
		err := d.Update(rctx, r.SubstituteEmployeeID, workflows.UpdateReplace, req, &st)
		if err == nil && r.End != nil && st.State != workflows.ReplacementEnded {
			err = d.Update(rctx, r.SubstituteEmployeeID, workflows.UpdateExtend, workflows.ExtendRequest{ReplacementID: r.ID, Until: r.End.String()}, &st)
		}
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("replacement %s: %w", r.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// GuardState reads the tenant-wide mass-change guard's state: the exits
// granted within the window and those held for approval. A guard that has
// never run answers an empty state.
func (d Dispatcher) GuardState(ctx context.Context) (workflows.GuardState, error) {
	var st workflows.GuardState
	v, err := d.Client.QueryWorkflow(ctx, workflows.GuardWorkflowID, "", workflows.QueryState)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return st, nil
		}
		return st, fmt.Errorf("query %s: %w", workflows.GuardWorkflowID, err)
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode the state of %s: %w", workflows.GuardWorkflowID, err)
	}
	return st, nil
}

// GuardDecide approves or rejects held exits (every held one when req names
// no employee) and returns what the decision reached.
func (d Dispatcher) GuardDecide(ctx context.Context, req workflows.GuardDecideRequest) (workflows.GuardDecideResult, error) {
	var res workflows.GuardDecideResult
	h, err := d.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.GuardWorkflowID,
		UpdateName:   workflows.UpdateGuardDecide,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return res, errors.New("no exit waits for approval (the guard has not run)")
		}
		return res, fmt.Errorf("%s on %s: %w", workflows.UpdateGuardDecide, workflows.GuardWorkflowID, err)
	}
	if err := h.Get(ctx, &res); err != nil {
		return res, fmt.Errorf("%s on %s: %w", workflows.UpdateGuardDecide, workflows.GuardWorkflowID, err)
	}
	return res, nil
}
