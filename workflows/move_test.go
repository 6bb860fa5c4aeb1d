package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// A transfer dated ahead waits for its day; the new department's access is
// granted then, the old department's is kept for the grace period and
// removed after it; only changed attributes are patched.
func TestTransferWithGracePeriod(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 7)
	const upn = "jan.devries@contoso.example"
	h.setEmployee(person("1001", "Jan", "de", "Vries",
		contract("1001-1", "2025-01-01", "2026-03-15", "ICT", "F045", "Systeembeheerder", managerID),
		contract("1001-2", "2026-03-16", "", "Sales", "S10", "Accountmanager", managerID)))
	h.when(at("2026-03-02", 9, 0), func() {
		if g := h.sim.UserGroups(upn); !has(g, "ICT Admins") || has(g, "Sales") {
			t.Errorf("before the transfer: %v", g)
		}
		st := h.state()
		if !hasTimer(st, "HR change: department, departmentName, jobCode, jobTitle", at("2026-03-16", 0, 0)) {
			t.Errorf("transfer not planned: %+v", st.Timers)
		}
		h.sim.ResetStats()
	})
	h.when(at("2026-03-16", 1, 0), func() {
		u := h.user(upn)
		if str(u, "department") != "Sales" || str(u, "jobTitle") != "Accountmanager" {
			t.Errorf("attributes after the transfer: %v", u)
		}
		if g := h.sim.UserGroups(upn); !has(g, "Sales") || !has(g, "ICT Admins") || !has(g, "All Staff") {
			t.Errorf("during the grace period: %v", g)
		}
		st := h.state()
		if st.LastEvent != EventMove || !hasTimer(st, "end of grace: group:ICT Admins (role:ict)", at("2026-03-16", 0, 0).AddDate(0, 0, 7)) {
			t.Errorf("state: %s %+v", st.LastEvent, st.Timers)
		}
		// Only the changed attributes were written: one PATCH of the user.
		if n := h.sim.Stats().ByRoute["PATCH /users/{id}"]; n != 1 {
			t.Errorf("user PATCHes = %d, want 1", n)
		}
	})
	h.when(at("2026-03-23", 1, 0), func() {
		g := h.sim.UserGroups(upn)
		if has(g, "ICT Admins") || !has(g, "Sales") || !has(g, "All Staff") {
			t.Errorf("after the grace period: %v", g)
		}
	})
	h.run("1001", at("2026-03-24", 0, 0))
}

// A promotion grants what the new job code brings at its date, and a later
// HR change re-plans a future-dated change that has not happened yet.
func TestPromotionReplannedByLaterChange(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "jan.devries@contoso.example"
	jan := person("1001", "Jan", "de", "Vries",
		contract("1001-1", "2025-01-01", "2026-03-31", "Sales", "S10", "Accountmanager", managerID),
		contract("1001-2", "2026-04-01", "", "Sales", "M01", "Sales lead", managerID))
	h.setEmployee(jan)
	h.when(at("2026-03-10", 9, 0), func() {
		later := jan.Clone()
		d := hr.MustParseDate("2026-04-14")
		later.Contracts[0].End = &d
		later.Contracts[1].Start = hr.MustParseDate("2026-04-15")
		h.signal(&later)
	})
	h.when(at("2026-04-02", 9, 0), func() {
		if g := h.sim.UserGroups(upn); has(g, "Sales Leadership") {
			t.Errorf("promotion applied at its old date: %v", g)
		}
	})
	h.when(at("2026-04-15", 1, 0), func() {
		u := h.user(upn)
		if str(u, "jobTitle") != "Sales lead" || !has(h.sim.UserGroups(upn), "Sales Leadership") || len(h.sim.UserAppRoleAssignments(upn)) != 1 {
			t.Errorf("after the promotion: %v %v", u, h.sim.UserGroups(upn))
		}
	})
	h.run("1001", at("2026-04-16", 0, 0))
}

// A manager not yet in Entra does not fail the hire: the report's entity
// tells the manager's entity it waits, and links the manager when told the
// account exists.
func TestManagerHiredAfterReport(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "piet.jansen@contoso.example"
	h.setEmployee(person("3000", "Bea", "", "Baas", contract("3000-1", "2026-03-09", "", "ICT", "D10", "Directeur ICT", managerID)))
	h.setEmployee(person("1002", "Piet", "", "Jansen", contract("1002-1", "2026-03-02", "", "ICT", "F045", "Systeembeheerder", "3000")))
	announced := false
	h.env.OnSignalExternalWorkflow(mock.Anything, EmployeeWorkflowID("3000"), "", SignalReportWaiting, ReportWaiting{EmployeeID: "1002"}).
		Run(func(mock.Arguments) { announced = true }).Return(nil).Once()
	h.when(at("2026-03-02", 9, 0), func() {
		u := h.user(upn)
		if u == nil || !boolOf(u, "accountEnabled") {
			t.Fatalf("hire failed: %v / %s", u, h.state().LastError)
		}
		if _, ok := h.sim.Manager(upn); ok {
			t.Error("manager set although the manager has no account")
		}
		st := h.state()
		if !st.ManagerPending || st.Status != StatusActive || !announced {
			t.Errorf("pending %v status %s announced %v", st.ManagerPending, st.Status, announced)
		}
		if st.Pass == nil || st.Pass.Issued {
			t.Errorf("pass issued without a manager: %+v", st.Pass)
		}
	})
	var bossID string
	h.when(at("2026-03-09", 9, 0), func() {
		res, err := h.sim.SeedWithResult(graphsim.Seed{Users: []map[string]any{{
			"displayName": "Bea Baas", "userPrincipalName": "bea.baas@contoso.example", "accountEnabled": true, "employeeId": "3000"}}})
		if err != nil {
			t.Fatal(err)
		}
		bossID = res.Users["bea.baas@contoso.example"]
		h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: ReasonManagerReady, Source: EmployeeWorkflowID("3000")})
	})
	h.when(at("2026-03-09", 9, 5), func() {
		if m, _ := h.sim.Manager(upn); m == "" || m != bossID {
			t.Errorf("manager = %q, want %q", m, bossID)
		}
		if st := h.state(); st.ManagerPending || st.ManagerObjectID != bossID {
			t.Errorf("state: pending %v manager %s", st.ManagerPending, st.ManagerObjectID)
		}
	})
	h.run("1002", at("2026-03-10", 0, 0))
}

// The manager's side: an entity with waiting reports tells them once its
// account exists.
func TestManagerTellsWaitingReports(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(person("3000", "Bea", "", "Baas", contract("3000-1", "2026-03-02", "", "ICT", "D10", "Directeur ICT", managerID)))
	told := false
	h.env.OnSignalExternalWorkflow(mock.Anything, EmployeeWorkflowID("1002"), "", SignalHRChanged,
		HRChanged{Reason: ReasonManagerReady, Source: EmployeeWorkflowID("3000")}).Run(func(mock.Arguments) { told = true }).Return(nil).Once()
	h.when(at("2026-03-02", 7, 30), func() {
		h.env.SignalWorkflow(SignalReportWaiting, ReportWaiting{EmployeeID: "1002"})
	})
	h.when(at("2026-03-02", 9, 0), func() {
		if !told || len(h.state().WaitingReports) != 0 {
			t.Errorf("told %v waiting %v", told, h.state().WaitingReports)
		}
	})
	h.env.SetStartTime(at("2026-03-02", 7, 0))
	h.t0 = at("2026-03-02", 7, 0)
	h.run("3000", at("2026-03-03", 0, 0))
}

// From move-concurrent on, the attribute update, the manager link and the grant start side
// by side, and the old access is revoked only after all three succeeded; a licence waits
// for an update that sets the usage location (Entra assigns no licence without one).
func TestMoveStepsSideBySideRevokeLast(t *testing.T) {
	ict := policy.Entitlement{Kind: policy.KindGroup, Name: "ICT"}
	sales := policy.Entitlement{Kind: policy.KindGroup, Name: "Sales"}
	e3 := policy.Entitlement{Kind: policy.KindLicense, Name: "SPE_E3"}
	for _, tc := range []struct {
		name       string
		fields     []string
		grant      []policy.Entitlement
		grantFirst bool // the grant starts before the update has finished
	}{
		{"transfer: all at once", []string{"department"}, []policy.Entitlement{ict}, true},
		{"licence after a new usage location", []string{"department", activities.FieldUsageLocation}, []policy.Entitlement{ict, e3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts testsuite.WorkflowTestSuite
			env := ts.NewTestWorkflowEnvironment()
			env.RegisterActivity(a)
			var order []string
			updated, granted := false, false
			env.OnActivity(a.UpdateAccount, mock.Anything, mock.Anything).Return(func(context.Context, activities.UpdateAccountInput) (activities.UpdateAccountResult, error) {
				order = append(order, "update")
				updated = true
				return activities.UpdateAccountResult{Changed: tc.fields}, nil
			})
			env.OnActivity(a.LinkManager, mock.Anything, mock.Anything).Return(func(context.Context, activities.LinkManagerInput) (activities.LinkManagerResult, error) {
				order = append(order, "link")
				return activities.LinkManagerResult{Found: true, ManagerObjectID: "obj-mgr"}, nil
			})
			env.OnActivity(a.GrantEntitlements, mock.Anything, mock.Anything).Return(func(context.Context, activities.EntitlementsInput) error {
				order = append(order, "grant")
				if !tc.grantFirst && !updated {
					t.Errorf("the licence was granted before the usage location was set")
				}
				granted = true
				return nil
			})
			env.OnActivity(a.RevokeEntitlements, mock.Anything, mock.Anything).Return(func(context.Context, activities.EntitlementsInput) error {
				order = append(order, "revoke")
				if !granted || !updated {
					t.Errorf("revoked before the grant and the update finished: %v", order)
				}
				return nil
			})
			env.ExecuteWorkflow(Move, MoveInput{EmployeeID: "1001", ObjectID: "obj-1", Reason: "transfer", Fields: tc.fields,
				LinkManager: true, ManagerEmployeeID: "1002", Grant: tc.grant, Revoke: []policy.Entitlement{sales}})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var res MoveResult
			if err := env.GetWorkflowResult(&res); err != nil || !res.ManagerLinked || res.ManagerObjectID != "obj-mgr" {
				t.Fatalf("result %+v, %v", res, err)
			}
			if len(order) != 4 || order[3] != "revoke" {
				t.Fatalf("order %v, want the revoke last of four steps", order)
			}
		})
	}
}
