package graphsim

import (
	"testing"
)

// TestSyncedUsers follows hybrid identity: a user synced from on-premises AD
// (onPremisesSyncEnabled true) has its on-premises-mastered properties
// (https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-sync-attributes-synchronized)
// refused by PATCH with 400 Request_BadRequest "Unable to update the specified
// properties for on-premises mastered Directory Sync objects or objects currently
// undergoing migration." (reported in microsoftgraph/microsoft-graph-docs issues
// #7301 and #18038), while cloud-only attributes, cloud group membership,
// licences and app roles still work.
func TestSyncedUsers(t *testing.T) {
	e, ids := seeded(t)
	res, err := e.sim.SeedWithResult(Seed{Users: []map[string]any{{
		"userPrincipalName": "hybrid@contoso.example", "displayName": "Hybrid User", "usageLocation": "NL",
		"onPremisesSyncEnabled": true, "onPremisesImmutableId": "aGVsbG8=", "onPremisesSamAccountName": "hybrid",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	h := res.Users["hybrid@contoso.example"]
	jan := ids.Users["jan.devries@contoso.example"]
	const msg = "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."

	r := e.must(200, "GET", "/users/"+h+"?$select=id,onPremisesSyncEnabled,onPremisesImmutableId", nil)
	if r.body["onPremisesSyncEnabled"] != true || r.body["onPremisesImmutableId"] != "aGVsbG8=" {
		t.Fatalf("synced user = %s", r.raw)
	}
	for _, body := range []map[string]any{
		{"jobTitle": "Engineer"},
		{"givenName": "H"},
		{"department": "ICT"},
		{"employeeId": "42"},
		{"accountEnabled": false},
		{"userPrincipalName": "hybrid2@contoso.example"},
		{"usageLocation": "BE", "displayName": "Mixed"}, // one mastered property refuses the whole PATCH
	} {
		r := e.do("PATCH", "/users/"+h, body)
		if r.status != 400 || r.errCode() != "Request_BadRequest" || r.errMessage() != msg {
			t.Errorf("PATCH %v: %d %s", body, r.status, r.raw)
		}
	}
	if r := e.do("PUT", "/users/"+h+"/manager/$ref", ref(e, "users", jan)); r.status != 400 || r.errMessage() != msg {
		t.Errorf("manager of a synced user: %d %s", r.status, r.raw)
	}
	e.must(204, "PATCH", "/users/"+h, map[string]any{"usageLocation": "BE", "employeeLeaveDateTime": "2026-06-30T00:00:00Z"})
	e.must(204, "POST", "/groups/"+ids.Groups["All Staff"]+"/members/$ref", ref(e, "directoryObjects", h))
	e.must(200, "POST", "/users/"+h+"/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": ids.SKUs["SPE_E3"]}}, "removeLicenses": []any{}})
	e.must(201, "POST", "/users/"+h+"/appRoleAssignments", map[string]any{"principalId": h, "resourceId": ids.ServicePrincipals["Salesforce"], "appRoleId": "7ac6a3c1-6e1f-4d59-8a40-6b2c3e3b5a01"})
	// A synced user may still be another user's manager.
	e.must(204, "PUT", "/users/"+jan+"/manager/$ref", ref(e, "users", h))

	// onPremisesSyncEnabled is read-only through Graph.
	body := newUserBody("cloud.only")
	body["onPremisesSyncEnabled"] = true
	if r := e.do("POST", "/users", body); r.status != 400 || r.errCode() != "Request_BadRequest" {
		t.Errorf("create with onPremisesSyncEnabled: %d %s", r.status, r.raw)
	}
	// A cloud user's properties stay writable.
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"jobTitle": "Engineer"})
	// The snapshot keeps the on-premises fields.
	for _, u := range e.sim.Snapshot().Users {
		if u["id"] == h && u["onPremisesSyncEnabled"] != true {
			t.Errorf("snapshot lost onPremisesSyncEnabled: %v", u)
		}
	}
}
