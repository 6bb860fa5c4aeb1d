package workflows

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// entityRun counts what one entity run started: child workflows, activities
// (by type) and local activities (by type).
type entityRun struct {
	children int
	acts     map[string]int
	locals   map[string]int
}

func (h *harness) countRun() *entityRun {
	r := &entityRun{acts: map[string]int{}, locals: map[string]int{}}
	h.env.SetOnChildWorkflowStartedListener(func(*workflow.Info, workflow.Context, converter.EncodedValues) { r.children++ })
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		r.acts[info.ActivityType.Name]++
	})
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		r.locals[info.ActivityType.Name]++
	})
	return r
}

// The engine's first start on a tenant whose accounts are in line (here: made by an
// earlier entity whose Temporal state is gone): the new entity looks the account up in its
// own workflow task, finds everything the hire would set, and takes the account over
// without a Hire child, without an activity task and without a Graph write.
func TestNewEntityAdoptsAccountInLineWithoutHire(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	jan := person(adoptID, "Jan", "de", "Vries", contract(adoptID+"-1", "2024-01-01", "", "Sales", "M01", "Sales Manager", managerID))
	h.setEmployee(jan)
	var first entityState
	h.when(at("2026-03-02", 9, 0), func() { first = h.state() })
	h.run(adoptID, at("2026-03-02", 10, 0))
	if first.Status != StatusActive || first.ObjectID == "" || first.LastEvent != EventHire {
		t.Fatalf("first entity: %s %q after %q, want active after a hire", first.Status, first.ObjectID, first.LastEvent)
	}

	// The engine starts again with no memory of the account.
	h.freshEnv(h.env.Now())
	h.sim.ResetStats()
	users := h.sim.UserCount()
	run := h.countRun()
	var st entityState
	h.when(h.env.Now().Add(time.Hour), func() { st = h.state() })
	h.t0 = h.env.Now()
	h.run(adoptID, h.env.Now().Add(2*time.Hour))
	if run.children != 0 {
		t.Errorf("%d child workflows, want none for an account in line", run.children)
	}
	if len(run.acts) != 0 {
		t.Errorf("activity tasks %v, want none", run.acts)
	}
	if run.locals["LookUpHire"] != 1 || run.locals["LoadPolicy"] != 1 || run.locals["ReadEmployee"] != 1 || run.locals["RecordAdoption"] != 1 {
		t.Errorf("local activities %v, want one LoadPolicy, ReadEmployee, LookUpHire and RecordAdoption each", run.locals)
	}
	if s := h.sim.Stats(); s.Writes != 0 || h.sim.UserCount() != users {
		t.Errorf("%d writes, %d users (was %d): want nothing written", s.Writes, h.sim.UserCount(), users)
	}
	if st.Status != StatusActive || st.ObjectID != first.ObjectID || st.UPN != first.UPN || st.LastEvent != EventAdopt {
		t.Errorf("adopting entity: %s %q %q after %q; want active on %s %s after %q",
			st.Status, st.ObjectID, st.UPN, st.LastEvent, first.ObjectID, first.UPN, EventAdopt)
	}
	if !st.AddressAdopted || st.Names == nil || st.Names.UPN != first.UPN || st.VerifiedAt == nil {
		t.Errorf("adopted names %+v addressAdopted %v verified %v", st.Names, st.AddressAdopted, st.VerifiedAt)
	}
	if st.ManagerObjectID != h.ids.Users[managerUPN] || st.ManagerPending {
		t.Errorf("manager %q pending %v, want %s", st.ManagerObjectID, st.ManagerPending, h.ids.Users[managerUPN])
	}
	if len(st.Entitlements) != len(first.Entitlements) {
		t.Errorf("entitlements %v, want %v", st.Entitlements, first.Entitlements)
	}
}

// A new hire's entity looks up in its own workflow task and hands the answer to the
// Hire child, which does not look up again: one lookup per hire.
func TestNewHireLooksUpOnce(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(person("1002", "Els", "", "Bakker", contract("1002-1", "2026-03-01", "", "Sales", "M01", "Sales Manager", managerID)))
	run := h.countRun()
	var st entityState
	h.when(at("2026-03-02", 9, 0), func() { st = h.state() })
	h.run("1002", at("2026-03-02", 10, 0))
	if run.children != 1 || st.Status != StatusActive || st.LastEvent != EventHire {
		t.Fatalf("%d children, %s after %q: want one Hire child and the account active", run.children, st.Status, st.LastEvent)
	}
	if run.locals["LookUpHire"] != 1 || run.acts["LookUpHire"] != 0 {
		t.Errorf("LookUpHire %d local, %d as activity tasks; want it once, in the entity", run.locals["LookUpHire"], run.acts["LookUpHire"])
	}
	if run.acts["CreateAccount"] != 1 {
		t.Errorf("activities %v, want one CreateAccount", run.acts)
	}
}

// adoptedInPlace takes an account over only when the hire would write nothing.
func TestAdoptedInPlace(t *testing.T) {
	in := HireInput{
		EmployeeID: "1001", Person: policy.Person{GivenName: "Jan", FamilyName: "Vries"},
		Naming: policy.Naming{UPN: "{given}.{family}"}, Domain: "contoso.example",
		ManagerEmployeeID: "1000", Enable: true,
		Entitlements: []policy.Entitlement{{Kind: policy.KindGroup, Name: "All Staff"}},
	}
	inLine := func() *activities.LookUpHireResult {
		return &activities.LookUpHireResult{
			Account:      activities.Account{Found: true, ObjectID: "u1", UPN: "j.vries@contoso.example", MailNickname: "j.vries", Enabled: true},
			ManagerFound: true, ManagerObjectID: "m1",
			Holdings: &activities.HireHoldings{AttributesInLine: true, ManagerObjectID: "M1"},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*HireInput, *activities.LookUpHireResult)
		want   bool
	}{
		{"in line", func(*HireInput, *activities.LookUpHireResult) {}, true},
		{"no manager asked", func(in *HireInput, l *activities.LookUpHireResult) {
			in.ManagerEmployeeID, l.ManagerFound, l.Holdings.ManagerObjectID = "", false, ""
		}, true},
		{"pre-hire, disabled", func(in *HireInput, l *activities.LookUpHireResult) { in.Enable, l.Account.Enabled = false, false }, true},
		{"no account", func(_ *HireInput, l *activities.LookUpHireResult) { l.Account = activities.Account{} }, false},
		{"restored", func(_ *HireInput, l *activities.LookUpHireResult) { l.Account.Restored = true }, false},
		{"no holdings read", func(_ *HireInput, l *activities.LookUpHireResult) { l.Holdings = nil }, false},
		{"attributes differ", func(_ *HireInput, l *activities.LookUpHireResult) { l.Holdings.AttributesInLine = false }, false},
		{"a group missing", func(in *HireInput, l *activities.LookUpHireResult) { l.Holdings.Missing = in.Entitlements }, false},
		{"HR lacks the address", func(_ *HireInput, l *activities.LookUpHireResult) { l.WriteBackNeeded = true }, false},
		{"disabled, start passed", func(_ *HireInput, l *activities.LookUpHireResult) { l.Account.Enabled = false }, false},
		{"enabled before the start", func(in *HireInput, _ *activities.LookUpHireResult) { in.Enable = false }, false},
		{"other manager", func(_ *HireInput, l *activities.LookUpHireResult) { l.Holdings.ManagerObjectID = "m2" }, false},
		{"manager has no account", func(_ *HireInput, l *activities.LookUpHireResult) { l.ManagerFound, l.ManagerObjectID = false, "" }, false},
		{"lookup not made", func(_ *HireInput, l *activities.LookUpHireResult) { *l = activities.LookUpHireResult{} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, look := in, inLine()
			tc.change(&in, look)
			res, ok := adoptedInPlace(in, look)
			if ok != tc.want {
				t.Fatalf("adopted = %v, want %v", ok, tc.want)
			}
			if !ok {
				return
			}
			if res.Account.ObjectID != "u1" || res.Names.UPN != "j.vries@contoso.example" || res.Names.MailNickname != "j.vries" ||
				!res.AddressAdopted || res.Enabled != in.Enable || res.Pass != nil || len(res.Granted) != len(in.Entitlements) {
				t.Errorf("result %+v", res)
			}
			if in.ManagerEmployeeID != "" && res.ManagerObjectID != "m1" {
				t.Errorf("manager %q, want m1", res.ManagerObjectID)
			}
		})
	}
}
