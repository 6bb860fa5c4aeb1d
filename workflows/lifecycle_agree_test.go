package workflows

import (
	"math/rand"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/lifecycle"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/reconcile"
	"github.com/entralifecycle/engine/internal/testenv"
)

const agreePolicyYAML = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, createDaysBeforeStart: 14, leaveTime: "17:00", deleteAfterDays: 30}
rules:
  - name: all-staff
    groups: ["All Staff"]
`

// agreeTimeline is a random HR record: zero to three contracts around base,
// adjacent (the next starts the day after), with gaps (a rehire) or

// directoryAccount is what the planner sees of an entity's account: none
// for a new, failed, deleted or missing one; a disabled one without a leave
// date for a pre-hire; a disabled one carrying employeeLeaveDateTime after
// an exit; an enabled one otherwise.
func directoryAccount(st *entityState) []reconcile.EntraAccount {
	u := directory.User{ID: "obj-1001", EmployeeID: st.EmployeeID, DisplayName: "Anna Jansen"}
	switch st.Status {
	case StatusPreHire:
	case StatusActive, StatusAwaitingApproval:
		u.AccountEnabled = true
	case StatusLeft:
		u.EmployeeLeaveDateTime = *st.LeftAt
	default:
		return nil
	}
	return []reconcile.EntraAccount{{User: u}}
}

// plannerWord is the entity's lifecycle action in the planner's words, given
// what the planner can see of the account: an action that leaves the
// account enabled is a hire (a rehire when the left account is visible);
// one that prepares it disabled is a hire only when there is nothing to see
// (the planner leaves a disabled account alone); an exit is one only while
// the account is enabled; deletion and the entity's own bookkeeping are
// not reconciliation's.
func plannerWord(a lifecycle.Action, acc []reconcile.EntraAccount) string {
	visible := len(acc) > 0
	switch {
	case a.Creates() || a == lifecycle.Activate:
		switch {
		case !visible:
			return reconcile.ActionHire
		case !a.Enables():
			return ""
		case !acc[0].User.EmployeeLeaveDateTime.IsZero():
			return reconcile.ActionRehire
		}
		return reconcile.ActionHire
	case a == lifecycle.Exit && visible && acc[0].User.AccountEnabled:
		return reconcile.ActionExit
	}
	return ""
}

// TestPlannerAgreesWithEntity: for random HR timelines, account states and
// moments, the reconciliation planner's lifecycle action for an employee is
// the one the entity workflow would take (decided by the path step uses).
func TestPlannerAgreesWithEntity(t *testing.T) {
	p, err := policy.Parse("policy.yaml", []byte(agreePolicyYAML))
	if err != nil {
		t.Fatal(err)
	}
	statuses := []EntityStatus{StatusNew, StatusFailed, StatusPreHire, StatusActive, StatusAwaitingApproval,
		StatusLeft, StatusDeleted, StatusAccountMissing}
	r := rand.New(rand.NewSource(1012))
	base := hr.NewDate(2026, 6, 15)
	seen := map[string]int{}
	for i := 0; i < 5000; i++ {
		e := testenv.RandomTimeline(r, base)
		day := base.AddDays(r.Intn(500) - 200)
		now := p.StartOfDay(day.Year, day.Month, day.Day).Add(time.Duration(r.Intn(24*60)) * time.Minute)
		if r.Intn(3) == 0 {
			now = p.LeaveAt(day.Year, day.Month, day.Day)
		}
		st := &entityState{EmployeeID: e.EmployeeID, Status: statuses[r.Intn(len(statuses))], ObjectID: "obj-1001", Employee: &e}
		if st.Status == StatusLeft {
			st.LeftAt = ptrTime(now.AddDate(0, 0, -r.Intn(60)))
		}

		// The entity's decision, by the path step takes.
		entity := st.decide(momentsOf(st.Employee, p, now), p, now).Action

		acc := directoryAccount(st)
		plan := reconcile.ComputePlan(reconcile.PlanInput{
			Snapshot: hr.Snapshot{Employees: []hr.Employee{e}}, Policy: p, At: now, Accounts: acc,
		})
		got := ""
		for _, a := range plan.Actions {
			if a.EmployeeID != e.EmployeeID {
				t.Fatalf("case %d: plan acts on %s", i, a.EmployeeID)
			}
			switch a.Action {
			case reconcile.ActionMove, reconcile.ActionRepair:
				// Attribute and entitlement drift of an employed person.
			default:
				got = a.Action
			}
		}
		want := plannerWord(entity, acc)
		seen[string(entity)+"→"+want]++
		if got != want {
			t.Fatalf("case %d: planner says %q, the entity (status %s) would %s, i.e. %q\ncontracts %+v\nnow %s",
				i, got, st.Status, entity, want, e.Contracts, now)
		}
	}
	for _, k := range []string{"hire-enabled→hire", "hire-disabled→hire", "activate→hire", "rehire→rehire", "rehire→hire",
		"rehire-disabled→", "rehire-disabled→hire", "exit→exit", "exit→", "delete→", "find-leaver→", "forget→", "none→"} {
		if seen[k] == 0 {
			t.Errorf("no random case covered %s", k)
		}
	}
	t.Logf("entity action → planner action over the random cases: %v", seen)
}
