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
