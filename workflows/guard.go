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
// `starter sync`, the dev start's sync of every employee, a reconciliation),
// and before a Move removes managed access (a transfer, the end of a
// transfer's grace period). It grants exits while the exits granted within
// the sliding window stay within guard.maxDisablePercent of the managed
// accounts, and removals while the removals granted stay within
// guard.maxRemovalPercent (a separate budget), and holds the rest until a
// person approves or rejects them (starter guard approve|reject).

// Kinds of permit the guard grants (GuardPermitRequest.Kind).
const (
	// GuardKindExit is an exit: the account is disabled.
	GuardKindExit = EventExit
	// GuardKindRemoval is the removal of managed access outside an exit.
	GuardKindRemoval = "removal"
)

// guardKind normalises a kind: anything but a removal is an exit (requests,
// held entries and signals from before kinds existed are exits).
func guardKind(k string) string {
	if k == GuardKindRemoval {
		return GuardKindRemoval
	}
	return GuardKindExit
}

// GuardInput starts (or continues) the guard workflow.
type GuardInput struct {
	// State is carried by continue-as-new; nil for a new guard.
	State *GuardState `json:"state,omitempty"`
}

// GuardGrant is one exit (or removal) the guard let through.
type GuardGrant struct {
	EmployeeID string    `json:"employeeId"`
	At         time.Time `json:"at"`
	// Ref identifies a granted removal (the entity's signature of it).
	Ref string `json:"ref,omitempty"`
	// By names an approval (a person, or an approved reconciliation or
	// policy rollout); empty when it was within the budget.
	By string `json:"by,omitempty"`
}

// GuardHeld is one exit or removal waiting for a decision.
type GuardHeld struct {
	EmployeeID string `json:"employeeId"`
	// Kind is GuardKindExit or GuardKindRemoval.
	Kind   string    `json:"kind"`
	Ref    string    `json:"ref,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
}

// GuardDecisionRecord is a decision taken on a held exit or removal.
type GuardDecisionRecord struct {
	EmployeeID string    `json:"employeeId"`
	Kind       string    `json:"kind,omitempty"`
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
	Budget int `json:"budget"`
	// Granted are the exits granted within the window.
	Granted []GuardGrant `json:"granted,omitempty"`
	// MaxRemovalPercent and RemovalBudget are the removals' own budget (the
	// removals granted within the window, Removals, count against it).
	MaxRemovalPercent float64      `json:"maxRemovalPercent"`
	RemovalBudget     int          `json:"removalBudget"`
	Removals          []GuardGrant `json:"removals,omitempty"`
	// Held are the exits and removals waiting for a decision.
	Held []GuardHeld `json:"held,omitempty"`
	// Decided are the latest decisions (at most maxGuardDecisions).
	Decided []GuardDecisionRecord `json:"decided,omitempty"`
}

// GuardDecideRequest approves or rejects held exits and removals: those of
// EmployeeIDs, or every held one when EmployeeIDs is empty; only those of
// Kind when it is set.
type GuardDecideRequest struct {
	Approve     bool     `json:"approve"`
	EmployeeIDs []string `json:"employeeIds,omitempty"`
	// Kind limits the decision to GuardKindExit or GuardKindRemoval.
	Kind string `json:"kind,omitempty"`
	By   string `json:"by,omitempty"`
}

// GuardDecideResult lists what a decision reached.
type GuardDecideResult struct {
	Decided []string `json:"decided"`
	// NotHeld are requested ids that were not waiting.
	NotHeld []string `json:"notHeld,omitempty"`
}

// GuardDecision is the payload of SignalGuardDecision, sent by the guard to
// an entity whose exit or removal was held.
type GuardDecision struct {
	Approved bool   `json:"approved"`
	By       string `json:"by,omitempty"`
	// Kind is what was decided on; empty means an exit.
	Kind string `json:"kind,omitempty"`
	// Ahead, set with Kind GuardKindRemoval, makes the decision an approval
	// given ahead of a removal the entity has not asked for yet: a policy
	// rollout whose own guard was approved sends it before it tells the
	// entity to apply the policy. It covers only the removal it describes.
	Ahead *RemovalApproval `json:"ahead,omitempty"`
}

// RemovalApproval describes the removal an approval given ahead covers: the
// entitlements an approved plan removes from one employee under one policy,
// until a moment.
type RemovalApproval struct {
	// Policy is the hash of the policy the plan was made with
	// (activities.PolicySnapshot.Hash).
	Policy string `json:"policy"`
	// Remove are the managed entitlements the plan removes.
	Remove []policy.Entitlement `json:"remove"`
	// Until is when the approval lapses if the entity has not used it.
	Until time.Time `json:"until"`
}

// GuardWithdraw is the payload of SignalGuardWithdraw: an entity whose held
// exit or removal is no longer due (HR changed its mind) withdraws it.
type GuardWithdraw struct {
	EmployeeID string `json:"employeeId"`
	// Kind is what is withdrawn; empty means an exit.
	Kind string `json:"kind,omitempty"`
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
			g.st.Held = slices.DeleteFunc(g.st.Held, func(h GuardHeld) bool {
				return h.EmployeeID == w.EmployeeID && guardKind(h.Kind) == guardKind(w.Kind)
			})
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
// or removals wait for approval.
func setGuardStatus(ctx workflow.Context, st *GuardState) {
	status := RunRunning
	if len(st.Held) > 0 {
		status = RunAwaitingApproval
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, LifecycleStatusKey.ValueSet(string(status))); err != nil {
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
	old := func(x GuardGrant) bool { return !now.Before(x.At.Add(w)) }
	g.st.Granted = slices.DeleteFunc(g.st.Granted, old)
	g.st.Removals = slices.DeleteFunc(g.st.Removals, old)
}

// grants are the grants within the window of a kind.
func (g *guard) grants(kind string) *[]GuardGrant {
	if kind == GuardKindRemoval {
		return &g.st.Removals
	}
	return &g.st.Granted
}

// heldOf counts the held entries of a kind.
func (g *guard) heldOf(kind string) int {
	n := 0
	for _, h := range g.st.Held {
		if guardKind(h.Kind) == kind {
			n++
		}
	}
	return n
}

// permit answers one request. Exits and removals have separate budgets:
// exits against maxDisablePercent of the accounts the window started with
// (those managed now plus those that left within it), removals against
// maxRemovalPercent of the accounts managed now (a transferred person keeps
// the account). Once something of a kind is held, later requests of that
// kind queue behind it until a person decides. A request carrying an
// approval already given (PreApproved: an approved reconciliation's exit or
// removal, an approved policy rollout's removal) is granted and counted,
// naming the approval; it decides a held request of the same employee and
// kind, which the entity asks again with it.
func (g *guard) permit(ctx workflow.Context, req activities.GuardPermitRequest) (activities.GuardPermitAnswer, error) {
	g.requests++
	now := workflow.Now(ctx)
	st := g.st
	kind := guardKind(req.Kind)
	st.MaxDisablePercent, st.Window, st.Managed = req.MaxDisablePercent, req.Window, req.Managed
	if kind == GuardKindRemoval {
		st.MaxRemovalPercent = req.MaxRemovalPercent
	}
	g.prune(now)
	st.Budget = guardBudget(req.Managed, len(st.Granted), st.MaxDisablePercent)
	st.RemovalBudget = guardBudget(req.Managed, 0, st.MaxRemovalPercent)
	list, budget, pct, total, noun := &st.Granted, st.Budget, st.MaxDisablePercent, req.Managed+len(st.Granted), "exits"
	if kind == GuardKindRemoval {
		list, budget, pct, total, noun = &st.Removals, st.RemovalBudget, st.MaxRemovalPercent, req.Managed, "removals of managed access"
	}
	used := len(*list)
	ans := activities.GuardPermitAnswer{Used: used, Budget: budget}
	if slices.ContainsFunc(*list, func(x GuardGrant) bool { return x.EmployeeID == req.EmployeeID && x.Ref == req.Ref }) {
		ans.Granted = true // a repeated request
		return ans, nil
	}
	if i := slices.IndexFunc(st.Held, func(h GuardHeld) bool {
		return h.EmployeeID == req.EmployeeID && guardKind(h.Kind) == kind
	}); i >= 0 {
		if req.PreApproved == "" || !approvalsDecideHeld(ctx) {
			ans.Held, ans.Reason = true, "waiting for approval since "+st.Held[i].Since.UTC().Format(time.RFC3339)
			return ans, nil
		}
		// An approval given since (an approved rollout or reconciliation)
		// decides the held request: the entity asks again with it.
		g.supersede(ctx, i, req.PreApproved, now)
	}
	grant := func(by string) (activities.GuardPermitAnswer, error) {
		*list = append(*list, GuardGrant{EmployeeID: req.EmployeeID, At: now, By: by, Ref: req.Ref})
		ans.Granted, ans.Used = true, len(*list)
		return ans, nil
	}
	switch held := g.heldOf(kind); {
	case req.PreApproved != "" && (kind == GuardKindExit || approvalsDecideHeld(ctx)):
		// An exit or removal an approved rollout or reconciliation brings is
		// not held a second time; it counts in the window, with who approved.
		return grant(req.PreApproved)
	case held > 0:
		ans.Reason = fmt.Sprintf("%d %s already wait for approval", held, noun)
	case used < budget:
		return grant("")
	default:
		ans.Reason = fmt.Sprintf("%d %s within the last %s already reach the budget of %d (%s%% of %d managed accounts)",
			used, noun, windowText(st.Window), budget, trimFloat(pct), total)
	}
	ans.Held = true
	st.Held = append(st.Held, GuardHeld{EmployeeID: req.EmployeeID, Kind: kind, Ref: req.Ref, Reason: req.Reason, Since: now})
	workflow.GetLogger(ctx).Warn("held by the mass-change guard", "kind", kind, "employeeId", req.EmployeeID, "reason", ans.Reason)
	setGuardStatus(ctx, st)
	return ans, nil
}

// changeGuardRemovalApproval versions the guard's taking an approval given
// ahead for a removal (until then only for an exit), and for a request it
// holds. A guard history from before it replays holding them.
const changeGuardRemovalApproval = "guard-removal-approval"

// approvalsDecideHeld reports whether the guard takes an approval given
// ahead for a removal, or in place of a held request (changeGuardRemovalApproval).
func approvalsDecideHeld(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeGuardRemovalApproval, workflow.DefaultVersion, 1) != workflow.DefaultVersion
}

// supersede removes the held entry i, which a request carrying an approval
// given since decides, and records that decision.
func (g *guard) supersede(ctx workflow.Context, i int, by string, now time.Time) {
	st := g.st
	h := st.Held[i]
	st.Held = slices.Delete(st.Held, i, i+1)
	rec := GuardDecisionRecord{EmployeeID: h.EmployeeID, Approved: true, By: by, At: now}
	if guardKind(h.Kind) == GuardKindRemoval {
		rec.Kind = GuardKindRemoval
	}
	st.Decided = append(st.Decided, rec)
	if n := len(st.Decided); n > maxGuardDecisions {
		st.Decided = slices.Clone(st.Decided[n-maxGuardDecisions:])
	}
	setGuardStatus(ctx, st)
}

func (g *guard) decide(ctx workflow.Context, req GuardDecideRequest) (GuardDecideResult, error) {
	st := g.st
	now := workflow.Now(ctx)
	var res GuardDecideResult
	want := map[string]bool{}
	ofKind := func(h GuardHeld) bool { return req.Kind == "" || guardKind(h.Kind) == guardKind(req.Kind) }
	for _, id := range req.EmployeeIDs {
		want[id] = true
		if !slices.ContainsFunc(st.Held, func(h GuardHeld) bool { return h.EmployeeID == id && ofKind(h) }) {
			res.NotHeld = append(res.NotHeld, id)
		}
	}
	var decided []GuardHeld
	st.Held = slices.DeleteFunc(st.Held, func(h GuardHeld) bool {
		if ofKind(h) && (len(want) == 0 || want[h.EmployeeID]) {
			decided = append(decided, h)
			return true
		}
		return false
	})
	for _, h := range decided {
		res.Decided = append(res.Decided, h.EmployeeID)
		kind := guardKind(h.Kind)
		if req.Approve {
			list := g.grants(kind)
			*list = append(*list, GuardGrant{EmployeeID: h.EmployeeID, At: now, By: req.By, Ref: h.Ref})
		}
		rec := GuardDecisionRecord{EmployeeID: h.EmployeeID, Approved: req.Approve, By: req.By, At: now}
		if kind == GuardKindRemoval {
			rec.Kind = kind
		}
		st.Decided = append(st.Decided, rec)
	}
	if n := len(st.Decided); n > maxGuardDecisions {
		st.Decided = slices.Clone(st.Decided[n-maxGuardDecisions:])
	}
	setGuardStatus(ctx, st)
	futures := make([]workflow.Future, 0, len(decided))
	for _, h := range decided {
		d := GuardDecision{Approved: req.Approve, By: req.By}
		if guardKind(h.Kind) == GuardKindRemoval {
			d.Kind = GuardKindRemoval // an exit's decision reads as before
		}
		futures = append(futures, workflow.SignalExternalWorkflow(ctx, EmployeeWorkflowID(h.EmployeeID), "", SignalGuardDecision, d))
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
