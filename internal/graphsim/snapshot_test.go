package graphsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// A snapshot seeds a new simulator into the same tenant: ids, attributes, manager, groups,
// licences and app roles survive; a soft-deleted user does not come back.
func TestSnapshotRecreatesTenant(t *testing.T) {
	s := New()
	res, err := s.SeedWithResult(Seed{
		Domains:           []string{"contoso.example"},
		Groups:            []SeedGroup{{DisplayName: "All Staff"}, {DisplayName: "ICT Admins"}},
		SKUs:              []SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 10}},
		ServicePrincipals: []SeedServicePrincipal{{DisplayName: "Salesforce", AppRoles: []SeedAppRole{{Value: "standard", DisplayName: "Standard User"}}}},
		Users: []map[string]any{
			{"displayName": "Anna Bakker", "userPrincipalName": "anna.bakker@contoso.example", "employeeId": "1003", "usageLocation": "NL", "mail": "anna.bakker@contoso.example"},
			{"displayName": "Jan de Vries", "userPrincipalName": "jan.devries@contoso.example", "employeeId": "1001", "usageLocation": "NL",
				"jobTitle": "Systeembeheerder", "employeeOrgData": map[string]any{"costCenter": "4130", "division": "ICT"}, "accountEnabled": false},
			{"displayName": "Gone", "userPrincipalName": "gone@contoso.example", "employeeId": "1009"},
		},
		Managers:           []SeedManager{{User: "jan.devries@contoso.example", Manager: "anna.bakker@contoso.example"}},
		Memberships:        []SeedMembership{{Group: "All Staff", Member: "jan.devries@contoso.example"}, {Group: "ICT Admins", Member: "jan.devries@contoso.example"}, {Group: "All Staff", Member: "gone@contoso.example"}},
		Licenses:           []SeedLicense{{User: "jan.devries@contoso.example", SKU: "SPE_E3"}},
		AppRoleAssignments: []SeedAppRoleAssignment{{User: "jan.devries@contoso.example", ServicePrincipal: "Salesforce", AppRole: "standard"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Soft-delete one user through the API, as the engine does.
	gone := res.Users["gone@contoso.example"]
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/v1.0/users/"+gone, nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	jan := res.Users["jan.devries@contoso.example"]

	raw, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var seed Seed
	if err := json.Unmarshal(raw, &seed); err != nil {
		t.Fatal(err)
	}
	n := New()
	if err := n.Seed(seed); err != nil {
		t.Fatalf("seed from snapshot: %v", err)
	}
	u, ok := n.User(jan)
	if !ok || u["employeeId"] != "1001" || u["jobTitle"] != "Systeembeheerder" || u["accountEnabled"] != false {
		t.Fatalf("user after restore: %v", u)
	}
	if org, _ := u["employeeOrgData"].(map[string]any); org["costCenter"] != "4130" {
		t.Fatalf("employeeOrgData %v", u["employeeOrgData"])
	}
	if got, want := n.UserGroups(jan), s.UserGroups(jan); !reflect.DeepEqual(got, want) || len(got) != 2 {
		t.Fatalf("groups %v, want %v", got, want)
	}
	if got := n.UserLicenses(jan); !reflect.DeepEqual(got, []string{"SPE_E3"}) {
		t.Fatalf("licences %v", got)
	}
	if m, ok := n.Manager(jan); !ok || m != res.Users["anna.bakker@contoso.example"] {
		t.Fatalf("manager %v %v", m, ok)
	}
	if got := n.UserAppRoleAssignments(jan); len(got) != 1 {
		t.Fatalf("app roles %+v", got)
	}
	if k, ok := n.SKU("SPE_E3"); !ok || k.ConsumedUnits != 1 {
		t.Fatalf("seats %+v", k)
	}
	if _, ok := n.User(gone); ok {
		t.Fatal("a soft-deleted user came back as active")
	}
}
