package workflows

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// changeExitPermit versions the guard's permit an entity asks for before an
// exit. An entity whose history predates it replays without asking.
const changeExitPermit = "exit-permit"

// changeRemovalPermit versions the guard's permit an entity asks for before
// a Move removes managed access. An entity whose history predates it
// replays its moves without asking.
const changeRemovalPermit = "removal-permit"

// changeRemovalPreApproval versions asking the guard again, with an
// approval given since, about a removal it holds or a person rejected. An
// entity whose history predates it leaves such a removal as it stands.
const changeRemovalPreApproval = "removal-pre-approval"

// removalApprovalValidity is how long an approval a policy rollout gives
// ahead of a removal waits for the entity to use it.
const removalApprovalValidity = 24 * time.Hour

// changeExitRejectionSticks versions how long a rejected exit stays
// rejected: before it, any HR news asked the guard again; since, only a
// change of the leave moment does.
const changeExitRejectionSticks = "exit-rejection-sticks"

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
	HeldFrom EntityStatus `json:"heldFrom,omitempty"`
	// Leave is the signature of the leave moment the exit was asked for: a
	// rejection stands until HR changes it.
	Leave string `json:"leave,omitempty"`
}

// removalGuard is where a Move's removal of managed access stands with the
// tenant-wide guard. While it is held or rejected the entitlements to remove
// stay in the entity's entitlements (and on the account).
type removalGuard struct {
	State string `json:"state"`
	// Revoke is the managed access that waits to be removed.
	Revoke []policy.Entitlement `json:"revoke"`
	Reason string               `json:"reason,omitempty"`
	Since  time.Time            `json:"since"`
	By     string               `json:"by,omitempty"`
	// Ref is the signature of the removal asked for (what to remove and the
	// access the person's HR record calls for): a rejection stands until HR
	// (or the policy) changes it.
	Ref string `json:"ref"`
}

// removalPreApproval is an approval given for a removal of managed access
// before the entity asks the guard for it: by a policy rollout whose own
// guard was approved (Policy and Remove say what the approved plan removes),
// or by an approved reconciliation's move (Request: the update it came with,
// cleared once that update is answered). It is used once: the next removal
// it covers is asked for with it; a removal it does not cover, a change of
// the person's HR record (Record) or its lapse (Until) drops it.
type removalPreApproval struct {
	By string `json:"by"`
	// Policy is the hash of the policy the approved plan was made with;
	// empty for a reconciliation's.
	Policy string `json:"policy,omitempty"`
	// Remove are the entitlements the plan removes; empty covers the
	// removal of the reconciliation's move, whatever it removes.
	Remove []policy.Entitlement `json:"remove,omitempty"`
	Until  time.Time            `json:"until,omitzero"`
	// Request is the reconciliation update the approval came with.
	Request int `json:"request,omitempty"`
	// Record is the signature of the HR record the entity knew when the
	// approval came (recordSignature): a removal after HR changed the person
	// is another removal than the one approved.
	Record string `json:"record,omitempty"`
}

// removalNote is what the state says about a rejected removal.
const removalNote = "kept: the removal was rejected at the mass-change guard; it is asked again when HR changes what the person should hold"

// managedQuery counts the entities holding an account (visibility).
var managedQuery = fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND (%s = '%s' OR %s = '%s' OR %s = '%s')",
	EmployeeWorkflowName, SALifecycleStatus, StatusActive, SALifecycleStatus, StatusPreHire, SALifecycleStatus, StatusAwaitingApproval)

// receiveGuardDecision records a decision the guard sent on a held exit or
// removal.
func (e *entity) receiveGuardDecision(d GuardDecision) {
	if d.Ahead != nil {
		// An approval ahead of a removal (a rollout's): it decides nothing
		// held now; the removal it covers is asked for with it.
		if d.Approved && guardKind(d.Kind) == GuardKindRemoval {
			e.st.RemovalPreApproval = &removalPreApproval{
				By: d.By, Policy: d.Ahead.Policy, Remove: slices.Clone(d.Ahead.Remove), Until: d.Ahead.Until,
				Record: recordSignature(e.st.Employee),
			}
		}
		return
	}
	if guardKind(d.Kind) == GuardKindRemoval {
		r := e.st.RemovalGuard
		if r == nil || r.State != guardHeld {
			return
		}
		r.By = d.By
		if d.Approved {
			r.State = guardApproved
		} else {
			r.State, r.Reason = guardRejected, removalNote
		}
		return
	}
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
// restores the status the entity had and stands until HR changes the leave
// moment (HR news that leaves it as it was does not ask again) or an
// approved reconciliation delivers the exit.
func (e *entity) exitPermitted(ctx workflow.Context, m moments, now time.Time) (bool, error) {
	st := e.st
	if workflow.GetVersion(ctx, changeExitPermit, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true, nil
	}
	leaveSig := leaveSignature(m)
	if st.Guard != nil {
		switch st.Guard.State {
		case guardGranted, guardApproved:
			return true, nil
		case guardHeld:
			return false, nil
		case guardRejected:
			g := st.Guard
			if st.Status == StatusAwaitingApproval {
				st.Status = g.HeldFrom
				st.HRNote = fmt.Sprintf("the exit was rejected by %s at the mass-change guard; it is asked again when HR changes the leave date", orSomeone(g.By))
			}
			if workflow.GetVersion(ctx, changeExitRejectionSticks, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				// Recorded before the change: any HR news asked again.
				if !e.hrNews {
					return false, nil
				}
			} else {
				if g.Leave == "" {
					g.Leave = leaveSig // rejected before the signature was kept
				}
				// A reconciliation approved since is a later decision.
				if g.Leave == leaveSig && st.PreApproved == "" {
					return false, nil
				}
			}
			st.Guard = nil // HR changed the leave moment (or an approval came): ask again
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
	st.Guard = &exitGuard{State: guardHeld, Reason: ans.Reason, Since: now, HeldFrom: st.Status, Leave: leaveSig}
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

// leaveSignature is what a rejected exit stands on: the leave moment and
// whether HR shows a running contract.
func leaveSignature(m moments) string {
	leave := ""
	if !m.leave.IsZero() {
		leave = m.leave.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("leave=%s active=%t", leave, m.view.Active)
}

// removalPermitted asks the tenant-wide guard before a Move removes managed
// access (revoke, non-empty) and reports whether the removal may run now.
// ref is the removal's signature (removalRef). A held removal waits for the
// guard's decision and a rejected one stands while ref stays the same; when
// it changes, the earlier request is withdrawn and the guard asked anew. An
// approval given for this removal (an approved policy rollout or
// reconciliation, removalPreApproval) goes with the request, so the guard
// grants it without holding it a second time; one given after the removal
// was held or rejected is a later decision, and the guard is asked again
// with it.
func (e *entity) removalPermitted(ctx workflow.Context, ref string, revoke []policy.Entitlement, now time.Time) (bool, error) {
	st := e.st
	if workflow.GetVersion(ctx, changeRemovalPermit, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true, nil
	}
	pre := e.removalPreApproved(revoke, now)
	if g := st.RemovalGuard; g != nil {
		same := g.Ref == ref
		switch {
		case same && g.State == guardApproved:
			return true, nil
		case same && (g.State == guardHeld || g.State == guardRejected):
			if pre == "" || workflow.GetVersion(ctx, changeRemovalPreApproval, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				return false, nil
			}
			// The approval decides it: the guard grants the request asked
			// with it in place of the held one.
			st.RemovalGuard = nil
		default:
			// HR changed what is to be removed since: the decision (or the
			// request) was about something else; withdraw it and ask anew.
			e.dropRemovalGuard(ctx)
		}
	}
	names := make([]string, 0, len(revoke))
	for _, x := range revoke {
		names = append(names, x.String())
	}
	updateID := fmt.Sprintf("removal/%s/%d/%s", st.EmployeeID, st.Events, ref)
	if pre != "" {
		updateID += "/approved" // not the answer to an earlier request without it
	}
	req := activities.RequestExitPermitInput{
		Target: activities.GuardTarget{
			WorkflowID: GuardWorkflowID, WorkflowType: GuardWorkflowName, Update: UpdateGuardPermit,
			TaskQueue: workflow.GetInfo(ctx).TaskQueueName, ManagedQuery: managedQuery,
			UpdateID: updateID,
		},
		Request: activities.GuardPermitRequest{
			EmployeeID: st.EmployeeID, Kind: GuardKindRemoval, Ref: ref, Reason: "removes " + strings.Join(names, ", "),
			MaxDisablePercent: e.pol.Guard.MaxDisablePercent, MaxRemovalPercent: e.pol.Guard.MaxRemovalPercent, Window: e.pol.Guard.Window,
			PreApproved: pre,
		},
	}
	used := st.RemovalPreApproval
	var ans activities.GuardPermitAnswer
	if err := workflow.ExecuteActivity(guardAsks(ctx), a.RequestExitPermit, req).Get(ctx, &ans); err != nil {
		return false, fmt.Errorf("ask the mass-change guard about removing access: %w", err)
	}
	if pre != "" && st.RemovalPreApproval == used {
		st.RemovalPreApproval = nil // used: it approves this removal only
	}
	if ans.Granted {
		if pre != "" {
			// Shown in the state until the Move has removed the access.
			st.RemovalGuard = &removalGuard{State: guardApproved, Revoke: slices.Clone(revoke), Since: now, By: pre, Ref: ref}
			workflow.GetLogger(ctx).Info("removal of managed access approved ahead", "employeeId", st.EmployeeID, "by", pre)
		}
		return true, nil
	}
	workflow.GetLogger(ctx).Warn("removal of managed access held by the mass-change guard", "employeeId", st.EmployeeID, "reason", ans.Reason)
	st.RemovalGuard = &removalGuard{State: guardHeld, Revoke: slices.Clone(revoke), Reason: ans.Reason, Since: now, Ref: ref}
	return false, nil
}

// removalPreApproved is the approval given ahead that covers removing
// revoke now, or "". An approval that has lapsed, that came before HR
// changed the person, or that is for the policy the entity holds but does
// not cover this removal (it removes more than the approved plan said), is
// dropped: it approved something else. One for a policy the entity has not
// loaded yet waits.
func (e *entity) removalPreApproved(revoke []policy.Entitlement, now time.Time) string {
	p := e.st.RemovalPreApproval
	switch {
	case p == nil:
		return ""
	case !p.Until.IsZero() && !now.Before(p.Until),
		p.Record != "" && p.Record != recordSignature(e.st.Employee):
		e.st.RemovalPreApproval = nil
		return ""
	case p.Policy != "" && p.Policy != e.st.PolicyHash:
		return ""
	}
	if len(p.Remove) > 0 || p.Policy != "" {
		approved := map[string]bool{}
		for _, x := range p.Remove {
			approved[x.Key()] = true
		}
		for _, x := range revoke {
			if !approved[x.Key()] {
				e.st.RemovalPreApproval = nil
				return ""
			}
		}
	}
	return p.By
}

// recordSignature is a short signature of an HR record ("" for none).
func recordSignature(emp *hr.Employee) string {
	if emp == nil {
		return ""
	}
	b, err := json.Marshal(emp)
	if err != nil {
		return ""
	}
	h := fnv.New64a()
	_, _ = h.Write(b)
	return fmt.Sprintf("%016x", h.Sum64())
}

// dropRemovalGuard forgets a removal that is no longer due (HR reversed the
// change, an exit ends everything); a held one is withdrawn at the guard.
func (e *entity) dropRemovalGuard(ctx workflow.Context) {
	g := e.st.RemovalGuard
	if g == nil {
		return
	}
	if g.State == guardHeld {
		f := workflow.SignalExternalWorkflow(ctx, GuardWorkflowID, "", SignalGuardWithdraw,
			GuardWithdraw{EmployeeID: e.st.EmployeeID, Kind: GuardKindRemoval})
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not withdraw the held removal at the guard", "error", err)
		}
	}
	e.st.RemovalGuard = nil
}

// removalRef is the signature of a removal: what it removes and the role
// access the person's current view calls for.
func removalRef(revoke []policy.Entitlement, roles []heldEntitlement) string {
	keys := make([]string, 0, len(revoke))
	for _, x := range revoke {
		keys = append(keys, x.Key())
	}
	slices.Sort(keys)
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.Join(keys, "\x01") + "\x02" + heldSignature(roles)))
	return fmt.Sprintf("%016x", h.Sum64())
}

// keepRevoked adds back to next the held entries whose entitlement revoke
// would remove: a held or rejected removal keeps them (so nothing is
// forgotten and the removal is asked for again when it is still due).
func keepRevoked(held, next []heldEntitlement, revoke []policy.Entitlement) []heldEntitlement {
	gone := map[string]bool{}
	for _, x := range revoke {
		gone[x.Key()] = true
	}
	have := map[string]bool{}
	for _, h := range next {
		have[entryKey(h)] = true
	}
	out := slices.Clone(next)
	for _, h := range held {
		if gone[h.Key()] && !have[entryKey(h)] {
			have[entryKey(h)] = true
			out = append(out, h)
		}
	}
	sortHeld(out)
	return out
}

// lifecycleStatus is the LifecycleStatus search attribute: the status, but
// awaiting-approval while a removal waits for the guard, so that one
// Temporal UI filter lists every entity a person must decide on.
func (e *entity) lifecycleStatus() EntityStatus {
	st := e.st
	if st.RemovalGuard != nil && st.RemovalGuard.State == guardHeld && (st.Status == StatusActive || st.Status == StatusPreHire) {
		return StatusAwaitingApproval
	}
	return st.Status
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
