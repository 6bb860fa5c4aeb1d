package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// Rollout phases.
const (
	rolloutPlan  = "plan"
	rolloutApply = "apply"
)

// PolicyRolloutInput configures a policy rollout; the counters carry the
// progress across continue-as-new (one run per page).
type PolicyRolloutInput struct {
	// PageSize is the number of HR employees per page (default 100).
	PageSize int `json:"pageSize,omitempty"`
	// Interval is the pause between two employees' signals (default 200ms):
	// the rollout's rate limit.
	Interval time.Duration `json:"interval,omitempty"`

	Phase    string    `json:"phase,omitempty"`
	Offset   int       `json:"offset,omitempty"`
	At       time.Time `json:"at,omitzero"`
	Accounts int       `json:"accounts,omitempty"`
	Affected int       `json:"affected,omitempty"`
	Removals int       `json:"removals,omitempty"`
	Approved bool      `json:"approved,omitempty"`
	// Approval names the approval of a rollout its guard paused ("policy
	// rollout <id> approved by <name>"); Policy is the hash of the policy
	// planned. The apply phase passes the approval to each entity whose
	// access the plan removes, for that removal only.
	Approval string `json:"approval,omitempty"`
	Policy   string `json:"policy,omitempty"`
	// Signalled and Skipped count the entities told (or not reachable).
	Signalled int      `json:"signalled,omitempty"`
	Skipped   []string `json:"skipped,omitempty"`
}

// PolicyRolloutResult is the rollout's outcome.
type PolicyRolloutResult struct {
	Status    RunStatus          `json:"status"`
	Accounts  int                `json:"accounts"`
	Affected  int                `json:"affected"`
	Removals  int                `json:"removals"`
	Signalled int                `json:"signalled"`
	Skipped   []string           `json:"skipped,omitempty"`
	Guard     policy.GuardResult `json:"guard"`
}

// PolicyRollout rolls a changed policy out: it first counts, page by page,
// the employees whose accounts' entitlements differ from what the policy now
// grants; when the share of accounts that would lose access is above the
// guard's threshold it pauses (LifecycleStatus awaiting-approval) for an
// approve or reject signal; then, page by page and rate-limited, it tells
// each affected employee's entity to apply the policy, which grants before
// it removes. Each page is one run (continue-as-new). When the rollout was
// paused and approved, each entity whose access the plan removes is first
// given that approval for the removal (a guard decision with Ahead), so the
// tenant-wide guard grants the removal, naming the approval, instead of
// holding it a second time.
// Long on purpose: splitting would risk the command order that recorded histories replay.
func PolicyRollout(ctx workflow.Context, in PolicyRolloutInput) (PolicyRolloutResult, error) {
	if in.PageSize <= 0 {
		in.PageSize = 100
	}
	if in.Interval <= 0 {
		in.Interval = 200 * time.Millisecond
	}
	if in.Phase == "" {
		in.Phase, in.At = rolloutPlan, workflow.Now(ctx)
	}
	res := func(status RunStatus, g policy.GuardResult) PolicyRolloutResult {
		return PolicyRolloutResult{Status: status, Accounts: in.Accounts, Affected: in.Affected, Removals: in.Removals,
			Signalled: in.Signalled, Skipped: in.Skipped, Guard: g}
	}
	_ = workflow.SetQueryHandler(ctx, QueryState, func() (PolicyRolloutInput, error) { return in, nil })
	status := RunRunning
	setStatus := func(s RunStatus) {
		status = s
		_ = workflow.UpsertTypedSearchAttributes(ctx, LifecycleStatusKey.ValueSet(string(s)), LifecycleEventKey.ValueSet("policy-rollout"))
	}
	setStatus(status)

	var page activities.RolloutPage
	if err := workflow.ExecuteActivity(rolloutPages(ctx), a.PlanRolloutPage, activities.RolloutPageInput{
		Offset: in.Offset, Limit: in.PageSize, At: in.At,
	}).Get(ctx, &page); err != nil {
		return res(RunFailed, policy.GuardResult{}), err
	}

	switch in.Phase {
	case rolloutPlan:
		in.Accounts += page.Accounts
		for _, it := range page.Items {
			in.Affected++
			if len(it.Remove) > 0 {
				in.Removals++
			}
		}
		if page.Next >= 0 {
			in.Offset = page.Next
			return PolicyRolloutResult{}, workflow.NewContinueAsNewError(ctx, PolicyRolloutWorkflowName, in)
		}
		var snap activities.PolicySnapshot
		if err := workflow.ExecuteActivity(hrReads(ctx), a.LoadPolicy).Get(ctx, &snap); err != nil {
			return res(RunFailed, policy.GuardResult{}), err
		}
		in.Policy = snap.Hash
		g := snap.Policy.Guard.Check(in.Accounts, in.Removals, 0)
		if g.Tripped && !in.Approved {
			setStatus(RunAwaitingApproval)
			approve := workflow.GetSignalChannel(ctx, SignalApprove)
			reject := workflow.GetSignalChannel(ctx, SignalReject)
			decided, approved := false, false
			var by Approval
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(approve, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &by); decided, approved = true, true })
			sel.AddReceive(reject, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); decided = true })
			for !decided {
				sel.Select(ctx)
			}
			if !approved {
				setStatus(RunRejected)
				return res(RunRejected, g), nil
			}
			in.Approved = true
			in.Approval = "policy rollout " + workflow.GetInfo(ctx).WorkflowExecution.ID + " approved by " + orSomeone(by.By)
			setStatus(RunRunning)
		}
		if in.Affected == 0 {
			setStatus(RunDone)
			return res(RunDone, g), nil
		}
		in.Phase, in.Offset = rolloutApply, 0
		return PolicyRolloutResult{}, workflow.NewContinueAsNewError(ctx, PolicyRolloutWorkflowName, in)

	default: // apply
		for _, it := range page.Items {
			if err := passRemovalApproval(ctx, in, it); err != nil {
				in.Skipped = append(in.Skipped, it.EmployeeID)
				continue
			}
			err := workflow.SignalExternalWorkflow(ctx, EmployeeWorkflowID(it.EmployeeID), "", SignalHRChanged,
				HRChanged{Reason: ReasonPolicyChanged, Source: "policy-rollout"}).Get(ctx, nil)
			if err != nil {
				in.Skipped = append(in.Skipped, it.EmployeeID)
			} else {
				in.Signalled++
			}
			if err := workflow.Sleep(ctx, in.Interval); err != nil {
				return res(status, policy.GuardResult{}), err
			}
		}
		if page.Next >= 0 {
			in.Offset = page.Next
			return PolicyRolloutResult{}, workflow.NewContinueAsNewError(ctx, PolicyRolloutWorkflowName, in)
		}
		setStatus(RunDone)
		return res(RunDone, policy.GuardResult{Total: in.Accounts, Disables: in.Removals}), nil
	}
}

// changeRolloutRemovalApproval versions the approval an approved rollout
// passes to each entity whose access it removes. A rollout whose history
// predates it signals the entities as before, and their removals ask the
// tenant-wide guard like any other.
const changeRolloutRemovalApproval = "rollout-removal-approval"

// passRemovalApproval gives the entity of an item whose access the plan
// removes the rollout's approval for that removal (a guard decision with
// Ahead), before the entity is told to apply the policy; nothing when the
// rollout was not paused and approved. An error means the entity could not
// be reached.
func passRemovalApproval(ctx workflow.Context, in PolicyRolloutInput, it activities.RolloutItem) error {
	if in.Approval == "" || in.Policy == "" || len(it.Remove) == 0 {
		return nil
	}
	if workflow.GetVersion(ctx, changeRolloutRemovalApproval, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	d := GuardDecision{Approved: true, By: in.Approval, Kind: GuardKindRemoval, Ahead: &RemovalApproval{
		Policy: in.Policy, Remove: it.Remove, Until: workflow.Now(ctx).Add(removalApprovalValidity),
	}}
	if err := workflow.SignalExternalWorkflow(ctx, EmployeeWorkflowID(it.EmployeeID), "", SignalRemovalApproval, d).Get(ctx, nil); err != nil {
		return fmt.Errorf("pass the rollout's approval to employee %s: %w", it.EmployeeID, err)
	}
	return nil
}
