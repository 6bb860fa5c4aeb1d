package workflows

import (
	"testing"

	"github.com/entralifecycle/engine/internal/graphsim"
)

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
