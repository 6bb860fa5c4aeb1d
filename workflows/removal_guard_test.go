package workflows

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// fakeGuard answers the entities' permit requests with a removal budget, as
// the guard workflow would (its own budget logic is tested on the workflow);
// exits are granted.
type fakeGuard struct {
	mu      sync.Mutex
	budget  int
	granted []string
	asked   []activities.GuardPermitRequest
}

func (f *fakeGuard) permit(in activities.RequestExitPermitInput) activities.GuardPermitAnswer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, in.Request)
	if in.Request.Kind != GuardKindRemoval {
		return activities.GuardPermitAnswer{Granted: true}
	}
	if len(f.granted) < f.budget {
		f.granted = append(f.granted, in.Request.EmployeeID)
		return activities.GuardPermitAnswer{Granted: true}
	}
	return activities.GuardPermitAnswer{Held: true, Reason: "removal budget reached"}
}

// asks counts the requests of an employee.
func (f *fakeGuard) asks(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.asked {
		if r.EmployeeID == id {
			n++
		}
	}
	return n
}

// watchStatus records the LifecycleStatus values the entity upserts.
func (h *harness) watchStatus() *[]EntityStatus {
	var seen []EntityStatus
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if sa, ok := args.Get(0).(temporal.SearchAttributes); ok {
			if v, ok := sa.GetKeyword(LifecycleStatusKey); ok {
				seen = append(seen, EntityStatus(v))
			}
		}
	}).Return(nil).Maybe()
	return &seen
}

func last(s []EntityStatus) EntityStatus {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func heldSources(st entityState) []string {
	var out []string
	for _, h := range st.Entitlements {
		out = append(out, h.Source+"="+h.String())
	}
	return out
}

// HR moves four Sales people into ICT on the same day, the removal budget
// allows two: the first two lose Sales at once; the other two get ICT's
// access and attributes but keep Sales while the removal waits
// (removalGuard held, LifecycleStatus awaiting-approval, the Sales entry
// still in their entitlements). Approval removes Sales; rejection keeps it,
// records who rejected, and is not asked again on HR news that changes
// nothing, only when HR moves the person again.
func TestMassTransferHoldsRemovalsBeyondTheBudget(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	guard := &fakeGuard{budget: 2}
	type who struct{ id, family, decide string }
	people := []who{{"1101", "Akker", ""}, {"1102", "Bos", ""}, {"1103", "Claes", "approve"}, {"1104", "Dijk", "reject"}}
	sales := func(id, family string) hr.Employee {
		return person(id, "Emma", "", family,
			contract(id+"-1", "2025-01-01", "2026-03-09", "Sales", "S10", "Accountmanager", managerID),
			contract(id+"-2", "2026-03-10", "", "ICT", "F045", "Systeembeheerder", managerID))
	}
	for i, p := range people {
		p := p
		if i > 0 {
			h.freshEnv(at("2026-03-02", 8, 0))
		}
		h.permit = guard.permit
		status := h.watchStatus()
		var withdrawn []string
		h.env.OnSignalExternalWorkflow(mock.Anything, GuardWorkflowID, mock.Anything, SignalGuardWithdraw, mock.Anything).Return(
			func(_, _, _, _ string, arg any) error {
				withdrawn = append(withdrawn, arg.(GuardWithdraw).Kind)
				return nil
			}).Maybe()
		emp := sales(p.id, p.family)
		h.setEmployee(emp)
		upn := "emma." + strings.ToLower(p.family) + "@contoso.example"
		held := p.decide != ""
		h.when(at("2026-03-09", 12, 0), func() {
			if g := h.sim.UserGroups(upn); !has(g, "Sales") || has(g, "ICT Admins") {
				t.Errorf("%s before the transfer: %v", p.id, g)
			}
		})
		h.when(at("2026-03-10", 1, 0), func() {
			st, g := h.state(), h.sim.UserGroups(upn)
			if str(h.user(upn), "department") != "ICT" || !has(g, "ICT Admins") || !has(g, "All Staff") {
				t.Errorf("%s: the transfer's attributes and grants did not happen: %v %v", p.id, str(h.user(upn), "department"), g)
			}
			if has(g, "Sales") != held {
				t.Errorf("%s: in Sales %v, want %v (groups %v)", p.id, has(g, "Sales"), held, g)
			}
			if guard.asks(p.id) != 1 || guard.asked[len(guard.asked)-1].Kind != GuardKindRemoval ||
				!strings.Contains(guard.asked[len(guard.asked)-1].Reason, "group:Sales") {
				t.Errorf("%s: asked %d times, last %+v", p.id, guard.asks(p.id), guard.asked[len(guard.asked)-1])
			}
			if !held {
				if st.RemovalGuard != nil || slices.Contains(heldSources(st), "role:sales=group:Sales") || last(*status) != StatusActive {
					t.Errorf("%s within the budget: guard %+v entitlements %v status %v", p.id, st.RemovalGuard, heldSources(st), *status)
				}
				return
			}
			rg := st.RemovalGuard
			if rg == nil || rg.State != guardHeld || len(rg.Revoke) != 1 || rg.Revoke[0].String() != "group:Sales" || rg.Ref == "" {
				t.Errorf("%s beyond the budget: removal guard %+v", p.id, rg)
			}
			if !slices.Contains(heldSources(st), "role:sales=group:Sales") || !slices.Contains(heldSources(st), "role:ict=group:ICT Admins") {
				t.Errorf("%s: entitlements %v", p.id, heldSources(st))
			}
			if st.Status != StatusActive || last(*status) != StatusAwaitingApproval {
				t.Errorf("%s: status %s, search attribute %v", p.id, st.Status, *status)
			}
			h.env.SignalWorkflow(SignalGuardDecision, GuardDecision{Approved: p.decide == "approve", By: "alice", Kind: GuardKindRemoval})
		})
		if !held {
			h.run(p.id, at("2026-03-11", 0, 0))
			continue
		}
		h.when(at("2026-03-10", 2, 0), func() {
			st, g := h.state(), h.sim.UserGroups(upn)
			switch p.decide {
			case "approve":
				if has(g, "Sales") || st.RemovalGuard != nil || slices.Contains(heldSources(st), "role:sales=group:Sales") {
					t.Errorf("approved: groups %v guard %+v entitlements %v", g, st.RemovalGuard, heldSources(st))
				}
			case "reject":
				rg := st.RemovalGuard
				if !has(g, "Sales") || rg == nil || rg.State != guardRejected || rg.By != "alice" || !slices.Contains(heldSources(st), "role:sales=group:Sales") {
					t.Errorf("rejected: groups %v guard %+v entitlements %v", g, rg, heldSources(st))
				}
			}
			if last(*status) != StatusActive {
				t.Errorf("%s after the decision: search attribute %v", p.id, *status)
			}
			h.signal(nil) // HR news that changes nothing
		})
		h.when(at("2026-03-10", 3, 0), func() {
			if n := guard.asks(p.id); n != 1 {
				t.Errorf("%s: asked %d times after unchanged HR news, want 1", p.id, n)
			}
			if p.decide != "reject" {
				return
			}
			// HR moves the person again: the removal is asked for anew.
			again := emp.Clone()
			again.Contracts[1].Department = "DIR"
			h.setEmployee(again)
			h.signal(nil)
		})
		h.when(at("2026-03-10", 4, 0), func() {
			if p.decide != "reject" {
				return
			}
			st, g := h.state(), h.sim.UserGroups(upn)
			rg := st.RemovalGuard
			if n := guard.asks(p.id); n != 2 || rg == nil || rg.State != guardHeld || len(rg.Revoke) != 2 {
				t.Errorf("after HR moved the person again: asked %d, guard %+v", n, rg)
			}
			if !has(g, "Sales") || !has(g, "ICT Admins") || str(h.user(upn), "department") != "DIR" {
				t.Errorf("held again: groups %v department %s", g, str(h.user(upn), "department"))
			}
			// HR reverses the transfer: now ICT's access is what would go, a
			// different removal: the held one is withdrawn and the guard asked
			// anew.
			h.setEmployee(person(p.id, "Emma", "", p.family, contract(p.id+"-1", "2025-01-01", "", "Sales", "S10", "Accountmanager", managerID)))
			h.signal(nil)
		})
		h.when(at("2026-03-10", 5, 0), func() {
			if p.decide != "reject" {
				return
			}
			st, g := h.state(), h.sim.UserGroups(upn)
			rg := st.RemovalGuard
			if n := guard.asks(p.id); n != 3 || rg == nil || rg.State != guardHeld || len(rg.Revoke) != 1 || rg.Revoke[0].String() != "group:ICT Admins" {
				t.Errorf("after HR reversed the transfer: asked %d, guard %+v", n, rg)
			}
			if !slices.Equal(withdrawn, []string{GuardKindRemoval}) || !has(g, "Sales") || !has(g, "ICT Admins") {
				t.Errorf("after HR reversed the transfer: withdrawn %v groups %v", withdrawn, g)
			}
			// The contract ends: the exit takes everything, and the held
			// removal is withdrawn.
			gone := person(p.id, "Emma", "", p.family, contract(p.id+"-1", "2025-01-01", "2026-03-09", "Sales", "S10", "Accountmanager", managerID))
			h.setEmployee(gone)
			h.signal(nil)
		})
		h.when(at("2026-03-10", 6, 0), func() {
			if p.decide != "reject" {
				return
			}
			st := h.state()
			if st.Status != StatusLeft || st.RemovalGuard != nil || !slices.Equal(withdrawn, []string{GuardKindRemoval, GuardKindRemoval}) ||
				len(h.sim.UserGroups(upn)) != 0 {
				t.Errorf("after the exit: status %s guard %+v withdrawn %v groups %v", st.Status, st.RemovalGuard, withdrawn, h.sim.UserGroups(upn))
			}
			if last(*status) != StatusLeft {
				t.Errorf("search attribute %v", *status)
			}
		})
		h.run(p.id, at("2026-03-11", 0, 0))
	}
	if !slices.Equal(guard.granted, []string{"1101", "1102"}) {
		t.Errorf("granted %v", guard.granted)
	}
}

// A single transfer under the budget goes through untouched: one request
// of kind removal, with the policy's budget, and the old access removed in
// the same move.
func TestSingleTransferUnderBudgetPassesUntouched(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	var asked []activities.GuardPermitRequest
	h.permit = func(in activities.RequestExitPermitInput) activities.GuardPermitAnswer {
		asked = append(asked, in.Request)
		return activities.GuardPermitAnswer{Granted: true, Used: 1, Budget: 5}
	}
	const upn = "jan.devries@contoso.example"
	h.setEmployee(person("1001", "Jan", "de", "Vries",
		contract("1001-1", "2025-01-01", "2026-03-09", "Sales", "S10", "Accountmanager", managerID),
		contract("1001-2", "2026-03-10", "", "ICT", "F045", "Systeembeheerder", managerID)))
	h.when(at("2026-03-10", 1, 0), func() {
		st, g := h.state(), h.sim.UserGroups(upn)
		if has(g, "Sales") || !has(g, "ICT Admins") || st.RemovalGuard != nil || st.Status != StatusActive {
			t.Errorf("groups %v guard %+v status %s", g, st.RemovalGuard, st.Status)
		}
		if len(asked) != 1 || asked[0].Kind != GuardKindRemoval || asked[0].MaxRemovalPercent != policy.DefaultMaxRemovalPercent ||
			asked[0].Reason != "removes group:Sales" || asked[0].Ref == "" {
			t.Errorf("asked %+v", asked)
		}
	})
	h.run("1001", at("2026-03-11", 0, 0))
}

// The end of a transfer's grace period removes access too: it asks the
// guard, and a held removal keeps the old department's access past the
// grace period.
func TestGraceEndRemovalWaitsForTheGuard(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 7)
	var kinds []string
	h.permit = func(in activities.RequestExitPermitInput) activities.GuardPermitAnswer {
		kinds = append(kinds, in.Request.Kind)
		return activities.GuardPermitAnswer{Held: true, Reason: "removal budget reached"}
	}
	const upn = "jan.devries@contoso.example"
	h.setEmployee(person("1001", "Jan", "de", "Vries",
		contract("1001-1", "2025-01-01", "2026-03-09", "ICT", "F045", "Systeembeheerder", managerID),
		contract("1001-2", "2026-03-10", "", "Sales", "S10", "Accountmanager", managerID)))
	h.when(at("2026-03-10", 1, 0), func() {
		if g := h.sim.UserGroups(upn); !has(g, "Sales") || !has(g, "ICT Admins") || len(kinds) != 0 {
			t.Errorf("during the grace period: %v, asked %v", g, kinds)
		}
	})
	h.when(at("2026-03-18", 1, 0), func() {
		st := h.state()
		if g := h.sim.UserGroups(upn); !has(g, "ICT Admins") || !has(g, "Sales") {
			t.Errorf("after the grace period, held: %v", g)
		}
		if !slices.Equal(kinds, []string{GuardKindRemoval}) || st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld {
			t.Errorf("asked %v, guard %+v", kinds, st.RemovalGuard)
		}
		h.env.SignalWorkflow(SignalGuardDecision, GuardDecision{Approved: true, By: "alice", Kind: GuardKindRemoval})
	})
	h.when(at("2026-03-18", 2, 0), func() {
		if g := h.sim.UserGroups(upn); has(g, "ICT Admins") || !has(g, "Sales") || h.state().RemovalGuard != nil {
			t.Errorf("after approval: %v", g)
		}
	})
	h.run("1001", at("2026-03-19", 0, 0))
}

// A rejected exit stands on HR news that leaves the leave moment as it was;
// only a change of the leave date asks the guard again.
func TestRejectedExitStandsUntilTheLeaveDateChanges(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "2026-03-06", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	asked := 0
	h.permit = func(activities.RequestExitPermitInput) activities.GuardPermitAnswer {
		asked++
		return activities.GuardPermitAnswer{Held: true, Reason: "budget reached"}
	}
	h.when(at("2026-03-06", 18, 0), func() {
		h.env.SignalWorkflow(SignalGuardDecision, GuardDecision{Approved: false, By: "bob"})
	})
	h.when(at("2026-03-06", 19, 0), func() {
		st := h.state()
		if st.Status != StatusActive || st.Guard == nil || st.Guard.State != guardRejected || !strings.Contains(st.HRNote, "when HR changes the leave date") {
			t.Errorf("rejected: status %s guard %+v note %q", st.Status, st.Guard, st.HRNote)
		}
		h.signal(nil) // a sync: same record
	})
	h.when(at("2026-03-06", 20, 0), func() {
		same := jan.Clone()
		same.Contracts[0].JobTitle = "Netwerkbeheerder" // news, but not about leaving
		h.signal(&same)
	})
	h.when(at("2026-03-06", 21, 0), func() {
		st := h.state()
		if asked != 1 || st.Status != StatusActive || st.Guard == nil || st.Guard.State != guardRejected {
			t.Errorf("after HR news that keeps the leave date: asked %d, status %s, guard %+v", asked, st.Status, st.Guard)
		}
		earlier := jan.Clone()
		d := hr.MustParseDate("2026-03-05")
		earlier.Contracts[0].End = &d
		h.signal(&earlier)
	})
	h.when(at("2026-03-06", 22, 0), func() {
		st := h.state()
		if asked != 2 || st.Status != StatusAwaitingApproval || st.Guard == nil || st.Guard.State != guardHeld {
			t.Errorf("after HR changed the leave date: asked %d, status %s, guard %+v", asked, st.Status, st.Guard)
		}
	})
	h.run("1001", at("2026-03-07", 0, 0))
}

// The removal signature depends on what is removed and on the access the
// view calls for, not on order.
func TestRemovalRef(t *testing.T) {
	sales := policy.Entitlement{Kind: policy.KindGroup, Name: "Sales"}
	lead := policy.Entitlement{Kind: policy.KindGroup, Name: "Sales Leadership"}
	ict := []heldEntitlement{{Entitlement: policy.Entitlement{Kind: policy.KindGroup, Name: "ICT Admins"}, Source: "role:ict"}}
	dir := []heldEntitlement{{Entitlement: policy.Entitlement{Kind: policy.KindGroup, Name: "Board"}, Source: "role:dir"}}
	cases := []struct {
		name     string
		a, b     string
		wantSame bool
	}{
		{"order", removalRef([]policy.Entitlement{sales, lead}, ict), removalRef([]policy.Entitlement{lead, sales}, ict), true},
		{"more removed", removalRef([]policy.Entitlement{sales}, ict), removalRef([]policy.Entitlement{sales, lead}, ict), false},
		{"other target", removalRef([]policy.Entitlement{sales}, ict), removalRef([]policy.Entitlement{sales}, dir), false},
	}
	for _, tc := range cases {
		if (tc.a == tc.b) != tc.wantSame || len(tc.a) != 16 {
			t.Errorf("%s: %q vs %q, want same %v", tc.name, tc.a, tc.b, tc.wantSame)
		}
	}
}

// The search attribute shows awaiting-approval while a removal is held,
// and the status otherwise.
func TestLifecycleStatusWithHeldRemoval(t *testing.T) {
	cases := []struct {
		status EntityStatus
		guard  *removalGuard
		want   EntityStatus
	}{
		{StatusActive, nil, StatusActive},
		{StatusActive, &removalGuard{State: guardHeld}, StatusAwaitingApproval},
		{StatusPreHire, &removalGuard{State: guardHeld}, StatusAwaitingApproval},
		{StatusActive, &removalGuard{State: guardRejected}, StatusActive},
		{StatusLeft, &removalGuard{State: guardHeld}, StatusLeft},
	}
	for _, tc := range cases {
		e := &entity{st: &entityState{Status: tc.status, RemovalGuard: tc.guard}}
		if got := e.lifecycleStatus(); got != tc.want {
			t.Errorf("%s with %+v: %s, want %s", tc.status, tc.guard, got, tc.want)
		}
	}
}

// An entity whose history predates the removal permit (GetVersion answers
// DefaultVersion while it replays) revokes as it did, without asking.
func TestRemovalPermitVersionedForOlderHistories(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.env.OnGetVersion(changeRemovalPermit, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	asked := 0
	h.permit = func(in activities.RequestExitPermitInput) activities.GuardPermitAnswer {
		asked++
		return activities.GuardPermitAnswer{Held: true}
	}
	const upn = "jan.devries@contoso.example"
	h.setEmployee(person("1001", "Jan", "de", "Vries",
		contract("1001-1", "2025-01-01", "2026-03-09", "Sales", "S10", "Accountmanager", managerID),
		contract("1001-2", "2026-03-10", "", "ICT", "F045", "Systeembeheerder", managerID)))
	h.when(at("2026-03-10", 1, 0), func() {
		if g := h.sim.UserGroups(upn); has(g, "Sales") || !has(g, "ICT Admins") || asked != 0 || h.state().RemovalGuard != nil {
			t.Errorf("groups %v, asked %d", g, asked)
		}
	})
	h.run("1001", at("2026-03-11", 0, 0))
}

// reconcile delivers a reconciliation's work to the entity and records the
// outcome when the update completes.
func (h *harness) reconcile(req ReconcileRequest, out *ReconcileOutcome) {
	h.seq++
	h.env.UpdateWorkflow(UpdateReconcile, "r-"+itoa(h.seq), &testsuite.TestUpdateCallback{
		OnReject: func(err error) { h.t.Errorf("reconcile rejected: %v", err) },
		OnComplete: func(v any, err error) {
			if err != nil {
				h.t.Errorf("reconcile: %v", err)
			}
			*out = v.(ReconcileOutcome)
		},
	}, req)
}

// A reconciliation approved after an exit was rejected is a later decision:
// the exit is asked for again with that approval, and goes through. A
// reconciliation's move whose removal is held is reported as waiting.
func TestReconciliationAfterGuardDecisions(t *testing.T) {
	t.Run("approved reconciliation after a rejected exit", func(t *testing.T) {
		h := newHarness(t, at("2026-03-02", 8, 0), 0)
		h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "2026-03-06", "ICT", "F045", "Systeembeheerder", managerID)))
		var pre []string
		h.permit = func(in activities.RequestExitPermitInput) activities.GuardPermitAnswer {
			pre = append(pre, in.Request.PreApproved)
			if in.Request.PreApproved != "" {
				return activities.GuardPermitAnswer{Granted: true}
			}
			return activities.GuardPermitAnswer{Held: true}
		}
		h.when(at("2026-03-06", 18, 0), func() {
			h.env.SignalWorkflow(SignalGuardDecision, GuardDecision{Approved: false, By: "bob"})
		})
		var out ReconcileOutcome
		h.when(at("2026-03-06", 19, 0), func() {
			h.reconcile(ReconcileRequest{Action: "exit", Source: "reconcile/7", Approved: "reconciliation reconcile/7 approved by carol"}, &out)
		})
		h.when(at("2026-03-06", 20, 0), func() {
			if st := h.state(); st.Status != StatusLeft || !out.Applied || !slices.Equal(pre, []string{"", "reconciliation reconcile/7 approved by carol"}) {
				t.Errorf("status %s outcome %+v asked with %q", st.Status, out, pre)
			}
		})
		h.run("1001", at("2026-03-07", 0, 0))
	})
	t.Run("move with a held removal", func(t *testing.T) {
		h := newHarness(t, at("2026-03-02", 8, 0), 0)
		h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "", "Sales", "S10", "Accountmanager", managerID)))
		h.permit = func(activities.RequestExitPermitInput) activities.GuardPermitAnswer {
			return activities.GuardPermitAnswer{Held: true, Reason: "removal budget reached"}
		}
		var out ReconcileOutcome
		h.when(at("2026-03-03", 9, 0), func() {
			h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "", "ICT", "S10", "Accountmanager", managerID)))
			h.reconcile(ReconcileRequest{Action: "move", Source: "reconcile/8"}, &out)
		})
		h.when(at("2026-03-03", 10, 0), func() {
			if out.Applied || !out.Waiting || !strings.Contains(out.Reason, "removal of managed access waits") || out.Status != string(StatusActive) {
				t.Errorf("outcome %+v", out)
			}
		})
		h.run("1001", at("2026-03-04", 0, 0))
	})
}

// The channel that carries a rollout's approval ahead of a removal takes nothing else: a
// plain approval sent there leaves a held removal held (only guard-decision releases it).
func TestRemovalApprovalChannelTakesOnlyApprovalsAhead(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 7)
	h.permit = func(activities.RequestExitPermitInput) activities.GuardPermitAnswer {
		return activities.GuardPermitAnswer{Held: true, Reason: "removal budget reached"}
	}
	const upn = "jan.devries@contoso.example"
	h.setEmployee(person("1001", "Jan", "de", "Vries",
		contract("1001-1", "2025-01-01", "2026-03-09", "ICT", "F045", "Systeembeheerder", managerID),
		contract("1001-2", "2026-03-10", "", "Sales", "S10", "Accountmanager", managerID)))
	h.when(at("2026-03-18", 1, 0), func() {
		if st := h.state(); st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld {
			t.Fatalf("removal not held: %+v", st.RemovalGuard)
		}
		h.env.SignalWorkflow(SignalRemovalApproval, GuardDecision{Approved: true, By: "mallory", Kind: GuardKindRemoval})
	})
	h.when(at("2026-03-18", 2, 0), func() {
		st := h.state()
		if g := h.sim.UserGroups(upn); !has(g, "ICT Admins") || st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld {
			t.Errorf("a plain approval on %s released the removal: groups %v, guard %+v", SignalRemovalApproval, g, st.RemovalGuard)
		}
	})
	h.run("1001", at("2026-03-19", 0, 0))
}
