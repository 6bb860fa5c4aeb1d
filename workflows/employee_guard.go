package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
)

// changeExitPermit versions the guard's permit an entity asks for before an
// exit. An entity whose history predates it replays without asking.
const changeExitPermit = "exit-permit"

// Exit guard states (exitGuard.State).
const (
	guardHeld     = "held"
	guardApproved = "approved"
	guardRejected = "rejected"
	guardGranted  = "granted"
)

// exitGuard is where the entity's pending exit stands with the tenant-wide
// mass-change guard.
type exitGuard struct {
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
	By     string    `json:"by,omitempty"`
	// HeldFrom is the status the entity had before it was held.
	HeldFrom string `json:"heldFrom,omitempty"`
}

// managedQuery counts the entities holding an account (visibility).
var managedQuery = fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND (%s = '%s' OR %s = '%s' OR %s = '%s')",
	EmployeeWorkflowName, SALifecycleStatus, StatusActive, SALifecycleStatus, StatusPreHire, SALifecycleStatus, StatusAwaitingApproval)

// receiveGuardDecision records a decision the guard sent on a held exit.
func (e *entity) receiveGuardDecision(d GuardDecision) {
	g := e.st.Guard
	if g == nil || g.State != guardHeld {
		return // the exit is no longer waiting (withdrawn, or decided before)
	}
	g.By = d.By
	if d.Approved {
		g.State = guardApproved
	} else {
		g.State = guardRejected
	}
}

// exitPermitted asks the tenant-wide guard before an exit and reports
// whether the exit may run now. A held exit puts the entity in
// awaiting-approval until the guard's decision arrives; a rejected one
// restores the status the entity had and waits for the next HR news.
func (e *entity) exitPermitted(ctx workflow.Context, m moments, now time.Time) (bool, error) {
	st := e.st
	if workflow.GetVersion(ctx, changeExitPermit, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true, nil
	}
	if st.Guard != nil {
		switch st.Guard.State {
		case guardGranted, guardApproved:
			return true, nil
		case guardHeld:
			return false, nil
		case guardRejected:
			if st.Status == StatusAwaitingApproval {
				st.Status = st.Guard.HeldFrom
				st.HRNote = fmt.Sprintf("the exit was rejected by %s at the mass-change guard; the next HR change asks again", orSomeone(st.Guard.By))
			}
			return false, nil
		}
	}
	leave := m.leave
	if leave.IsZero() {
		leave = now
	}
	req := activities.RequestExitPermitInput{
		Target: activities.GuardTarget{
			WorkflowID: GuardWorkflowID, WorkflowType: GuardWorkflowName, Update: UpdateGuardPermit,
			TaskQueue: workflow.GetInfo(ctx).TaskQueueName, ManagedQuery: managedQuery,
			UpdateID: fmt.Sprintf("permit/%s/%d/%d", st.EmployeeID, st.Events, leave.Unix()),
		},
		Request: activities.GuardPermitRequest{
			EmployeeID: st.EmployeeID, Kind: EventExit, Reason: "leaves at " + leave.UTC().Format(time.RFC3339),
			MaxDisablePercent: e.pol.Guard.MaxDisablePercent, Window: e.pol.Guard.Window, PreApproved: st.PreApproved,
		},
	}
	var ans activities.GuardPermitAnswer
	if err := workflow.ExecuteActivity(guardAsks(ctx), a.RequestExitPermit, req).Get(ctx, &ans); err != nil {
		return false, fmt.Errorf("ask the mass-change guard: %w", err)
	}
	if ans.Granted {
		st.Guard = &exitGuard{State: guardGranted, Since: now, By: st.PreApproved}
		return true, nil
	}
	workflow.GetLogger(ctx).Warn("exit held by the mass-change guard", "employeeId", st.EmployeeID, "reason", ans.Reason)
	st.Guard = &exitGuard{State: guardHeld, Reason: ans.Reason, Since: now, HeldFrom: st.Status}
	st.Status = StatusAwaitingApproval
	return false, nil
}

// releaseHeldExit undoes a held (or rejected) exit that is no longer due:
// HR says the person works (again). The guard is told, so the exit leaves
// its list.
func (e *entity) releaseHeldExit(ctx workflow.Context) {
	st := e.st
	if st.Guard == nil {
		return
	}
	if st.Status == StatusAwaitingApproval {
		st.Status = st.Guard.HeldFrom
	}
	if st.Guard.State == guardHeld {
		f := workflow.SignalExternalWorkflow(ctx, GuardWorkflowID, "", SignalGuardWithdraw, GuardWithdraw{EmployeeID: st.EmployeeID})
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not withdraw the held exit at the guard", "error", err)
		}
	}
	st.Guard = nil
}

func orSomeone(by string) string {
	if by == "" {
		return "an approver"
	}
	return by
}

// guardAsks is for asking the guard: a short wait for its answer, retried.
func guardAsks(ctx workflow.Context) workflow.Context {
	return graphReads(ctx)
}
