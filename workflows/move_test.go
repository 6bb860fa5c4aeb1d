package workflows

import (
	"testing"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
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

// A name change updates the names and moves the UPN to a free address (a
// taken one gets a number); the old address stays as an alias.
func TestPersonalDataChangeWithCollision(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	if err := h.sim.Seed(graphsim.Seed{Users: []map[string]any{{"displayName": "Jan Bakker", "userPrincipalName": "jan.bakker@contoso.example", "accountEnabled": true}}}); err != nil {
		t.Fatal(err)
	}
	jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	h.when(at("2026-03-03", 9, 0), func() {
		married := jan.Clone()
		married.Prefix, married.FamilyName = "", "Bakker"
		h.signal(&married)
	})
	h.when(at("2026-03-03", 10, 0), func() {
		u := h.user("jan.bakker2@contoso.example")
		if u == nil {
			t.Fatalf("no account under the new UPN; state %+v", h.state().LastError)
		}
		if str(u, "displayName") != "Jan Bakker" || str(u, "surname") != "Bakker" || str(u, "mail") != "jan.bakker2@contoso.example" {
			t.Errorf("names: %v", u)
		}
		proxies, _ := u["proxyAddresses"].([]any)
		var all []string
		for _, p := range proxies {
			all = append(all, p.(string))
		}
		if !has(all, "smtp:jan.devries@contoso.example") {
			t.Errorf("old address not kept as alias: %v", all)
		}
		if st := h.state(); st.UPN != "jan.bakker2@contoso.example" || st.LastEvent != EventRename {
			t.Errorf("state %s %s", st.UPN, st.LastEvent)
		}
	})
	h.run("1001", at("2026-03-04", 0, 0))
}
