package workflows

import (
	"testing"

	"github.com/entralifecycle/engine/internal/graphsim"
)

// Delete soft-deletes the account: it leaves the directory's users for its
// deleted items, where Entra keeps it restorable; deleting it again (a
// retried child) is not an error.
func TestDeleteSoftDeletesTheAccount(t *testing.T) {
	h := newHarness(t, at("2026-04-01", 9, 0), 0)
	const upn = "jan.devries@contoso.example"
	res, err := h.sim.SeedWithResult(graphsim.Seed{Users: []map[string]any{{
		"displayName": "Jan de Vries", "userPrincipalName": upn, "accountEnabled": false, "employeeId": "1001"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Users[upn]
	for run := 1; run <= 2; run++ {
		h.freshEnv(at("2026-04-01", 9, 0))
		h.env.ExecuteWorkflow(Delete, DeleteInput{EmployeeID: "1001", ObjectID: id})
		if err := h.env.GetWorkflowError(); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if h.user(id) != nil {
			t.Errorf("run %d: the account is still a user", run)
		}
		if _, ok := h.sim.DeletedUser(id); !ok {
			t.Errorf("run %d: the account is not in deleted items", run)
		}
	}
}

// A rehire after the deletion, within Entra's restore window, restores the
// deleted account instead of creating a second one.
func TestRehireAfterDeletionRestores(t *testing.T) {
	h, jan, objectID := janLeaving(t)
	const upn = "jan.devries@contoso.example"
	h.when(at("2026-04-10", 9, 0), func() {
		if h.user(upn) != nil {
			t.Fatal("not deleted")
		}
		back := jan.Clone()
		back.Contracts = append(back.Contracts, contract("1001-2", "2026-04-13", "", "ICT", "F045", "Systeembeheerder", managerID))
		h.setEmployee(back)
		h.signal(nil)
	})
	h.when(at("2026-04-13", 9, 0), func() {
		u := h.user(upn)
		if u == nil || str(u, "id") != *objectID || !boolOf(u, "accountEnabled") {
			t.Errorf("restored account: %v", u)
		}
		if g := h.sim.UserGroups(upn); !has(g, "ICT Admins") {
			t.Errorf("groups %v", g)
		}
	})
	h.run("1001", at("2026-04-14", 0, 0))
}
