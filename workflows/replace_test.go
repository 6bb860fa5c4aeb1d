package workflows

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/entralifecycle/engine/internal/graphsim"
)

// The substitute (ICT) replaces a sales lead: from the start the substitute
// holds the sales lead's role entitlements, tracked as replacement:r-1;
// extended, then ended early; revocation keeps what the substitute holds on
// their own account (All Staff, SPE_E3, ICT Admins).
func TestReplacementExtendedThenEndedEarly(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "piet.jansen@contoso.example"
	h.setEmployee(person("1002", "Piet", "", "Jansen", contract("1002-1", "2025-01-01", "", "ICT", "F045", "Systeembeheerder", managerID)))
	h.setEmployee(person("1003", "Sara", "", "Smit", contract("1003-1", "2024-01-01", "", "Sales", "M01", "Sales lead", managerID)))

	var self, rep, ext, end, late *updateResult
	h.when(at("2026-03-02", 9, 0), func() {
		self = h.update(UpdateReplace, ReplaceRequest{ReplacementID: "r-1", ReplacedEmployeeID: "1002"})
		rep = h.update(UpdateReplace, ReplaceRequest{ReplacementID: "r-1", ReplacedEmployeeID: "1003", From: "2026-03-09", Until: "2026-03-20"})
	})
	h.when(at("2026-03-02", 9, 1), func() {
		if !self.done || self.err == nil || !strings.Contains(self.err.Error(), "themselves") {
			t.Errorf("self-replacement not rejected: %+v", self)
		}
		st := rep.out
		if !rep.done || rep.err != nil || st.State != ReplacementScheduled || !st.Start.Equal(at("2026-03-09", 0, 0)) || !st.End.Equal(at("2026-03-21", 0, 0)) {
			t.Errorf("replace: %+v", rep)
		}
	})
	h.when(at("2026-03-09", 1, 0), func() {
		g := h.sim.UserGroups(upn)
		if !has(g, "Sales") || !has(g, "Sales Leadership") || !has(g, "ICT Admins") || len(h.sim.UserAppRoleAssignments(upn)) != 1 {
			t.Errorf("during the replacement: %v", g)
		}
		st := h.state()
		var sources []string
		for _, e := range st.Entitlements {
			if e.Name == "Sales Leadership" {
				sources = append(sources, e.Source)
			}
		}
		if len(sources) != 1 || sources[0] != "replacement:r-1" {
			t.Errorf("Sales Leadership held through %v", sources)
		}
		ext = h.update(UpdateExtend, ExtendRequest{ReplacementID: "r-1", Until: "2026-04-30"})
	})
	h.when(at("2026-03-09", 1, 1), func() {
		if r := ext.out; !ext.done || ext.err != nil || !r.End.Equal(at("2026-05-01", 0, 0)) || r.State != ReplacementActive {
			t.Errorf("extend: %+v", ext)
		}
	})
	h.when(at("2026-03-22", 9, 0), func() {
		if g := h.sim.UserGroups(upn); !has(g, "Sales Leadership") {
			t.Errorf("the extension was not honoured: %v", g)
		}
		end = h.update(UpdateEndReplacement, EndReplacementRequest{ReplacementID: "r-1"})
	})
	h.when(at("2026-03-22", 9, 1), func() {
		if r := end.out; !end.done || end.err != nil || r.State != ReplacementEnded || !r.End.Equal(at("2026-03-22", 9, 0)) {
			t.Errorf("end early: %+v", end)
		}
		g := h.sim.UserGroups(upn)
		if has(g, "Sales") || has(g, "Sales Leadership") || len(h.sim.UserAppRoleAssignments(upn)) != 0 {
			t.Errorf("after the end: %v", g)
		}
		if !has(g, "ICT Admins") || !has(g, "All Staff") || !has(h.sim.UserLicenses(upn), "SPE_E3") {
			t.Errorf("own access was revoked: %v %v", g, h.sim.UserLicenses(upn))
		}
		late = h.update(UpdateExtend, ExtendRequest{ReplacementID: "r-1", Until: "2026-06-01"})
	})
	h.when(at("2026-03-22", 9, 2), func() {
		if !late.done || late.err == nil {
			t.Errorf("extending an ended replacement was accepted: %+v", late)
		}
	})
	h.run("1002", at("2026-03-23", 0, 0))
}

// The substitute's exit ends the replacement: everything managed goes, and
// the replacement is recorded as ended.
func TestSubstituteExitsMidReplacement(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "piet.jansen@contoso.example"
	h.setEmployee(person("1002", "Piet", "", "Jansen", contract("1002-1", "2025-01-01", "2026-03-13", "ICT", "F045", "Systeembeheerder", managerID)))
	h.setEmployee(person("1003", "Sara", "", "Smit", contract("1003-1", "2024-01-01", "", "Sales", "M01", "Sales lead", managerID)))
	h.when(at("2026-03-02", 9, 0), func() {
		h.update(UpdateReplace, ReplaceRequest{ReplacementID: "r-2", ReplacedEmployeeID: "1003", Until: "2026-04-30"})
	})
	h.when(at("2026-03-02", 9, 1), func() {
		if g := h.sim.UserGroups(upn); !has(g, "Sales Leadership") {
			t.Errorf("replacement not started: %v", g)
		}
	})
	h.when(at("2026-03-13", 17, 30), func() {
		if g := h.sim.UserGroups(upn); len(g) != 0 || len(h.sim.UserAppRoleAssignments(upn)) != 0 {
			t.Errorf("after the substitute's exit: %v", g)
		}
		st := h.state()
		if st.Status != StatusLeft || len(st.Replacements) != 1 || st.Replacements[0].State != ReplacementEnded ||
			!st.Replacements[0].End.Equal(at("2026-03-13", 17, 0)) {
			t.Errorf("state: %s %+v", st.Status, st.Replacements)
		}
		for _, tm := range st.Timers {
			if strings.HasPrefix(tm.What, "replacement") {
				t.Errorf("replacement timer left: %+v", tm)
			}
		}
	})
	h.run("1002", at("2026-03-14", 0, 0))
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

// A hire that fails permanently after creating the account undoes its
// grants, leaves the account disabled and says why.
func TestHireSagaUndoesPartialGrants(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "jan.devries@contoso.example"
	h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2026-03-02", "", "ICT", "F045", "Systeembeheerder", managerID)))
	// The licence step is refused for good after the groups were granted.
	h.sim.InjectFault(graphsim.Fault{Method: "POST", Path: "/users/*/assignLicense", Status: 403, Count: 1})
	h.when(at("2026-03-02", 9, 0), func() {
		u := h.user(upn)
		if u == nil {
			t.Fatal("no account")
		}
		if boolOf(u, "accountEnabled") {
			t.Error("the failed hire left the account enabled")
		}
		if g := h.sim.UserGroups(upn); len(g) != 0 {
			t.Errorf("partial grants not undone: %v", g)
		}
		st := h.state()
		if st.Status != StatusFailed || !strings.Contains(st.LastError, "GraphPermissionDenied") || !st.Blocked {
			t.Errorf("state: %s %q blocked %v", st.Status, st.LastError, st.Blocked)
		}
	})
	h.run("1001", at("2026-03-02", 10, 0))
}
