package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/hr"
)

func TestGuardBudget(t *testing.T) {
	cases := []struct {
		managed, used int
		pct           float64
		want          int
	}{
		{200, 0, 5, 10},
		{190, 10, 5, 10},
		{40, 0, 10, 4},
		{3, 0, 5, 1},
		{0, 0, 5, 1},
		{100, 0, 0, 0},
		{100, 0, 100, 100},
	}
	for _, tc := range cases {
		if got := guardBudget(tc.managed, tc.used, tc.pct); got != tc.want {
			t.Errorf("guardBudget(%d, %d, %v) = %d, want %d", tc.managed, tc.used, tc.pct, got, tc.want)
		}
	}
}

// guardEnv runs the guard workflow in the test environment.
type guardEnv struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	seq     int
	signals []string
	// decisions are the decisions the entities were told, in order.
	decisions []GuardDecision
}

func newGuardEnv(t *testing.T) *guardEnv {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(testLogger{})
	g := &guardEnv{t: t, env: suite.NewTestWorkflowEnvironment()}
	g.env.RegisterWorkflowWithOptions(LifecycleGuard, workflow.RegisterOptions{Name: GuardWorkflowName})
	g.env.SetStartTime(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	g.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, SignalGuardDecision, mock.Anything).Return(
		func(_, workflowID, _, _ string, arg any) error {
			d := arg.(GuardDecision)
			g.decisions = append(g.decisions, d)
			g.signals = append(g.signals, workflowID+"="+map[bool]string{true: "approved", false: "rejected"}[d.Approved])
			return nil
		}).Maybe()
	return g
}

func (g *guardEnv) ask(id string, managed int, out *activities.GuardPermitAnswer) {
	g.seq++
	g.env.UpdateWorkflow(UpdateGuardPermit, "p-"+itoa(g.seq), &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { g.t.Errorf("permit %s rejected: %v", id, err) },
		OnComplete: func(v any, err error) { *out = v.(activities.GuardPermitAnswer) },
	}, activities.GuardPermitRequest{EmployeeID: id, Kind: EventExit, Managed: managed, MaxDisablePercent: 10, Window: "24h"})
}

func (g *guardEnv) state() GuardState {
	v, err := g.env.QueryWorkflow(QueryState)
	if err != nil {
		g.t.Fatal(err)
	}
	var st GuardState
	if err := v.Get(&st); err != nil {
		g.t.Fatal(err)
	}
	return st
}

// Within the budget (10% of 20 accounts: 2 exits a day) exits are granted;
// beyond it they are held, and later ones queue behind them even when the
// window has slid; approving releases them (each entity told), a withdrawn
// one leaves the list, and a repeated request gets the same answer.
func TestGuardHoldsBeyondTheBudget(t *testing.T) {
	g := newGuardEnv(t)
	ans := make([]activities.GuardPermitAnswer, 7)
	at := func(d time.Duration, fn func()) { g.env.RegisterDelayedCallback(fn, d) }
	at(time.Minute, func() { g.ask("1", 20, &ans[0]) })
	at(2*time.Minute, func() { g.ask("2", 19, &ans[1]) })
	at(3*time.Minute, func() { g.ask("3", 18, &ans[2]) })
	at(4*time.Minute, func() { g.ask("4", 18, &ans[3]) })
	at(5*time.Minute, func() { g.ask("3", 18, &ans[4]) })
	at(6*time.Minute, func() { g.env.SignalWorkflow(SignalGuardWithdraw, GuardWithdraw{EmployeeID: "4"}) })
	at(25*time.Hour, func() { g.ask("5", 18, &ans[5]) })
	at(26*time.Hour, func() {
		st := g.state()
		var held []string
		for _, h := range st.Held {
			held = append(held, h.EmployeeID)
		}
		if !slices.Equal(held, []string{"3", "5"}) || len(st.Granted) != 0 {
			t.Errorf("held %v granted %+v (the window slid: the first two grants expired)", held, st.Granted)
		}
		g.seq++
		g.env.UpdateWorkflow(UpdateGuardDecide, "d-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("decide rejected: %v", err) },
			OnComplete: func(v any, err error) {
				r := v.(GuardDecideResult)
				if !slices.Equal(r.Decided, []string{"3"}) || !slices.Equal(r.NotHeld, []string{"9"}) {
					t.Errorf("decide %+v", r)
				}
			},
		}, GuardDecideRequest{Approve: true, EmployeeIDs: []string{"3", "9"}, By: "alice"})
	})
	at(27*time.Hour, func() {
		g.env.UpdateWorkflow(UpdateGuardDecide, "d-2", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("decide rejected: %v", err) }, OnComplete: func(any, error) {},
		}, GuardDecideRequest{Approve: false, By: "bob"})
	})
	at(28*time.Hour, func() {
		st := g.state()
		if len(st.Held) != 0 || len(st.Granted) != 1 || st.Granted[0].EmployeeID != "3" || st.Granted[0].By != "alice" {
			t.Errorf("after the decisions: held %+v granted %+v", st.Held, st.Granted)
		}
		g.env.CancelWorkflow()
	})
	g.env.ExecuteWorkflow(GuardWorkflowName, GuardInput{})

	for i, want := range []bool{true, true, false, false, false, false} {
		if ans[i].Granted != want || ans[i].Held == want {
			t.Errorf("answer %d = %+v, want granted %v", i, ans[i], want)
		}
	}
	if !strings.Contains(ans[2].Reason, "budget of 2") || !strings.Contains(ans[3].Reason, "already wait") {
		t.Errorf("reasons %q / %q", ans[2].Reason, ans[3].Reason)
	}
	if want := []string{"employee/3=approved", "employee/5=rejected"}; !slices.Equal(g.signals, want) {
		t.Errorf("entities told %v, want %v", g.signals, want)
	}
}

// An entity whose exit the guard holds waits in awaiting-approval with its
// account untouched; approval runs the exit, rejection restores the status.
func TestEntityExitWaitsForTheGuard(t *testing.T) {
	for _, approve := range []bool{true, false} {
		t.Run(map[bool]string{true: "approved", false: "rejected"}[approve], func(t *testing.T) {
			h := newHarness(t, at("2026-03-02", 8, 0), 0)
			const upn = "jan.devries@contoso.example"
			jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "2026-03-06", "ICT", "F045", "Systeembeheerder", managerID))
			h.setEmployee(jan)
			var asked []activities.RequestExitPermitInput
			h.permit = func(in activities.RequestExitPermitInput) activities.GuardPermitAnswer {
				asked = append(asked, in)
				return activities.GuardPermitAnswer{Held: true, Reason: "budget reached"}
			}
			h.when(at("2026-03-06", 18, 0), func() {
				st := h.state()
				if st.Status != StatusAwaitingApproval || st.Guard == nil || st.Guard.State != guardHeld {
					t.Errorf("after the leave moment: status %s guard %+v", st.Status, st.Guard)
				}
				if !boolOf(h.user(upn), "accountEnabled") {
					t.Error("the held exit disabled the account")
				}
				if len(asked) != 1 || asked[0].Request.EmployeeID != "1001" || asked[0].Target.WorkflowID != GuardWorkflowID {
					t.Errorf("asked %+v", asked)
				}
				h.env.SignalWorkflow(SignalGuardDecision, GuardDecision{Approved: approve, By: "alice"})
			})
			h.when(at("2026-03-06", 19, 0), func() {
				st := h.state()
				enabled := boolOf(h.user(upn), "accountEnabled")
				if approve && (st.Status != StatusLeft || enabled) {
					t.Errorf("approved: status %s enabled %v", st.Status, enabled)
				}
				if !approve && (st.Status != StatusActive || !enabled || !strings.Contains(st.HRNote, "rejected by alice")) {
					t.Errorf("rejected: status %s enabled %v note %q", st.Status, enabled, st.HRNote)
				}
				if len(asked) != 1 {
					t.Errorf("the guard was asked %d times", len(asked))
				}
			})
			h.run("1001", at("2026-03-07", 0, 0))
		})
	}
}

// HR reverses a held exit (the contract is extended): the entity withdraws
// it at the guard and goes back to active.
func TestHeldExitWithdrawnWhenHRChangesItsMind(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "2026-03-06", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	h.permit = func(activities.RequestExitPermitInput) activities.GuardPermitAnswer {
		return activities.GuardPermitAnswer{Held: true}
	}
	var withdrawn []string
	h.env.OnSignalExternalWorkflow(mock.Anything, GuardWorkflowID, mock.Anything, SignalGuardWithdraw, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			withdrawn = append(withdrawn, arg.(GuardWithdraw).EmployeeID)
			return nil
		})
	h.when(at("2026-03-07", 9, 0), func() {
		ext := jan.Clone()
		end := hr.MustParseDate("2026-12-31")
		ext.Contracts[0].End = &end
		h.setEmployee(ext)
		h.signal(nil)
	})
	h.when(at("2026-03-07", 10, 0), func() {
		st := h.state()
		if st.Status != StatusActive || st.Guard != nil || !slices.Equal(withdrawn, []string{"1001"}) {
			t.Errorf("status %s guard %+v withdrawn %v", st.Status, st.Guard, withdrawn)
		}
	})
	h.run("1001", at("2026-03-08", 0, 0))
}

func (g *guardEnv) askKind(id, kind, ref string, managed int, out *activities.GuardPermitAnswer) {
	g.seq++
	g.env.UpdateWorkflow(UpdateGuardPermit, "p-"+itoa(g.seq), &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { g.t.Errorf("permit %s rejected: %v", id, err) },
		OnComplete: func(v any, err error) { *out = v.(activities.GuardPermitAnswer) },
	}, activities.GuardPermitRequest{EmployeeID: id, Kind: kind, Ref: ref, Managed: managed,
		MaxDisablePercent: 10, MaxRemovalPercent: 10, Window: "24h"})
}

func (g *guardEnv) decide(req GuardDecideRequest, out *GuardDecideResult) {
	g.seq++
	g.env.UpdateWorkflow(UpdateGuardDecide, "d-"+itoa(g.seq), &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { g.t.Errorf("decide rejected: %v", err) },
		OnComplete: func(v any, err error) { *out = v.(GuardDecideResult) },
	}, req)
}

func heldKinds(st GuardState) []string {
	var out []string
	for _, h := range st.Held {
		out = append(out, h.Kind+":"+h.EmployeeID)
	}
	return out
}

// Removals have their own budget (10% of 20 managed accounts: 2 a day):
// held exits do not hold removals back nor the other way round; a repeated
// removal with the same signature gets the same answer; a decision limited
// to a kind decides only that kind and tells each entity the kind; a
// withdrawn removal leaves a held exit of the same person alone.
func TestGuardRemovalsHaveTheirOwnBudget(t *testing.T) {
	g := newGuardEnv(t)
	ans := make([]activities.GuardPermitAnswer, 12)
	at := func(d time.Duration, fn func()) { g.env.RegisterDelayedCallback(fn, d) }
	at(1*time.Minute, func() { g.askKind("1", GuardKindExit, "", 20, &ans[0]) })
	at(2*time.Minute, func() { g.askKind("2", GuardKindExit, "", 19, &ans[1]) })
	at(3*time.Minute, func() { g.askKind("3", GuardKindExit, "", 18, &ans[2]) }) // held: exits' budget
	at(4*time.Minute, func() { g.askKind("11", GuardKindRemoval, "r1", 20, &ans[3]) })
	at(5*time.Minute, func() { g.askKind("12", GuardKindRemoval, "r1", 20, &ans[4]) })
	at(6*time.Minute, func() { g.askKind("13", GuardKindRemoval, "r1", 20, &ans[5]) }) // held: removals' budget
	at(7*time.Minute, func() { g.askKind("14", GuardKindRemoval, "r1", 20, &ans[6]) }) // queued behind 13
	at(8*time.Minute, func() { g.askKind("11", GuardKindRemoval, "r1", 20, &ans[7]) }) // repeated
	at(9*time.Minute, func() { g.askKind("3", GuardKindRemoval, "r1", 20, &ans[8]) })  // same person, other kind
	at(10*time.Minute, func() {
		st := g.state()
		if want := []string{"exit:3", "removal:13", "removal:14", "removal:3"}; !slices.Equal(heldKinds(st), want) {
			t.Errorf("held %v, want %v", heldKinds(st), want)
		}
		if st.Budget != 2 || st.RemovalBudget != 2 || len(st.Removals) != 2 || len(st.Granted) != 2 || st.MaxRemovalPercent != 10 {
			t.Errorf("budgets: exits %d (%d granted), removals %d (%d granted) at %v%%", st.Budget, len(st.Granted), st.RemovalBudget, len(st.Removals), st.MaxRemovalPercent)
		}
		g.env.SignalWorkflow(SignalGuardWithdraw, GuardWithdraw{EmployeeID: "3", Kind: GuardKindRemoval})
	})
	var res GuardDecideResult
	at(11*time.Minute, func() {
		g.decide(GuardDecideRequest{Approve: true, Kind: GuardKindRemoval, EmployeeIDs: []string{"13", "3"}, By: "alice"}, &res)
	})
	var res2 GuardDecideResult
	at(12*time.Minute, func() { g.decide(GuardDecideRequest{Approve: false, Kind: GuardKindRemoval, By: "bob"}, &res2) })
	at(13*time.Minute, func() {
		st := g.state()
		if want := []string{"exit:3"}; !slices.Equal(heldKinds(st), want) {
			t.Errorf("after the removal decisions: held %v, want %v", heldKinds(st), want)
		}
		if len(st.Removals) != 3 || st.Removals[2].EmployeeID != "13" || st.Removals[2].By != "alice" || st.Removals[2].Ref != "r1" || len(st.Granted) != 2 {
			t.Errorf("grants after approval: removals %+v exits %+v", st.Removals, st.Granted)
		}
		if n := len(st.Decided); n != 2 || st.Decided[0].Kind != GuardKindRemoval || st.Decided[1].Approved {
			t.Errorf("decided %+v", st.Decided)
		}
		g.env.CancelWorkflow()
	})
	g.env.ExecuteWorkflow(GuardWorkflowName, GuardInput{})

	for i, want := range []bool{true, true, false, true, true, false, false, true, false} {
		if ans[i].Granted != want {
			t.Errorf("answer %d = %+v, want granted %v", i, ans[i], want)
		}
	}
	// 10% of 20 managed accounts: two removals (a transfer keeps the account).
	if !strings.Contains(ans[5].Reason, "2 removals of managed access within the last 24h already reach the budget of 2 (10% of 20 managed accounts)") ||
		!strings.Contains(ans[6].Reason, "1 removals of managed access already wait") {
		t.Errorf("removal reasons %q / %q", ans[5].Reason, ans[6].Reason)
	}
	if !slices.Equal(res.Decided, []string{"13"}) || !slices.Equal(res.NotHeld, []string{"3"}) || !slices.Equal(res2.Decided, []string{"14"}) {
		t.Errorf("decisions %+v / %+v", res, res2)
	}
	if want := []string{"employee/13=approved", "employee/14=rejected"}; !slices.Equal(g.signals, want) ||
		g.decisions[0].Kind != GuardKindRemoval || g.decisions[1].Kind != GuardKindRemoval {
		t.Errorf("entities told %v (%+v), want %v", g.signals, g.decisions, want)
	}
}

// Two hundred entities ask at the same moment, for exits and removals: the
// guard grants exactly each budget and holds the rest, each request once.
func TestGuardManyConcurrentPermits(t *testing.T) {
	const n, managed = 200, 1000 // 10%: 100 exits (of 1000 + used) and 100 removals
	g := newGuardEnv(t)
	exits := make([]activities.GuardPermitAnswer, n)
	removals := make([]activities.GuardPermitAnswer, n)
	g.env.RegisterDelayedCallback(func() {
		for i := range n {
			g.askKind("e"+itoa(i), GuardKindExit, "", managed, &exits[i])
			g.askKind("r"+itoa(i), GuardKindRemoval, "x", managed, &removals[i])
		}
	}, time.Minute)
	budget := 0
	g.env.RegisterDelayedCallback(func() {
		st := g.state()
		budget = st.Budget
		if len(st.Granted) != st.Budget || len(st.Removals) != 100 || len(st.Held) != 2*n-st.Budget-100 {
			t.Errorf("granted %d exits (budget %d), %d removals, held %d", len(st.Granted), st.Budget, len(st.Removals), len(st.Held))
		}
		g.env.CancelWorkflow()
	}, 2*time.Minute)
	g.env.ExecuteWorkflow(GuardWorkflowName, GuardInput{})
	count := func(as []activities.GuardPermitAnswer) (granted, held int) {
		for _, a := range as {
			if a.Granted {
				granted++
			}
			if a.Held {
				held++
			}
		}
		return granted, held
	}
	eg, eh := count(exits)
	rg, rh := count(removals)
	// The exits' budget counts the accounts the window started with (those
	// managed now plus those that left within it): 10% of 1000 + 111.
	if eg != budget || budget != 111 || eg+eh != n || rg != 100 || rh != n-100 {
		t.Errorf("exits %d granted %d held; removals %d granted %d held", eg, eh, rg, rh)
	}
}
