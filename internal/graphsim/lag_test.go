package graphsim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestReplicationLag follows Entra ID's eventual consistency: a just-created
// object can answer 404 Request_ResourceNotFound on reads by id, be missing
// from $filter lookups and fail as the target of a reference write
// (https://learn.microsoft.com/graph/best-practices-concept#handling-expected-errors,
// https://learn.microsoft.com/graph/api/user-post-manager and group-post-members
// answer 404 for an object that "does not exist"), while the POST that created it
// answers 201 with the object (https://learn.microsoft.com/graph/api/user-post-users#response).
func TestReplicationLag(t *testing.T) {
	e, ids := seeded(t)
	clk := withClock(e)
	if err := e.sim.SetConfig(Config{ReplicationLagMs: 5000}); err != nil {
		t.Fatal(err)
	}
	jan := ids.Users["jan.devries@contoso.example"]
	staff := ids.Groups["All Staff"]
	e3 := ids.SKUs["SPE_E3"]
	sf := ids.ServicePrincipals["Salesforce"]
	role := "7ac6a3c1-6e1f-4d59-8a40-6b2c3e3b5a01"

	body := newUserBody("new.hire")
	body["usageLocation"] = "NL"
	created := e.must(201, "POST", "/users", body)
	id, _ := created.body["id"].(string)
	if id == "" || created.body["userPrincipalName"] != "new.hire@contoso.example" {
		t.Fatalf("create answered %s", created.raw)
	}
	upn := "new.hire@contoso.example"

	// UPN uniqueness is immediate even while the first user is invisible:
	// 400 Request_BadRequest, as in TestStrictErrors.
	dup := newUserBody("new.hire2")
	dup["userPrincipalName"] = upn
	if r := e.do("POST", "/users", dup); r.status != 400 || r.errCode() != "Request_BadRequest" {
		t.Fatalf("duplicate UPN during lag: %d %s", r.status, r.raw)
	}

	notFound := []struct {
		name, method, path string
		body               any
	}{
		{"get by id", "GET", "/users/" + id, nil},
		{"get by UPN", "GET", "/users/" + upn, nil},
		{"patch", "PATCH", "/users/" + id, map[string]any{"jobTitle": "x"}},
		{"manager of new user", "PUT", "/users/" + id + "/manager/$ref", ref(e, "users", jan)},
		{"new user as manager", "PUT", "/users/" + jan + "/manager/$ref", ref(e, "users", id)},
		{"group member add", "POST", "/groups/" + staff + "/members/$ref", ref(e, "directoryObjects", id)},
		{"members@odata.bind", "PATCH", "/groups/" + staff, map[string]any{"members@odata.bind": []any{e.graph() + "/directoryObjects/" + id}}},
		{"assignLicense", "POST", "/users/" + id + "/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": e3}}, "removeLicenses": []any{}}},
		{"app role", "POST", "/users/" + id + "/appRoleAssignments", map[string]any{"principalId": id, "resourceId": sf, "appRoleId": role}},
		{"TAP", "POST", "/users/" + id + "/authentication/temporaryAccessPassMethods", map[string]any{}},
	}
	for _, tc := range notFound {
		r := e.do(tc.method, tc.path, tc.body)
		if r.status != 404 || r.errCode() != "Request_ResourceNotFound" {
			t.Errorf("%s during lag: %d %s, want 404 Request_ResourceNotFound", tc.name, r.status, r.raw)
		}
	}
	filter := "/users?$filter=" + url.QueryEscape("userPrincipalName eq '"+upn+"'")
	if got := e.must(200, "GET", filter, nil).values(); len(got) != 0 {
		t.Errorf("$filter during lag found %v", got)
	}
	if got := e.must(200, "GET", "/users?$top=999", nil).values(); len(got) != 3 {
		t.Errorf("listing during lag has %d users, want the 3 seeded", len(got))
	}
	// The Go helpers see the truth.
	if _, ok := e.sim.User(id); !ok {
		t.Error("Sim.User does not see the new user")
	}

	clk.advance(4999 * time.Millisecond)
	if r := e.do("GET", "/users/"+id, nil); r.status != 404 {
		t.Errorf("1 ms before the lag ends: %d", r.status)
	}
	clk.advance(time.Millisecond)
	e.must(200, "GET", "/users/"+id, nil)
	e.must(200, "GET", "/users/"+upn, nil)
	if got := e.must(200, "GET", filter, nil).values(); len(got) != 1 {
		t.Errorf("$filter after lag found %d", len(got))
	}
	e.must(204, "PUT", "/users/"+id+"/manager/$ref", ref(e, "users", jan))
	e.must(204, "POST", "/groups/"+staff+"/members/$ref", ref(e, "directoryObjects", id))
	e.must(200, "POST", "/users/"+id+"/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": e3}}, "removeLicenses": []any{}})

	// A restored user is invisible again for the lag.
	e.must(204, "DELETE", "/users/"+id, nil)
	e.must(200, "POST", "/directory/deletedItems/"+id+"/restore", nil)
	if r := e.do("GET", "/users/"+id, nil); r.status != 404 {
		t.Errorf("GET right after restore: %d, want 404", r.status)
	}
	clk.advance(5 * time.Second)
	e.must(200, "GET", "/users/"+id, nil)

	// A seed may refer to a user still inside its lag.
	lagged := e.must(201, "POST", "/users", newUserBody("lagged"))
	if err := e.sim.Seed(Seed{Licenses: []SeedLicense{{User: lagged.body["id"].(string), SKU: "SPE_E3"}}}); err == nil {
		t.Error("seeding a licence for a user without usageLocation succeeded") // the usual check still applies
	} else if strings.Contains(err.Error(), "ResourceNotFound") {
		t.Errorf("seed hit the replication lag: %v", err)
	}

	// Lag 0 (the default) keeps today's behaviour.
	if err := e.sim.SetConfig(Config{}); err != nil {
		t.Fatal(err)
	}
	r := e.must(201, "POST", "/users", newUserBody("instant"))
	e.must(200, "GET", "/users/"+r.body["id"].(string), nil)
}

// TestStaleReadsAfterPatch: with a replication lag, reads right after a PATCH
// may still return the previous value (eventual consistency,
// https://learn.microsoft.com/graph/best-practices-concept#handling-expected-errors);
// after the lag every read returns the new value. The PATCH itself answers 204.
func TestStaleReadsAfterPatch(t *testing.T) {
	e, ids := seeded(t)
	clk := withClock(e)
	jan := ids.Users["jan.devries@contoso.example"]
	if err := e.sim.SetConfig(Config{ReplicationLagMs: 2000}); err != nil {
		t.Fatal(err)
	}
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"jobTitle": "Lead", "department": "ICT"})
	clk.advance(time.Second)
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"jobTitle": "Head"})
	r := e.must(200, "GET", "/users/"+jan+"?$select=jobTitle,department", nil)
	if r.body["jobTitle"] != nil || r.body["department"] != nil {
		t.Errorf("read during lag = %s, want the values before the first PATCH", r.raw)
	}
	f := "/users?$filter=" + url.QueryEscape("department eq 'ICT'")
	if got := e.must(200, "GET", f, nil).values(); len(got) != 0 {
		t.Errorf("$filter on the new value during lag found %d", len(got))
	}
	if u, _ := e.sim.User(jan); u["jobTitle"] != "Head" {
		t.Errorf("Sim.User = %v, want the current value", u["jobTitle"])
	}
	clk.advance(2 * time.Second)
	r = e.must(200, "GET", "/users/"+jan+"?$select=jobTitle,department", nil)
	if r.body["jobTitle"] != "Head" || r.body["department"] != "ICT" {
		t.Errorf("read after lag = %s", r.raw)
	}
	if got := e.must(200, "GET", f, nil).values(); len(got) != 1 {
		t.Errorf("$filter after lag found %d", len(got))
	}
}
