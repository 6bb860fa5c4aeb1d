package workflows

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// The tenant-wide mass-change guard: one long-running workflow that every
// entity asks before an exit, whatever delivered the exit (an HR webhook,
// `starter sync`, the dev start's sync of every employee, a reconciliation).
// It grants exits while the exits granted within the sliding window stay
// within guard.maxDisablePercent of the managed accounts, and holds the rest
// until a person approves or rejects them (starter guard approve|reject).

// GuardInput starts (or continues) the guard workflow.
type GuardInput struct {
	// State is carried by continue-as-new; nil for a new guard.
	State *GuardState `json:"state,omitempty"`
}

// GuardGrant is one exit the guard let through.
type GuardGrant struct {
	EmployeeID string    `json:"employeeId"`
	At         time.Time `json:"at"`
	// By names an approval (a person, a reconciliation); empty when the
	// exit was within the budget.
	By string `json:"by,omitempty"`
}

// GuardHeld is one exit waiting for a decision.
type GuardHeld struct {
	EmployeeID string    `json:"employeeId"`
	Kind       string    `json:"kind"`
	Reason     string    `json:"reason,omitempty"`
	Since      time.Time `json:"since"`
}

// GuardDecisionRecord is a decision taken on a held exit.
type GuardDecisionRecord struct {
	EmployeeID string    `json:"employeeId"`
	Approved   bool      `json:"approved"`
	By         string    `json:"by,omitempty"`
	At         time.Time `json:"at"`
}

// GuardState is the guard's state: what `starter guard list --json` prints
// and continue-as-new carries.
type GuardState struct {
	MaxDisablePercent float64 `json:"maxDisablePercent"`
	Window            string  `json:"window"`
	// Managed is the number of managed accounts the last request reported.
	Managed int `json:"managed"`
	// Budget is how many exits the window allows at Managed.
	Budget  int          `json:"budget"`
	Granted []GuardGrant `json:"granted,omitempty"`
	Held    []GuardHeld  `json:"held,omitempty"`
	// Decided are the latest decisions (at most maxGuardDecisions).
	Decided []GuardDecisionRecord `json:"decided,omitempty"`
}

// GuardDecideRequest approves or rejects held exits: those of EmployeeIDs,
// or every held one when EmployeeIDs is empty.
type GuardDecideRequest struct {
	Approve     bool     `json:"approve"`
	EmployeeIDs []string `json:"employeeIds,omitempty"`
	By          string   `json:"by,omitempty"`
}

// GuardDecideResult lists what a decision reached.
type GuardDecideResult struct {
	Decided []string `json:"decided"`
	// NotHeld are requested ids that were not waiting.
	NotHeld []string `json:"notHeld,omitempty"`
}

// GuardDecision is the payload of SignalGuardDecision, sent by the guard to
// an entity whose exit was held.
type GuardDecision struct {
	Approved bool   `json:"approved"`
	By       string `json:"by,omitempty"`
}

// GuardWithdraw is the payload of SignalGuardWithdraw: an entity whose held
// exit is no longer due (HR changed its mind) withdraws it.
type GuardWithdraw struct {
	EmployeeID string `json:"employeeId"`
}

const (
	// maxGuardRequestsPerRun bounds a guard run's history.
	maxGuardRequestsPerRun = 1000
	// maxGuardDecisions bounds the decisions the state keeps.
	maxGuardDecisions = 200
)

type guard struct {
	st       *GuardState
	requests int
}

// LifecycleGuard is the tenant-wide mass-change guard workflow (ID
// GuardWorkflowID). Entities ask it through UpdateGuardPermit before an
// exit; people decide on held exits through UpdateGuardDecide; the decision
// reaches each entity as SignalGuardDecision. Its history is bounded: it
// continues as new after maxGuardRequestsPerRun requests.
func LifecycleGuard(ctx workflow.Context, in GuardInput) error {
	g := &guard{st: in.State}
	if g.st == nil {
		g.st = &GuardState{}
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (GuardState, error) { return *g.st, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateGuardPermit, g.permit, workflow.UpdateHandlerOptions{
		Validator: func(req activities.GuardPermitRequest) error {
			if strings.TrimSpace(req.EmployeeID) == "" {
				return errors.New("employeeId is required")
			}
			return nil
		},
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateGuardDecide, g.decide); err != nil {
		return err
	}
	withdrawCh := workflow.GetSignalChannel(ctx, SignalGuardWithdraw)
	setGuardStatus(ctx, g.st)
	for {
		if err := workflow.Await(ctx, func() bool {
			return withdrawCh.Len() > 0 || g.requests >= maxGuardRequestsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}); err != nil {
			return err
		}
		for {
			var w GuardWithdraw
			if !withdrawCh.ReceiveAsync(&w) {
				break
			}
			g.st.Held = slices.DeleteFunc(g.st.Held, func(h GuardHeld) bool { return h.EmployeeID == w.EmployeeID })
			setGuardStatus(ctx, g.st)
		}
		if g.requests >= maxGuardRequestsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			return workflow.NewContinueAsNewError(ctx, GuardWorkflowName, GuardInput{State: g.st})
		}
	}
}

// setGuardStatus shows in the LifecycleStatus search attribute whether exits
// wait for approval.
func setGuardStatus(ctx workflow.Context, st *GuardState) {
	status := StatusRunning
	if len(st.Held) > 0 {
		status = StatusAwaitingApproval
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, LifecycleStatusKey.ValueSet(status)); err != nil {
		workflow.GetLogger(ctx).Warn("could not set the guard's LifecycleStatus", "error", err)
	}
}

// guardBudget is how many exits the window allows when managed accounts
// are managed now and used exits were granted within the window: the
// largest n with n/(managed+used) <= maxPercent (the accounts the window
// started with are those managed now plus those that left within it), and
// at least one, so that a small organisation's single leaver is not held;
// a maxPercent of 0 holds every exit.
func guardBudget(managed, used int, maxPercent float64) int {
	if maxPercent <= 0 {
		return 0
	}
	total := managed + used
	n := int(math.Floor(maxPercent * float64(total) / 100))
	// Guard.Check is the reference: step down while it would trip.
	for n > 0 && (policy.Guard{MaxDisablePercent: maxPercent}).Check(total, n, 0).Tripped {
		n--
	}
	return max(n, 1)
}

// prune drops the grants older than the window.
func (g *guard) prune(now time.Time) {
	w, err := policy.Guard{Window: g.st.Window}.WindowDuration()
	if err != nil {
		w = policy.DefaultGuardWindow
	}
	g.st.Granted = slices.DeleteFunc(g.st.Granted, func(x GuardGrant) bool { return !now.Before(x.At.Add(w)) })
}

func (g *guard) permit(ctx workflow.Context, req activities.GuardPermitRequest) (activities.GuardPermitAnswer, error) {
	g.requests++
	now := workflow.Now(ctx)
	st := g.st
	st.MaxDisablePercent, st.Window, st.Managed = req.MaxDisablePercent, req.Window, req.Managed
	g.prune(now)
	used := len(st.Granted)
	st.Budget = guardBudget(req.Managed, used, req.MaxDisablePercent)
	ans := activities.GuardPermitAnswer{Used: used, Budget: st.Budget}
	if slices.ContainsFunc(st.Granted, func(x GuardGrant) bool { return x.EmployeeID == req.EmployeeID }) {
		ans.Granted = true // a repeated request
		return ans, nil
	}
	if i := slices.IndexFunc(st.Held, func(h GuardHeld) bool { return h.EmployeeID == req.EmployeeID }); i >= 0 {
		ans.Held, ans.Reason = true, "waiting for approval since "+st.Held[i].Since.UTC().Format(time.RFC3339)
		return ans, nil
	}
	grant := func(by string) (activities.GuardPermitAnswer, error) {
		st.Granted = append(st.Granted, GuardGrant{EmployeeID: req.EmployeeID, At: now, By: by})
		ans.Granted, ans.Used = true, len(st.Granted)
		return ans, nil
	}
	switch {
	case req.PreApproved != "":
		return grant(req.PreApproved)
	case len(st.Held) > 0:
		ans.Reason = fmt.Sprintf("%d exits already wait for approval", len(st.Held))
	case used < st.Budget:
		return grant("")
	default:
		ans.Reason = fmt.Sprintf("%d exits within the last %s already reach the budget of %d (%s%% of %d managed accounts)",
			used, windowText(st.Window), st.Budget, trimFloat(req.MaxDisablePercent), req.Managed+used)
	}
	ans.Held = true
	st.Held = append(st.Held, GuardHeld{EmployeeID: req.EmployeeID, Kind: req.Kind, Reason: req.Reason, Since: now})
	workflow.GetLogger(ctx).Warn("exit held by the mass-change guard", "employeeId", req.EmployeeID, "reason", ans.Reason)
	setGuardStatus(ctx, st)
	return ans, nil
}

func (g *guard) decide(ctx workflow.Context, req GuardDecideRequest) (GuardDecideResult, error) {
	st := g.st
	now := workflow.Now(ctx)
	var res GuardDecideResult
	want := map[string]bool{}
	for _, id := range req.EmployeeIDs {
		want[id] = true
		if !slices.ContainsFunc(st.Held, func(h GuardHeld) bool { return h.EmployeeID == id }) {
			res.NotHeld = append(res.NotHeld, id)
		}
	}
	var decided []GuardHeld
	st.Held = slices.DeleteFunc(st.Held, func(h GuardHeld) bool {
		if len(want) == 0 || want[h.EmployeeID] {
			decided = append(decided, h)
			return true
		}
		return false
	})
	for _, h := range decided {
		res.Decided = append(res.Decided, h.EmployeeID)
		if req.Approve {
			st.Granted = append(st.Granted, GuardGrant{EmployeeID: h.EmployeeID, At: now, By: req.By})
		}
		st.Decided = append(st.Decided, GuardDecisionRecord{EmployeeID: h.EmployeeID, Approved: req.Approve, By: req.By, At: now})
	}
	if n := len(st.Decided); n > maxGuardDecisions {
		st.Decided = slices.Clone(st.Decided[n-maxGuardDecisions:])
	}
	setGuardStatus(ctx, st)
	futures := make([]workflow.Future, 0, len(decided))
	for _, h := range decided {
		futures = append(futures, workflow.SignalExternalWorkflow(ctx, EmployeeWorkflowID(h.EmployeeID), "", SignalGuardDecision,
			GuardDecision{Approved: req.Approve, By: req.By}))
	}
	for i, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not tell an entity the guard's decision", "employeeId", decided[i].EmployeeID, "error", err)
		}
	}
	return res, nil
}

func windowText(w string) string {
	if w == "" {
		return policy.DefaultGuardWindow.String()
	}
	return w
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}
