package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/reconcile"
)

// changeVerifyAccount versions the directory check an entity makes when it
// is told the world may differ (verifyAccount). An entity whose history was
// written before the check existed replays without it.
const changeVerifyAccount = "verify-account"

// ReconcileRequest is the payload of UpdateReconcile
// (entityaddr.ReconcileRequest).
type ReconcileRequest = entityaddr.ReconcileRequest

// ReconcileOutcome is the entity's answer to UpdateReconcile
// (entityaddr.ReconcileOutcome).
type ReconcileOutcome = entityaddr.ReconcileOutcome

// reconcileUpdate records a reconciliation's work as an HR notification
// (the entity re-reads the employee and checks its account), wakes the main
// loop and answers once the loop's pass has acted on it. The approval of a
// reconciliation whose own guard tripped goes with what it was given for:
// an exit's to the coming exit (PreApproved, kept until the exit runs), a
// move's to the removal of managed access that move brings, in the pass
// that acts on the request (RemovalPreApproval, dropped when the request
// is answered), so it approves nothing later.
func (e *entity) reconcileUpdate(ctx workflow.Context, req ReconcileRequest) (ReconcileOutcome, error) {
	e.pending = append(e.pending, HRChanged{Reason: ReasonReconcile, Source: req.Source})
	e.requestSeq++
	seq := e.requestSeq
	if req.Approved != "" {
		switch req.Action {
		case reconcile.ActionMove:
			e.st.RemovalPreApproval = &removalPreApproval{By: req.Approved, Request: seq, Until: workflow.Now(ctx).Add(removalApprovalValidity)}
		default:
			e.st.PreApproved = req.Approved
		}
	}
	e.wake = true
	if err := workflow.Await(ctx, func() bool { return e.handledSeq >= seq }); err != nil {
		return ReconcileOutcome{}, err
	}
	if p := e.st.RemovalPreApproval; p != nil && p.Request == seq {
		e.st.RemovalPreApproval = nil // unused: the move removed nothing it needed it for
	}
	return e.outcome(req.Action), nil
}

// outcome judges whether the entity's state now reflects a plan action.
func (e *entity) outcome(action string) ReconcileOutcome {
	st := e.st
	out := ReconcileOutcome{EmployeeID: st.EmployeeID, Status: string(st.Status), ObjectID: st.ObjectID, AccountNote: st.AccountNote}
	fail := func(why string) ReconcileOutcome {
		out.Reason = why
		if st.LastError != "" {
			out.Reason = why + ": " + st.LastError
		}
		return out
	}
	switch {
	case st.Status == StatusAwaitingApproval:
		out.Waiting = true
		out.Reason = "the exit waits for approval by the mass-change guard"
		return out
	case action == "move" && st.RemovalGuard != nil && st.RemovalGuard.State == guardHeld:
		out.Waiting = true
		out.Reason = "the removal of managed access waits for approval by the mass-change guard"
		return out
	case st.Blocked || (st.LastError != "" && action != "exit"):
		return fail("the entity could not apply it")
	}
	switch action {
	case "exit":
		if st.Status != StatusLeft && st.Status != StatusDeleted {
			return fail("the account was not disabled (status " + string(st.Status) + ")")
		}
	case "", "move":
		if !st.hasAccount() {
			return fail("the employee has no account (status " + string(st.Status) + ")")
		}
	default: // hire, rehire
		if !st.hasAccount() {
			if st.HRNote != "" {
				return fail("no account: " + st.HRNote)
			}
			return fail("no account (status " + string(st.Status) + ")")
		}
	}
	out.Applied = true
	return out
}

// verifyAccount checks the account the entity holds against the directory
// (by object id and by employee id). A present account needs nothing. An
// account replaced by another carrying the employee id, or gone, puts the
// entity in StatusAccountMissing: its next step runs the Hire path, which
// adopts the account carrying the employee id, or restores the old object
// from deleted items (within Entra's 30-day window), or creates the account
// again. It returns whether the state changed.
func (e *entity) verifyAccount(ctx workflow.Context, now time.Time) (bool, error) {
	st := e.st
	if workflow.GetVersion(ctx, changeVerifyAccount, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, nil
	}
	var chk activities.AccountCheck
	if err := workflow.ExecuteActivity(graphReads(ctx), a.VerifyAccount, activities.VerifyAccountInput{
		EmployeeID: st.EmployeeID, ObjectID: st.ObjectID,
	}).Get(ctx, &chk); err != nil {
		return false, fmt.Errorf("verify the account against the directory: %w", err)
	}
	st.VerifiedAt = ptrTime(now)
	logger := workflow.GetLogger(ctx)
	switch chk.State {
	case activities.AccountPresent:
		if chk.Account.UPN != "" && chk.Account.UPN != st.UPN {
			st.UPN = chk.Account.UPN
		}
		return false, nil
	case activities.AccountReplaced:
		logger.Warn("the account was replaced in the directory; adopting the one carrying the employee id",
			"employeeId", st.EmployeeID, "old", st.ObjectID, "new", chk.Account.ObjectID)
		st.AccountNote = fmt.Sprintf("account %s was replaced by %s (carrying employee id %s) on %s; adopting it",
			st.ObjectID, chk.Account.ObjectID, st.EmployeeID, now.UTC().Format(time.RFC3339))
		st.ObjectID = chk.Account.ObjectID
	default:
		logger.Warn("the account is gone from the directory; restoring or recreating it",
			"employeeId", st.EmployeeID, "objectId", st.ObjectID)
		st.AccountNote = fmt.Sprintf("account %s was found missing from the directory on %s; restoring or recreating it",
			st.ObjectID, now.UTC().Format(time.RFC3339))
	}
	// The account must be brought in line again from scratch: the Hire path
	// finds, restores or creates it and grants the role entitlements; running
	// replacements are granted again after it.
	st.Status = StatusAccountMissing
	st.Entitlements = nil
	st.Pass = nil
	st.Blocked, st.RetryAt = false, nil
	for i := range st.Replacements {
		if st.Replacements[i].State == ReplacementActive {
			st.Replacements[i].State = ReplacementScheduled
		}
	}
	return true, nil
}

// recreated records how the Hire path brought a missing account back.
func (e *entity) recreated(acc activities.Account, now time.Time) {
	st := e.st
	how := "adopted the account carrying the employee id"
	switch {
	case acc.Restored:
		how = "restored it from deleted items"
	case acc.Created:
		how = "created it again"
	}
	st.AccountNote = fmt.Sprintf("the account was missing from the directory; on %s the entity %s (%s)",
		now.UTC().Format(time.RFC3339), how, acc.ObjectID)
}

// objectNotFound reports whether a child's failure is a directory 404 on
// an object: the account (or something it refers to) is gone.
func objectNotFound(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if app, ok := e.(*temporal.ApplicationError); ok && app.Type() == activities.ErrTypeNotFound {
			return true
		}
	}
	return false
}
