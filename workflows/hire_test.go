package workflows

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/graphsim"
)

// A hire 14 days ahead: the account is created disabled with its access on
// the create day, enabled at the start moment, and the Temporary Access Pass
// is mailed to the manager then — never stored in workflow state.
func TestHireAheadThenEnabledOnTheDay(t *testing.T) {
	h := newHarness(t, at("2026-02-01", 10, 0), 0)
	jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2026-03-02", "", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	const upn = "jan.devries@contoso.example"

	h.when(at("2026-02-01", 11, 0), func() {
		st := h.state()
		if st.Status != StatusNew || h.user(upn) != nil {
			t.Errorf("before the create day: status %s, user %v", st.Status, h.user(upn))
		}
		if len(st.Timers) == 0 || st.Timers[0].What != "create the account" || !st.Timers[0].At.Equal(at("2026-02-16", 0, 0)) {
			t.Errorf("first timer = %+v, want create the account at 2026-02-16 00:00 Amsterdam", st.Timers)
		}
	})
	h.when(at("2026-02-16", 1, 0), func() {
		u := h.user(upn)
		if u == nil {
			t.Fatal("no account on the create day")
		}
		if boolOf(u, "accountEnabled") {
			t.Error("account enabled before the start moment")
		}
		if g := h.sim.UserGroups(upn); !has(g, "All Staff") || !has(g, "ICT Admins") || has(g, "Sales") {
			t.Errorf("groups = %v", g)
		}
		if l := h.sim.UserLicenses(upn); !has(l, "SPE_E3") {
			t.Errorf("licences = %v", l)
		}
		if m, _ := h.sim.Manager(upn); m != h.ids.Users[managerUPN] {
			t.Errorf("manager = %q, want %q", m, h.ids.Users[managerUPN])
		}
		if str(u, "department") != "ICT" || str(u, "jobTitle") != "Systeembeheerder" || str(u, "employeeId") != "1001" {
			t.Errorf("attributes: %v", u)
		}
		if st := h.state(); st.Status != StatusPreHire || st.ObjectID != str(u, "id") {
			t.Errorf("state %s / %s", st.Status, st.ObjectID)
		}
		if len(h.sim.SentMail()) != 0 {
			t.Error("mail sent before the start day")
		}
	})
	h.when(at("2026-03-02", 0, 30), func() {
		u := h.user(upn)
		if !boolOf(u, "accountEnabled") {
			t.Fatal("account not enabled on the start day")
		}
		tap, ok := h.sim.TemporaryAccessPass(upn)
		if !ok {
			t.Fatal("no Temporary Access Pass")
		}
		st := h.state()
		b, _ := json.Marshal(st)
		if strings.Contains(string(b), tap.Pass) {
			t.Error("the pass is in the workflow state")
		}
		if st.Status != StatusActive || st.Pass == nil || st.ActivatedAt == nil || !st.ActivatedAt.Equal(at("2026-03-02", 0, 0)) {
			t.Errorf("state after start: %s %+v %v", st.Status, st.Pass, st.ActivatedAt)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
	if h.sim.UserCount() != 3 {
		t.Errorf("users = %d, want 3", h.sim.UserCount())
	}
}

// The pass reaches the manager by mail, and only there.
func TestPassIsMailedToTheManager(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2026-03-02", "", "ICT", "F045", "Systeembeheerder", managerID)))
	h.when(at("2026-03-02", 9, 0), func() {
		upn := "jan.devries@contoso.example"
		tap, ok := h.sim.TemporaryAccessPass(upn)
		if !ok {
			t.Fatal("no Temporary Access Pass")
		}
		st := h.state()
		if st.Pass == nil || !st.Pass.Issued || st.Pass.SentTo != managerMail {
			t.Errorf("pass receipt %+v", st.Pass)
		}
		mails := h.sim.SentMail()
		if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != managerMail || !strings.Contains(mails[0].Body, tap.Pass) {
			t.Fatalf("mail to the manager: %+v", mails)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
}

// A hire on the day itself creates, grants and enables at once.
func TestHireOnTheDay(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2026-03-02", "", "Sales", "M01", "Sales lead", managerID)))
	h.when(at("2026-03-02", 9, 0), func() {
		upn := "jan.devries@contoso.example"
		u := h.user(upn)
		if u == nil || !boolOf(u, "accountEnabled") {
			t.Fatalf("account %v", u)
		}
		if g := h.sim.UserGroups(upn); !has(g, "Sales Leadership") || !has(g, "Sales") {
			t.Errorf("groups %v", g)
		}
		if ar := h.sim.UserAppRoleAssignments(upn); len(ar) != 1 {
			t.Errorf("app roles %v", ar)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
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
