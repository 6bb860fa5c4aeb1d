package directory_test

import (
	"context"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

// LookUpHire asks its three questions in one $batch and reads every answer:
// the account, the manager, and who holds each candidate address (as UPN or
// mail, quotes in addresses escaped); two accounts with one employee id are
// a conflict.
func TestLookUpHire(t *testing.T) {
	sim, c, _, _ := memberTenant(t, 0, -1)
	seed := []map[string]any{
		{"displayName": "Jan", "userPrincipalName": "jan@contoso.example", "employeeId": "1001", "accountEnabled": true},
		{"displayName": "Boss", "userPrincipalName": "boss@contoso.example", "employeeId": "2000", "accountEnabled": true},
		{"displayName": "O'Neil", "userPrincipalName": "o'neil@contoso.example", "mail": "sean@contoso.example", "accountEnabled": true},
		{"displayName": "Twin A", "userPrincipalName": "twin.a@contoso.example", "employeeId": "3000"},
		{"displayName": "Twin B", "userPrincipalName": "twin.b@contoso.example", "employeeId": "3000"},
	}
	got, err := sim.SeedWithResult(graphsim.Seed{Users: seed})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sim.ResetStats()
	r, err := c.LookUpHire(ctx, directory.HireLookup{EmployeeID: "1001", ManagerEmployeeID: "2000",
		Addresses: []string{"o'neil@contoso.example", "sean@contoso.example", "free@contoso.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if st := sim.Stats(); st.ByRoute["POST /$batch"] != 1 || st.Reads != 3 {
		t.Errorf("requests = %v", st.ByRoute)
	}
	if !r.Found || r.Account.ID != got.Users["jan@contoso.example"] || !r.ManagerFound || r.Manager.ID != got.Users["boss@contoso.example"] {
		t.Errorf("account/manager = %+v", r)
	}
	oneil := got.Users["o'neil@contoso.example"]
	if h := r.Holders["o'neil@contoso.example"]; len(h) != 1 || h[0] != oneil {
		t.Errorf("holders of o'neil@ = %v", h)
	}
	if h := r.Holders["sean@contoso.example"]; len(h) != 1 || h[0] != oneil {
		t.Errorf("holders of sean@ (a mail) = %v", h)
	}
	if _, taken := r.Holders["free@contoso.example"]; taken {
		t.Error("free@ reported taken")
	}

	r, err = c.LookUpHire(ctx, directory.HireLookup{EmployeeID: "4000", ManagerEmployeeID: "3000"})
	if directory.KindOf(err) != directory.KindConflict {
		t.Errorf("two accounts with the manager's employee id: %+v, %v; want a conflict", r, err)
	}
	r, err = c.LookUpHire(ctx, directory.HireLookup{EmployeeID: "4000"})
	if err != nil || r.Found || r.ManagerFound {
		t.Errorf("nobody: %+v, %v", r, err)
	}
}
