package workflows

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// The rollout's approval label in the test environment (its workflow id).
const rolloutApproval = "policy rollout default-test-workflow-id approved by alice"

// policyHash is the hash the entities get for the policy now.
func (h *harness) policyHash() string {
	h.t.Helper()
	snap, err := h.acts.LoadPolicy(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return snap.Hash
}

func keys(es []policy.Entitlement) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Key())
	}
	slices.Sort(out)
	return out
}

// A rollout paused by its guard and approved passes the approval to each
// entity whose access the plan removes, before telling it to apply the
// policy: a guard decision with Ahead naming the approver, the policy
// planned and what the plan removes from that employee. A rollout that was
// not paused passes nothing, and its removals ask the guard like any other.
func TestApprovedRolloutPassesItsApprovalToRemovals(t *testing.T) {
	for _, approved := range []bool{true, false} {
		t.Run(map[bool]string{true: "approved", false: "within its guard"}[approved], func(t *testing.T) {
			h := newHarness(t, at("2026-03-02", 8, 0), 0)
			ids := seedStaff(t, h, 4)
			pol := strings.Replace(h.policy(), `when: {department: ["ICT"]}`, `when: {department: ["HR"]}`, 1)
			if !approved {
				pol += "guard: {maxDisablePercent: 100}\n"
			}
			h.setPolicy(pol)
			hash := h.policyHash()
			var calls []string
			ahead := map[string]GuardDecision{}
			var res PolicyRolloutResult
			err := h.runThroughContinueAsNew(PolicyRolloutWorkflowName, PolicyRolloutInput{}, &res, decodeRollout, func() {
				h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalHRChanged, mock.Anything).
					Run(func(args mock.Arguments) { calls = append(calls, args.String(1)+" "+SignalHRChanged) }).Return(nil)
				h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalRemovalApproval, mock.Anything).
					Run(func(args mock.Arguments) {
						calls = append(calls, args.String(1)+" "+SignalRemovalApproval)
						ahead[args.String(1)] = args.Get(4).(GuardDecision)
					}).Return(nil).Maybe()
				h.when(h.env.Now().Add(time.Hour), func() {
					if in, ok := h.queryRollout(); ok && in.Phase == rolloutPlan {
						h.env.SignalWorkflow(SignalApprove, Approval{By: "alice"})
					}
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != RunDone || res.Removals != 4 || res.Signalled != 5 {
				t.Fatalf("result %+v", res)
			}
			if !approved {
				if len(ahead) != 0 || len(calls) != 5 {
					t.Errorf("a rollout that was not paused passed approvals: %v", calls)
				}
				return
			}
			// The manager's access only grows: told, given nothing.
			want := []string{"employee/" + managerID + " " + SignalHRChanged}
			for _, id := range ids {
				want = append(want, "employee/"+id+" "+SignalRemovalApproval, "employee/"+id+" "+SignalHRChanged)
			}
			if !slices.Equal(calls, want) {
				t.Errorf("signals\n got %v\nwant %v", calls, want)
			}
			for _, id := range ids {
				d := ahead["employee/"+id]
				if !d.Approved || d.By != rolloutApproval || d.Kind != GuardKindRemoval || d.Ahead == nil {
					t.Fatalf("%s: decision %+v", id, d)
				}
				if d.Ahead.Policy != hash || !slices.Equal(keys(d.Ahead.Remove), []string{"group:ict admins"}) ||
					!d.Ahead.Until.After(at("2026-03-02", 8, 0).Add(removalApprovalValidity)) {
					t.Errorf("%s: ahead %+v, want policy %s", id, d.Ahead, hash)
				}
			}
		})
	}
}

// permitLog is a fake guard whose removal budget is spent: it grants a
// removal only with an approval (PreApproved), as the guard workflow does
// (TestGuardGrantsRemovalsApprovedAhead), and records every request.
type permitLog struct {
	mu    sync.Mutex
	asked []activities.RequestExitPermitInput
}

func (p *permitLog) permit(in activities.RequestExitPermitInput) activities.GuardPermitAnswer {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, in)
	if in.Request.Kind != GuardKindRemoval || in.Request.PreApproved != "" {
		return activities.GuardPermitAnswer{Granted: true}
	}
	return activities.GuardPermitAnswer{Held: true, Reason: "removal budget reached"}
}

// removals lists the removal requests as "<preApproved>|<reason>".
func (p *permitLog) removals() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, in := range p.asked {
		if in.Request.Kind == GuardKindRemoval {
			out = append(out, in.Request.PreApproved+"|"+in.Request.Reason)
		}
	}
	return out
}

// salesLead is Jan, a sales lead: Sales, Sales Leadership and the
// Salesforce role.
func salesLead(jobCode string) hr.Employee {
	return person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "", "Sales", jobCode, "Accountmanager", managerID))
}

const salesLeadUPN = "jan.devries@contoso.example"

// noSalesRule is the policy with the Sales rule no longer granting Sales to
// the Sales department.
func noSalesRule(pol string) string {
	return strings.Replace(pol, "when: {department: [\"Sales\"]}\n    groups: [\"Sales\"]", "when: {department: [\"XYZ\"]}\n    groups: [\"Sales\"]", 1)
}

// An entity given an approved rollout's approval ahead of the removal asks
// the guard for that removal with it: the guard (its removal budget spent)
// grants it, the access goes in the same Move, once, and the entity is never
// held. The approval is used up: a later removal (HR changes the person's
// job) is asked for without it and held. Without the approval the rollout's
// removal is held as before.
func TestRolloutRemovalApprovedAheadIsNotHeldAgain(t *testing.T) {
	for _, approved := range []bool{true, false} {
		t.Run(map[bool]string{true: "approved", false: "unapproved"}[approved], func(t *testing.T) {
			h := newHarness(t, at("2026-03-02", 8, 0), 0)
			guard := &permitLog{}
			h.permit = guard.permit
			status := h.watchStatus()
			h.setEmployee(salesLead("M01"))
			h.when(at("2026-03-02", 9, 0), func() {
				if g := h.sim.UserGroups(salesLeadUPN); !has(g, "Sales") || !has(g, "Sales Leadership") {
					t.Fatalf("before the rollout: %v", g)
				}
				h.setPolicy(noSalesRule(h.policy()))
				if approved {
					h.env.SignalWorkflow(SignalRemovalApproval, GuardDecision{Approved: true, By: rolloutApproval, Kind: GuardKindRemoval,
						Ahead: &RemovalApproval{Policy: h.policyHash(), Remove: []policy.Entitlement{{Kind: policy.KindGroup, Name: "Sales"}},
							Until: h.env.Now().Add(removalApprovalValidity)}})
				}
				h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: ReasonPolicyChanged, Source: "policy-rollout"})
			})
			h.when(at("2026-03-02", 9, 5), func() {
				st, g := h.state(), h.sim.UserGroups(salesLeadUPN)
				removals := guard.removals()
				if len(removals) != 1 || !strings.Contains(removals[0], "group:Sales") {
					t.Fatalf("removal requests %q", removals)
				}
				if !approved {
					if !strings.HasPrefix(removals[0], "|") || !has(g, "Sales") || st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld ||
						last(*status) != StatusAwaitingApproval {
						t.Errorf("unapproved: asked %q groups %v guard %+v status %v", removals, g, st.RemovalGuard, *status)
					}
					return
				}
				if removals[0] != rolloutApproval+"|removes group:Sales" {
					t.Errorf("asked %q, want the rollout's approval with it", removals)
				}
				if has(g, "Sales") || !has(g, "Sales Leadership") || st.RemovalGuard != nil || st.RemovalPreApproval != nil {
					t.Errorf("approved: groups %v guard %+v pre-approval %+v", g, st.RemovalGuard, st.RemovalPreApproval)
				}
				if slices.Contains(*status, StatusAwaitingApproval) {
					t.Errorf("held although approved: %v", *status)
				}
				// Later, HR changes Jan's job: Sales Leadership and the role
				// go, a removal the rollout's approval does not cover.
				h.setEmployee(salesLead("S10"))
				h.signal(nil)
			})
			h.when(at("2026-03-02", 10, 0), func() {
				if !approved {
					return
				}
				st, g := h.state(), h.sim.UserGroups(salesLeadUPN)
				removals := guard.removals()
				if len(removals) != 2 || !strings.HasPrefix(removals[1], "|") || !strings.Contains(removals[1], "group:Sales Leadership") {
					t.Errorf("the later removal was asked %q, want without an approval", removals)
				}
				if !has(g, "Sales Leadership") || st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld || last(*status) != StatusAwaitingApproval {
					t.Errorf("the later removal: groups %v guard %+v status %v", g, st.RemovalGuard, *status)
				}
			})
			h.run("1001", at("2026-03-03", 0, 0))
		})
	}
}

// The approval may reach the entity after it applied the policy (signals of
// one rollout are separate deliveries): the removal held meanwhile is asked
// for again with the approval, granted in place of the held request, and the
// access goes. An approval that comes first and waits for the policy is
// kept while the entity still holds the old one.
func TestRolloutApprovalAfterTheRemovalWasHeld(t *testing.T) {
	for _, first := range []string{"policy", "approval"} {
		t.Run(first+" first", func(t *testing.T) {
			h := newHarness(t, at("2026-03-02", 8, 0), 0)
			guard := &permitLog{}
			h.permit = guard.permit
			h.setEmployee(salesLead("M01"))
			var hash string
			approve := func() {
				h.env.SignalWorkflow(SignalRemovalApproval, GuardDecision{Approved: true, By: rolloutApproval, Kind: GuardKindRemoval,
					Ahead: &RemovalApproval{Policy: hash, Remove: []policy.Entitlement{{Kind: policy.KindGroup, Name: "Sales"}},
						Until: h.env.Now().Add(removalApprovalValidity)}})
			}
			tell := func() {
				h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: ReasonPolicyChanged, Source: "policy-rollout"})
			}
			h.when(at("2026-03-02", 9, 0), func() {
				h.setPolicy(noSalesRule(h.policy()))
				hash = h.policyHash()
				if first == "policy" {
					tell()
				} else {
					approve()
				}
			})
			h.when(at("2026-03-02", 9, 30), func() {
				st := h.state()
				if first == "policy" {
					if st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld {
						t.Errorf("before the approval: guard %+v", st.RemovalGuard)
					}
					approve()
					return
				}
				if st.RemovalPreApproval == nil || st.RemovalPreApproval.By != rolloutApproval || len(guard.removals()) != 0 {
					t.Errorf("before the policy: pre-approval %+v asked %q", st.RemovalPreApproval, guard.removals())
				}
				tell()
			})
			h.when(at("2026-03-02", 10, 0), func() {
				st, g := h.state(), h.sim.UserGroups(salesLeadUPN)
				want := []string{rolloutApproval + "|removes group:Sales"}
				if first == "policy" {
					want = append([]string{"|removes group:Sales"}, want...)
				}
				if !slices.Equal(guard.removals(), want) {
					t.Errorf("asked %q, want %q", guard.removals(), want)
				}
				if has(g, "Sales") || st.RemovalGuard != nil || st.RemovalPreApproval != nil {
					t.Errorf("after the approval: groups %v guard %+v pre-approval %+v", g, st.RemovalGuard, st.RemovalPreApproval)
				}
				if n := len(guard.asked); n > 1 && guard.asked[n-1].Target.UpdateID == guard.asked[n-2].Target.UpdateID {
					t.Errorf("the request with the approval reuses the update id %s", guard.asked[n-1].Target.UpdateID)
				}
			})
			h.run("1001", at("2026-03-03", 0, 0))
		})
	}
}

// An approved reconciliation's move brings its approval to the removal that
// move makes, and to nothing else: not to a later exit (PreApproved stays
// empty) and not to a later removal (the approval is gone once the
// reconciliation's request is answered).
func TestApprovedReconciliationMoveRemovesOnce(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	guard := &permitLog{}
	h.permit = guard.permit
	h.setEmployee(salesLead("M01"))
	const approval = "reconciliation reconcile/9 approved by carol"
	var out ReconcileOutcome
	h.when(at("2026-03-02", 9, 0), func() {
		h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "", "ICT", "M01", "Accountmanager", managerID)))
		h.reconcile(ReconcileRequest{Action: "move", Source: "reconcile/9", Approved: approval}, &out)
	})
	h.when(at("2026-03-02", 10, 0), func() {
		st, g := h.state(), h.sim.UserGroups(salesLeadUPN)
		if !out.Applied || has(g, "Sales") || has(g, "Sales Leadership") || !has(g, "ICT Admins") {
			t.Errorf("outcome %+v groups %v", out, g)
		}
		if r := guard.removals(); len(r) != 1 || !strings.HasPrefix(r[0], approval+"|") {
			t.Errorf("asked %q", r)
		}
		if st.PreApproved != "" || st.RemovalPreApproval != nil || st.RemovalGuard != nil {
			t.Errorf("left behind: exit pre-approval %q removal pre-approval %+v guard %+v", st.PreApproved, st.RemovalPreApproval, st.RemovalGuard)
		}
		h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "", "DIR", "M01", "Accountmanager", managerID)))
		h.signal(nil)
	})
	h.when(at("2026-03-02", 11, 0), func() {
		st := h.state()
		if r := guard.removals(); len(r) != 2 || !strings.HasPrefix(r[1], "|") || st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld {
			t.Errorf("a later removal: asked %q guard %+v", r, st.RemovalGuard)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
}

// What an approval given ahead covers.
func TestRemovalPreApprovedScope(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sales := policy.Entitlement{Kind: policy.KindGroup, Name: "Sales"}
	lead := policy.Entitlement{Kind: policy.KindGroup, Name: "Sales Leadership"}
	jan := salesLead("M01")
	moved := salesLead("S10")
	rollout := func(mod func(*removalPreApproval)) *removalPreApproval {
		p := &removalPreApproval{By: "r", Policy: "h1", Remove: []policy.Entitlement{sales}, Until: now.Add(time.Hour), Record: recordSignature(&jan)}
		if mod != nil {
			mod(p)
		}
		return p
	}
	cases := []struct {
		name     string
		pre      *removalPreApproval
		policy   string
		employee *hr.Employee
		revoke   []policy.Entitlement
		want     string
		kept     bool
	}{
		{"none", nil, "h1", &jan, []policy.Entitlement{sales}, "", false},
		{"covered", rollout(nil), "h1", &jan, []policy.Entitlement{sales}, "r", true},
		{"covered, other spelling", rollout(nil), "h1", &jan, []policy.Entitlement{{Kind: policy.KindGroup, Name: " sales"}}, "r", true},
		{"removes more than the plan", rollout(nil), "h1", &jan, []policy.Entitlement{sales, lead}, "", false},
		{"policy not loaded yet", rollout(nil), "h0", &jan, []policy.Entitlement{sales}, "", true},
		{"lapsed", rollout(func(p *removalPreApproval) { p.Until = now }), "h1", &jan, []policy.Entitlement{sales}, "", false},
		{"HR changed the person since", rollout(nil), "h1", &moved, []policy.Entitlement{sales}, "", false},
		{"a reconciliation's move", &removalPreApproval{By: "c", Request: 3}, "h1", &jan, []policy.Entitlement{sales, lead}, "c", true},
	}
	for _, tc := range cases {
		e := &entity{st: &entityState{PolicyHash: tc.policy, Employee: tc.employee, RemovalPreApproval: tc.pre}}
		if got := e.removalPreApproved(tc.revoke, now); got != tc.want || (e.st.RemovalPreApproval != nil) != tc.kept {
			t.Errorf("%s: %q (kept %v), want %q (kept %v)", tc.name, got, e.st.RemovalPreApproval != nil, tc.want, tc.kept)
		}
	}
}

// The guard grants a removal asked with an approval given ahead although
// the removal budget is spent and others wait, counts it and names the
// approval; asked with an approval, a held removal is granted in place of
// the held request, with the decision recorded. A removal without one is
// still held.
func TestGuardGrantsRemovalsApprovedAhead(t *testing.T) {
	g := newGuardEnv(t)
	ans := make([]activities.GuardPermitAnswer, 6)
	at := func(d time.Duration, fn func()) { g.env.RegisterDelayedCallback(fn, d) }
	askPre := func(id, ref, pre string, out *activities.GuardPermitAnswer) {
		g.seq++
		g.env.UpdateWorkflow(UpdateGuardPermit, "p-"+itoa(g.seq), &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("permit %s rejected: %v", id, err) },
			OnComplete: func(v any, err error) { *out = v.(activities.GuardPermitAnswer) },
		}, activities.GuardPermitRequest{EmployeeID: id, Kind: GuardKindRemoval, Ref: ref, Managed: 20,
			MaxDisablePercent: 10, MaxRemovalPercent: 10, Window: "24h", PreApproved: pre})
	}
	at(1*time.Minute, func() { askPre("11", "r1", "", &ans[0]) })
	at(2*time.Minute, func() { askPre("12", "r1", "", &ans[1]) })
	at(3*time.Minute, func() { askPre("13", "r1", "", &ans[2]) }) // held: the budget of 2 is spent
	at(4*time.Minute, func() { askPre("14", "r1", rolloutApproval, &ans[3]) })
	at(5*time.Minute, func() { askPre("13", "r1", rolloutApproval, &ans[4]) }) // the held one, approved since
	at(6*time.Minute, func() { askPre("15", "r1", "", &ans[5]) })
	at(7*time.Minute, func() {
		st := g.state()
		if want := []string{"removal:15"}; !slices.Equal(heldKinds(st), want) {
			t.Errorf("held %v, want %v", heldKinds(st), want)
		}
		var by []string
		for _, r := range st.Removals {
			by = append(by, r.EmployeeID+"="+r.By)
		}
		if want := []string{"11=", "12=", "14=" + rolloutApproval, "13=" + rolloutApproval}; !slices.Equal(by, want) {
			t.Errorf("removals granted %v, want %v", by, want)
		}
		if len(st.Decided) != 1 || st.Decided[0].EmployeeID != "13" || !st.Decided[0].Approved || st.Decided[0].By != rolloutApproval ||
			st.Decided[0].Kind != GuardKindRemoval {
			t.Errorf("decided %+v", st.Decided)
		}
		g.env.CancelWorkflow()
	})
	g.env.ExecuteWorkflow(GuardWorkflowName, GuardInput{})
	for i, want := range []bool{true, true, false, true, true, false} {
		if ans[i].Granted != want || ans[i].Held == want {
			t.Errorf("answer %d = %+v, want granted %v", i, ans[i], want)
		}
	}
	if len(g.signals) != 0 {
		t.Errorf("entities told %v: an approval given ahead needs no decision sent", g.signals)
	}
}

// A guard whose history predates approvals for removals (GetVersion answers
// DefaultVersion while it replays) holds a removal asked with an approval,
// as it did, and still grants an exit asked with one.
func TestGuardRemovalApprovalVersionedForOlderHistories(t *testing.T) {
	g := newGuardEnv(t)
	g.env.OnGetVersion(changeGuardRemovalApproval, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	ans := make([]activities.GuardPermitAnswer, 4)
	at := func(d time.Duration, fn func()) { g.env.RegisterDelayedCallback(fn, d) }
	ask := func(id, kind, pre string, out *activities.GuardPermitAnswer) {
		g.seq++
		g.env.UpdateWorkflow(UpdateGuardPermit, "p-"+itoa(g.seq), &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("permit %s rejected: %v", id, err) },
			OnComplete: func(v any, err error) { *out = v.(activities.GuardPermitAnswer) },
		}, activities.GuardPermitRequest{EmployeeID: id, Kind: kind, Ref: "r1", Managed: 20,
			MaxDisablePercent: 0, MaxRemovalPercent: 0, Window: "24h", PreApproved: pre})
	}
	at(1*time.Minute, func() { ask("11", GuardKindRemoval, "", &ans[0]) })
	at(2*time.Minute, func() { ask("11", GuardKindRemoval, rolloutApproval, &ans[1]) })
	at(3*time.Minute, func() { ask("12", GuardKindRemoval, rolloutApproval, &ans[2]) })
	at(4*time.Minute, func() { ask("13", GuardKindExit, "reconciliation r approved by carol", &ans[3]) })
	at(5*time.Minute, func() {
		if want := []string{"removal:11", "removal:12"}; !slices.Equal(heldKinds(g.state()), want) {
			t.Errorf("held %v, want %v", heldKinds(g.state()), want)
		}
		g.env.CancelWorkflow()
	})
	g.env.ExecuteWorkflow(GuardWorkflowName, GuardInput{})
	for i, want := range []bool{false, false, false, true} {
		if ans[i].Granted != want {
			t.Errorf("answer %d = %+v, want granted %v", i, ans[i], want)
		}
	}
}

// Histories from before: an entity (GetVersion of removal-pre-approval
// answers DefaultVersion) leaves a held removal as it stands when an
// approval arrives; a rollout (rollout-removal-approval) passes none.
func TestRemovalApprovalVersionedForOlderHistories(t *testing.T) {
	t.Run("entity", func(t *testing.T) {
		h := newHarness(t, at("2026-03-02", 8, 0), 0)
		h.env.OnGetVersion(changeRemovalPreApproval, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		guard := &permitLog{}
		h.permit = guard.permit
		h.setEmployee(salesLead("M01"))
		h.when(at("2026-03-02", 9, 0), func() {
			h.setPolicy(noSalesRule(h.policy()))
			h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: ReasonPolicyChanged, Source: "policy-rollout"})
		})
		h.when(at("2026-03-02", 9, 30), func() {
			h.env.SignalWorkflow(SignalRemovalApproval, GuardDecision{Approved: true, By: rolloutApproval, Kind: GuardKindRemoval,
				Ahead: &RemovalApproval{Policy: h.policyHash(), Remove: []policy.Entitlement{{Kind: policy.KindGroup, Name: "Sales"}},
					Until: h.env.Now().Add(removalApprovalValidity)}})
		})
		h.when(at("2026-03-02", 10, 0), func() {
			st := h.state()
			if r := guard.removals(); len(r) != 1 || !has(h.sim.UserGroups(salesLeadUPN), "Sales") ||
				st.RemovalGuard == nil || st.RemovalGuard.State != guardHeld {
				t.Errorf("asked %q guard %+v", r, st.RemovalGuard)
			}
		})
		h.run("1001", at("2026-03-03", 0, 0))
	})
	t.Run("rollout", func(t *testing.T) {
		h := newHarness(t, at("2026-03-02", 8, 0), 0)
		seedStaff(t, h, 4)
		h.setPolicy(strings.Replace(h.policy(), `when: {department: ["ICT"]}`, `when: {department: ["HR"]}`, 1))
		ahead := 0
		var res PolicyRolloutResult
		err := h.runThroughContinueAsNew(PolicyRolloutWorkflowName, PolicyRolloutInput{}, &res, decodeRollout, func() {
			h.env.OnGetVersion(changeRolloutRemovalApproval, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalHRChanged, mock.Anything).Return(nil)
			h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalRemovalApproval, mock.Anything).
				Run(func(mock.Arguments) { ahead++ }).Return(nil).Maybe()
			h.when(h.env.Now().Add(time.Hour), func() {
				if in, ok := h.queryRollout(); ok && in.Phase == rolloutPlan {
					h.env.SignalWorkflow(SignalApprove, Approval{By: "alice"})
				}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != RunDone || res.Signalled != 5 || ahead != 0 {
			t.Errorf("result %+v, approvals passed %d", res, ahead)
		}
	})
}
