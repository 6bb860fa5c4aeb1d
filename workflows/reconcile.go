package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/reconcile"
)

// ReconcileInput starts a reconciliation.
type ReconcileInput struct {
	// DryRun computes and returns the plan and writes nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// PageSize is the number of plan actions per page (default 500).
	PageSize int `json:"pageSize,omitempty"`
	// PreviousEmployees is the HR snapshot size a previous run saw, for the
	// HR outage rule; zero when unknown. A run started by the schedule takes
	// it from the previous scheduled run's result.
	PreviousEmployees int `json:"previousEmployees,omitempty"`
	// MaxReportedActions bounds the actions a dry run returns (default 1000).
	MaxReportedActions int `json:"maxReportedActions,omitempty"`
	// State is carried by continue-as-new; nil for a new run.
	State *ReconcileState `json:"state,omitempty"`
}

// ReconcileProgress is what the progress query answers.
type ReconcileProgress struct {
	WorkflowID string `json:"workflowId"`
	Phase      string `json:"phase"`
	DryRun     bool   `json:"dryRun,omitempty"`
	// At is the moment HR is viewed at.
	At time.Time `json:"at"`
	// Counted is the number of employees in the HR snapshot; Planned the
	// actions that change something; Applied and Failed what delivery did.
	Counted int `json:"counted"`
	Planned int `json:"planned"`
	Applied int `json:"applied"`
	Failed  int `json:"failed"`
	// Waiting counts the exits the entities hold for approval by the
	// tenant-wide guard (starter guard approve releases them).
	Waiting int `json:"waiting,omitempty"`
	// Held counts the actions that take access away (exits, removals of
	// managed entitlements) while they wait for approval.
	Held     int                    `json:"held,omitempty"`
	Summary  *reconcile.PlanSummary `json:"summary,omitempty"`
	Failures []string               `json:"failures,omitempty"`
	// Decision is the approval decision when the guard tripped.
	Decision string `json:"decision,omitempty"`
	// DecidedBy names who approved or rejected.
	DecidedBy string `json:"decidedBy,omitempty"`
}

// ReconcileState is a reconciliation's state across continue-as-new.
type ReconcileState struct {
	Progress ReconcileProgress `json:"progress"`
	// PlanKey names the plan in the workers' caches.
	PlanKey string `json:"planKey"`
	// Pass 1 delivers everything but the removals a tripped guard holds;
	// pass 2 the held removals after approval.
	Pass   int    `json:"pass"`
	Cursor string `json:"cursor,omitempty"`
	// GuardHeld is true when the guard tripped and removals wait for approval.
	GuardHeld bool `json:"guardHeld,omitempty"`
	// Actions are the actions a dry run reports; Truncated when capped.
	Actions   []reconcile.PlanAction `json:"actions,omitempty"`
	Truncated bool                   `json:"truncated,omitempty"`
}

// ReconcileResult is a finished reconciliation.
type ReconcileResult struct {
	Progress ReconcileProgress `json:"progress"`
	// Actions are the plan's actions (dry run only, capped).
	Actions   []reconcile.PlanAction `json:"actions,omitempty"`
	Truncated bool                   `json:"truncated,omitempty"`
}

// Approval is the payload of SignalApprove and SignalReject.
type Approval struct {
	By   string `json:"by,omitempty"`
	Note string `json:"note,omitempty"`
}

// maxReconcilePagesPerRun bounds a run's history: after this many pages the
// workflow continues as new with its cursor and counters.
const maxReconcilePagesPerRun = 20

func registerReconcile(r worker.Registry) {
	r.RegisterWorkflowWithOptions(Reconcile, workflow.RegisterOptions{Name: ReconcileWorkflowName})
}

// reconcilePages is for the planning activity: reading the HR snapshot and
// the tenant's accounts, groups and assignments in paged listings.
func reconcilePages(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    15 * time.Minute,
		ScheduleToCloseTimeout: 3 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
		},
	})
}

// reconcileApply is for applying a page: the entities' passes are waited
// for (each bounded on the activity's side), so the activity runs long and
// heartbeats.
func reconcileApply(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Hour,
		HeartbeatTimeout:       2 * time.Minute,
		ScheduleToCloseTimeout: 6 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
		},
	})
}

// Reconcile compares the full HR snapshot with the Entra state and brings
// Entra in line (README "Reconciliation"). The plan is computed by
// an activity that writes nothing and handed to the workflow one page at a
// time, cut by employee id; each page is applied before the next is asked
// for, and the workflow continues as new every few pages, so its history
// stays bounded whatever the organisation's size. Hires, rehires, moves and
// exits go to the employees' entity workflows; drift is repaired directly
// with the minimal writes; orphans are only reported.
//
// A dry run writes nothing and returns the plan. When the plan's exits trip
// the policy's mass-change guard, the run sets LifecycleStatus to
// awaiting-approval, delivers the joiners and additions, and waits for the
// approve or reject signal; only approval delivers the exits and the other
// removals of managed access. A snapshot that looks like an HR outage holds
// every exit in the plan itself.
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileResult, error) {
	info := workflow.GetInfo(ctx)
	st := in.State
	if st == nil {
		st = &ReconcileState{
			Progress: ReconcileProgress{WorkflowID: info.WorkflowExecution.ID, Phase: PhasePlanning, DryRun: in.DryRun, At: workflow.Now(ctx)},
			PlanKey:  info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID,
			Pass:     1,
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryReconcileProgress, func() (ReconcileProgress, error) { return st.Progress, nil }); err != nil {
		return ReconcileResult{}, err
	}
	if in.State == nil && in.PreviousEmployees == 0 && workflow.HasLastCompletionResult(ctx) {
		// A scheduled run knows the previous run's snapshot size: the HR
		// outage rule compares with it.
		var prev ReconcileResult
		if err := workflow.GetLastCompletionResult(ctx, &prev); err == nil && prev.Progress.Summary != nil {
			in.PreviousEmployees = prev.Progress.Summary.Employees + prev.Progress.Summary.Rejected
		}
	}
	r := &reconciler{in: in, st: st, approveCh: workflow.GetSignalChannel(ctx, SignalApprove), rejectCh: workflow.GetSignalChannel(ctx, SignalReject)}
	if in.State == nil {
		r.setStatus(ctx, RunRunning)
	}
	pages := 0
	for st.Pass <= 2 {
		if st.Pass == 2 {
			if !st.GuardHeld || in.DryRun {
				break
			}
			if st.Progress.Decision == "" {
				r.awaitDecision(ctx)
			}
			if st.Progress.Decision != DecisionApproved {
				st.Progress.Phase = PhaseRejected
				st.Progress.Held = 0
				r.setStatus(ctx, RunRejected)
				return r.result(), nil
			}
			st.Progress.Phase = PhaseApplyingRemovals
			r.setStatus(ctx, RunRunning)
		}
		for {
			if err := r.page(ctx); err != nil {
				r.setStatus(ctx, RunFailed)
				return ReconcileResult{}, err
			}
			if st.Cursor == "" {
				break
			}
			pages++
			if pages >= maxReconcilePagesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
				r.drainDecision()
				next := in
				next.State = st
				return ReconcileResult{}, workflow.NewContinueAsNewError(ctx, ReconcileWorkflowName, next)
			}
		}
		st.Pass++
		st.Cursor = ""
		if st.Pass == 2 && st.GuardHeld && !in.DryRun {
			st.Progress.Phase = PhaseAwaitingApproval
		}
	}
	st.Progress.Phase = PhaseDone
	r.setStatus(ctx, RunDone)
	workflow.GetLogger(ctx).Info("reconciliation done", "planned", st.Progress.Planned, "applied", st.Progress.Applied, "failed", st.Progress.Failed)
	return r.result(), nil
}

type reconciler struct {
	in                  ReconcileInput
	st                  *ReconcileState
	approveCh, rejectCh workflow.ReceiveChannel
}

func (r *reconciler) result() ReconcileResult {
	return ReconcileResult{Progress: r.st.Progress, Actions: r.st.Actions, Truncated: r.st.Truncated}
}

// setStatus sets the LifecycleStatus search attribute; a namespace without
// it only loses visibility, so a failure is logged, not fatal.
func (r *reconciler) setStatus(ctx workflow.Context, status RunStatus) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, LifecycleStatusKey.ValueSet(string(status))); err != nil {
		workflow.GetLogger(ctx).Warn("could not set the LifecycleStatus search attribute", "status", status, "error", err)
	}
}

// drainDecision records an approve or reject that has arrived.
func (r *reconciler) drainDecision() {
	var a Approval
	for r.approveCh.ReceiveAsync(&a) {
		r.decide(DecisionApproved, a)
	}
	for r.rejectCh.ReceiveAsync(&a) {
		r.decide(DecisionRejected, a)
	}
}

// decide records the first decision; a reject always wins over an approve
// received in the same batch, since removing access needs a clear yes.
func (r *reconciler) decide(d string, a Approval) {
	p := &r.st.Progress
	if p.Decision == "" || d == DecisionRejected {
		p.Decision, p.DecidedBy = d, a.By
	}
}

// awaitDecision waits for approve or reject with LifecycleStatus set to
// awaiting-approval.
func (r *reconciler) awaitDecision(ctx workflow.Context) {
	r.st.Progress.Phase = PhaseAwaitingApproval
	r.setStatus(ctx, RunAwaitingApproval)
	workflow.GetLogger(ctx).Warn("reconciliation waits for approval", "reason", r.st.Progress.Summary.Guard.Reason)
	r.drainDecision()
	for r.st.Progress.Decision == "" {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(r.approveCh, func(c workflow.ReceiveChannel, _ bool) {
			var a Approval
			c.Receive(ctx, &a)
			r.decide(DecisionApproved, a)
		})
		sel.AddReceive(r.rejectCh, func(c workflow.ReceiveChannel, _ bool) {
			var a Approval
			c.Receive(ctx, &a)
			r.decide(DecisionRejected, a)
		})
		sel.Select(ctx)
	}
	r.drainDecision()
}

// page plans and delivers one page of the current pass.
func (r *reconciler) page(ctx workflow.Context) error {
	st, in := r.st, r.in
	var pg activities.ReconcilePage
	err := workflow.ExecuteActivity(reconcilePages(ctx), a.PlanReconcilePage, activities.ReconcilePageInput{
		PlanKey: st.PlanKey, At: st.Progress.At, After: st.Cursor, Limit: in.PageSize, PreviousEmployees: in.PreviousEmployees,
		Entity: r.entityTarget(ctx),
	}).Get(ctx, &pg)
	if err != nil {
		return fmt.Errorf("plan reconciliation: %w", err)
	}
	if pg.Summary != nil && st.Progress.Summary == nil {
		s := *pg.Summary
		st.Progress.Summary = &s
		st.Progress.Counted = s.Employees
		st.Progress.Planned = s.Actionable()
		st.Progress.Phase = PhaseApplying
		if s.Guard.Tripped && !in.DryRun {
			st.GuardHeld = true
			st.Progress.Held = s.Removals
			r.setStatus(ctx, RunAwaitingApproval)
		}
	}
	st.Cursor = pg.Next
	var todo []reconcile.PlanAction
	for _, act := range pg.Actions {
		if in.DryRun {
			r.report(act)
			continue
		}
		if act.Held != "" || act.Action == reconcile.ActionOrphan {
			continue
		}
		removes := act.Removes()
		if (st.Pass == 1 && !(removes && st.GuardHeld)) || (st.Pass == 2 && removes) {
			todo = append(todo, act)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	var res activities.ApplyReconcileResult
	err = workflow.ExecuteActivity(reconcileApply(ctx), a.ApplyReconcilePage, activities.ApplyReconcileInput{
		Actions: todo, Entity: r.entityTarget(ctx),
	}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("apply reconciliation page: %w", err)
	}
	st.Progress.Applied += res.Applied
	st.Progress.Failed += res.Failed
	st.Progress.Waiting += res.Waiting
	if st.Pass == 2 {
		st.Progress.Held = max(0, st.Progress.Held-res.Applied-res.Failed-res.Waiting)
	}
	for _, f := range res.Failures {
		if len(st.Progress.Failures) < 20 {
			st.Progress.Failures = append(st.Progress.Failures, f)
		}
	}
	return nil
}

// entityTarget is the run's way to the employee entities for the activities.
func (r *reconciler) entityTarget(ctx workflow.Context) entityaddr.Target {
	approved := ""
	if p := r.st.Progress; r.st.Pass == 2 && p.Decision == DecisionApproved {
		approved = "reconciliation " + p.WorkflowID + " approved by " + orSomeone(p.DecidedBy)
	}
	return entityaddr.Target{
		TaskQueue: workflow.GetInfo(ctx).TaskQueueName, Source: ReconcileWorkflowName + ":" + r.st.Progress.WorkflowID,
		Approved: approved, StateQuery: entityaddr.QueryState,
	}
}

// report keeps a dry run's action for the result, up to the cap.
func (r *reconciler) report(act reconcile.PlanAction) {
	limit := r.in.MaxReportedActions
	if limit <= 0 {
		limit = 1000
	}
	if len(r.st.Actions) >= limit {
		r.st.Truncated = true
		return
	}
	r.st.Actions = append(r.st.Actions, act)
}
