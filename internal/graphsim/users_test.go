package graphsim

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestCreateAndGetUser(t *testing.T) {
	e, _ := seeded(t)
	body := newUserBody("kees.smit")
	body["employeeId"] = "2001"
	body["employeeHireDate"] = "2026-03-01T00:00:00+01:00"
	body["employeeOrgData"] = map[string]any{"@odata.type": "#microsoft.graph.employeeOrgData", "costCenter": "4130", "division": "ICT"}
	body["@odata.type"] = "#microsoft.graph.user"
	r := e.must(201, "POST", "/users", body)
	id, _ := r.body["id"].(string)
	if !guidRe.MatchString(id) {
		t.Fatalf("id %q is not a GUID", id)
	}
	if ctx, _ := r.body["@odata.context"].(string); !strings.HasSuffix(ctx, "/$metadata#users/$entity") {
		t.Errorf("@odata.context = %q", ctx)
	}
	// employeeId is not in the default property set
	// (https://learn.microsoft.com/graph/api/user-get#optional-query-parameters).
	if _, ok := r.body["employeeId"]; ok {
		t.Errorf("employeeId returned without $select: %s", r.raw)
	}
	if _, ok := r.body["passwordProfile"]; ok {
		t.Errorf("passwordProfile returned: %s", r.raw)
	}
	r = e.must(200, "GET", "/users/"+id+"?$select=id,employeeId,employeeHireDate,employeeOrgData,createdDateTime,accountEnabled", nil)
	if r.body["employeeId"] != "2001" || r.body["accountEnabled"] != true {
		t.Errorf("selected: %s", r.raw)
	}
	if r.body["employeeHireDate"] != "2026-02-28T23:00:00Z" {
		t.Errorf("employeeHireDate = %v, want UTC RFC 3339", r.body["employeeHireDate"])
	}
	if od, _ := r.body["employeeOrgData"].(map[string]any); od["costCenter"] != "4130" || od["@odata.type"] != nil {
		t.Errorf("employeeOrgData = %v", r.body["employeeOrgData"])
	}
	created, err := time.Parse(time.RFC3339, r.body["createdDateTime"].(string))
	if err != nil || time.Since(created) > time.Minute {
		t.Errorf("createdDateTime = %v (%v)", r.body["createdDateTime"], err)
	}
	if ctx := r.body["@odata.context"].(string); !strings.Contains(ctx, "#users(id,employeeId,") {
		t.Errorf("@odata.context = %q", ctx)
	}
	// By userPrincipalName, case-insensitively.
	r = e.must(200, "GET", "/users/Kees.Smit@contoso.example", nil)
	if r.body["id"] != id {
		t.Errorf("get by UPN: %s", r.raw)
	}
	// PATCH then read back; null clears.
	e.must(204, "PATCH", "/users/"+id, map[string]any{"jobTitle": "Beheerder", "department": "ICT"})
	e.must(204, "PATCH", "/users/"+id, map[string]any{"department": nil})
	u, ok := e.sim.User(id)
	if !ok || u["jobTitle"] != "Beheerder" || u["department"] != nil {
		t.Errorf("after PATCH: %v", u)
	}
}

// TestProxyAddresses: changing mail keeps the old address as an alias, as
// Exchange does (https://learn.microsoft.com/graph/api/resources/user#properties, proxyAddresses).
func TestProxyAddresses(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"mail": "jan.de.vries@contoso.example"})
	r := e.must(200, "GET", "/users/"+jan+"?$select=mail,proxyAddresses", nil)
	got := fmt.Sprint(r.body["proxyAddresses"])
	if got != "[SMTP:jan.de.vries@contoso.example smtp:jan.devries@contoso.example]" {
		t.Fatalf("proxyAddresses = %s", got)
	}
	// Switching back promotes the alias again without duplicates.
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"mail": "jan.devries@contoso.example"})
	r = e.must(200, "GET", "/users/"+jan+"?$select=proxyAddresses", nil)
	if got := fmt.Sprint(r.body["proxyAddresses"]); got != "[SMTP:jan.devries@contoso.example smtp:jan.de.vries@contoso.example]" {
		t.Fatalf("proxyAddresses = %s", got)
	}
	// The alias stays reserved for Jan.
	piet := ids.Users["piet.jansen@contoso.example"]
	e.must(400, "PATCH", "/users/"+piet, map[string]any{"mail": "jan.de.vries@contoso.example"})
}

func TestFilterQueries(t *testing.T) {
	e, _ := seeded(t)
	names := func(r result) string {
		var out []string
		for _, v := range r.values() {
			out = append(out, v["displayName"].(string))
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	cases := []struct {
		filter  string
		headers []string
		count   bool
		want    string
	}{
		{"employeeId eq '1001'", nil, false, "Jan de Vries"},
		{"userPrincipalName eq 'PIET.JANSEN@contoso.example'", nil, false, "Piet Jansen"},
		{"mail eq 'anna.bakker@contoso.example'", nil, false, "Anna Bakker"},
		{"mailNickname eq 'jan.devries'", nil, false, "Jan de Vries"},
		{"displayName eq 'Anna Bakker'", nil, false, "Anna Bakker"},
		{"accountEnabled eq true", nil, false, "Anna Bakker,Jan de Vries,Piet Jansen"},
		{"startswith(displayName,'p')", nil, false, "Piet Jansen"},
		{"employeeId eq '1001' or employeeId eq '1003'", nil, false, "Anna Bakker,Jan de Vries"},
		{"(employeeId eq '1001' or employeeId eq '1003') and startswith(mail,'anna')", nil, false, "Anna Bakker"},
		{"employeeId in ('1002','1003')", nil, false, "Anna Bakker,Piet Jansen"},
		{"employeeId eq '9999'", nil, false, ""},
		{"employeeId ne '1001'", []string{"ConsistencyLevel: eventual"}, true, "Anna Bakker,Piet Jansen"},
		{"not(startswith(displayName,'Jan'))", []string{"ConsistencyLevel: eventual"}, true, "Anna Bakker,Piet Jansen"},
		{"usageLocation eq null", []string{"ConsistencyLevel: eventual"}, true, "Piet Jansen"},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			q := "/users?$filter=" + url.QueryEscape(tc.filter) + "&$select=displayName,employeeId"
			if tc.count {
				q += "&$count=true"
			}
			r := e.must(200, "GET", q, nil, tc.headers...)
			if got := names(r); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if tc.count {
				if n, _ := r.body["@odata.count"].(float64); int(n) != len(r.values()) {
					t.Errorf("@odata.count = %v, want %d", r.body["@odata.count"], len(r.values()))
				}
			}
		})
	}
	// $count segment returns a plain number.
	r := e.must(200, "GET", "/users/$count?$filter="+url.QueryEscape("startswith(displayName,'J')"), nil, "ConsistencyLevel: eventual")
	if string(r.raw) != "1" {
		t.Errorf("$count = %q", r.raw)
	}
	// Groups and service principals by display name.
	r = e.must(200, "GET", "/groups?$filter="+url.QueryEscape("displayName eq 'ICT Admins'"), nil)
	if vs := r.values(); len(vs) != 1 || vs[0]["displayName"] != "ICT Admins" || vs[0]["securityEnabled"] != true {
		t.Errorf("groups: %s", r.raw)
	}
	r = e.must(200, "GET", "/servicePrincipals?$filter="+url.QueryEscape("displayName eq 'Salesforce'"), nil)
	vs := r.values()
	if len(vs) != 1 {
		t.Fatalf("servicePrincipals: %s", r.raw)
	}
	roles, _ := vs[0]["appRoles"].([]any)
	if len(roles) != 1 || roles[0].(map[string]any)["value"] != "standard" {
		t.Errorf("appRoles: %v", roles)
	}
	r = e.must(200, "GET", "/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+vs[0]["appId"].(string)+"'"), nil)
	if len(r.values()) != 1 {
		t.Errorf("by appId: %s", r.raw)
	}
}

// seedMany adds n users named u00000..; every third is in department Sales.
func seedMany(t testing.TB, s *Sim, n int) {
	t.Helper()
	seed := Seed{Domains: []string{"contoso.example"}}
	for i := 0; i < n; i++ {
		dept := "ICT"
		if i%3 == 0 {
			dept = "Sales"
		}
		seed.Users = append(seed.Users, map[string]any{
			"userPrincipalName": fmt.Sprintf("u%05d@contoso.example", i),
			"displayName":       fmt.Sprintf("User %05d", i),
			"employeeId":        fmt.Sprintf("%05d", i),
			"department":        dept,
		})
	}
	if err := s.Seed(seed); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// listAll follows @odata.nextLink from first and returns the ids and pages.
func listAll(e *testEnv, first string, headers ...string) (ids []string, pages int) {
	e.t.Helper()
	next := first
	for next != "" {
		r := e.must(200, "GET", next, nil, headers...)
		pages++
		for _, v := range r.values() {
			ids = append(ids, v["id"].(string))
		}
		next, _ = r.body["@odata.nextLink"].(string)
		if pages > 1000 {
			e.t.Fatal("paging does not end")
		}
	}
	return ids, pages
}

// TestPaging follows @odata.nextLink (https://learn.microsoft.com/graph/paging) across 2,500 users.
func TestPaging(t *testing.T) {
	e := newEnv(t)
	seedMany(t, e.sim, 2500)
	cases := []struct {
		query     string
		wantIDs   int
		wantPages int
	}{
		{"/users?$top=999&$select=id,employeeId", 2500, 3},
		{"/users", 2500, 25}, // default page size 100
		{"/users?$top=999&$filter=" + url.QueryEscape("department eq 'Sales'"), 834, 1},
		{"/users?$top=500&$filter=" + url.QueryEscape("department eq 'Sales'"), 834, 2},
		{"/users?$top=1&$filter=" + url.QueryEscape("employeeId in ('00007','00008','02499')"), 3, 3},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			ids, pages := listAll(e, e.graph()+tc.query)
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("id %s returned twice", id)
				}
				seen[id] = true
			}
			if len(ids) != tc.wantIDs || pages != tc.wantPages {
				t.Fatalf("got %d ids in %d pages, want %d in %d", len(ids), pages, tc.wantIDs, tc.wantPages)
			}
		})
	}
	// The next link keeps $select and $top, and the token is opaque.
	r := e.must(200, "GET", "/users?$top=999&$select=id,employeeId", nil)
	next := r.body["@odata.nextLink"].(string)
	if !strings.HasPrefix(next, e.graph()+"/users?") || !strings.Contains(next, "$select=id,employeeId") || !strings.Contains(next, "$skiptoken=") {
		t.Errorf("nextLink = %s", next)
	}
	// $count with ConsistencyLevel reports the total on every page.
	r = e.must(200, "GET", "/users?$top=999&$count=true", nil, "ConsistencyLevel: eventual")
	if n, _ := r.body["@odata.count"].(float64); n != 2500 {
		t.Errorf("@odata.count = %v", r.body["@odata.count"])
	}
	// Deleting users between pages neither repeats nor skips the others.
	r = e.must(200, "GET", "/users?$top=999&$select=id", nil)
	first := r.values()
	e.must(204, "DELETE", "/users/"+first[5]["id"].(string), nil)
	rest, _ := listAll(e, r.body["@odata.nextLink"].(string))
	if len(first)+len(rest) != 2500 {
		t.Errorf("after a delete between pages: %d + %d", len(first), len(rest))
	}
}

// TestDelta follows https://learn.microsoft.com/graph/delta-query-users: an
// initial round of pages ending in a deltaLink, then only the changes, with
// deleted users as @removed.
func TestDelta(t *testing.T) {
	e := newEnv(t)
	seedMany(t, e.sim, 450)
	var deltaLink string
	next := e.graph() + "/users/delta()?$select=displayName,employeeId"
	pages, seen := 0, 0
	for next != "" {
		r := e.must(200, "GET", next, nil, "Prefer: odata.maxpagesize=200")
		pages++
		for _, v := range r.values() {
			if v["id"] == nil || v["employeeId"] == nil {
				t.Fatalf("delta item without id/employeeId: %v", v)
			}
			seen++
		}
		next, _ = r.body["@odata.nextLink"].(string)
		if dl, ok := r.body["@odata.deltaLink"].(string); ok {
			if next != "" {
				t.Fatal("page with both nextLink and deltaLink")
			}
			deltaLink = dl
		}
	}
	if seen != 450 || pages != 3 || !strings.Contains(deltaLink, "$deltatoken=") {
		t.Fatalf("initial round: %d users in %d pages, deltaLink %q", seen, pages, deltaLink)
	}
	// Nothing changed: an empty page with a new deltaLink.
	r := e.must(200, "GET", deltaLink, nil)
	if len(r.values()) != 0 || r.body["@odata.deltaLink"] == nil {
		t.Fatalf("no-change round: %s", r.raw)
	}
	// Change one, soft-delete one, hard-delete one, create one.
	changed := e.sim.mustID(t, "u00010@contoso.example")
	soft := e.sim.mustID(t, "u00011@contoso.example")
	hard := e.sim.mustID(t, "u00012@contoso.example")
	e.must(204, "PATCH", "/users/"+changed, map[string]any{"displayName": "Renamed"})
	e.must(204, "DELETE", "/users/"+soft, nil)
	e.must(204, "DELETE", "/users/"+hard, nil)
	e.must(204, "DELETE", "/directory/deletedItems/"+hard, nil)
	created := e.must(201, "POST", "/users", newUserBody("newbie")).body["id"].(string)

	r = e.must(200, "GET", deltaLink, nil)
	got := map[string]string{}
	for _, v := range r.values() {
		id := v["id"].(string)
		if rm, ok := v["@removed"].(map[string]any); ok {
			got[id] = "removed:" + rm["reason"].(string)
		} else {
			got[id] = v["displayName"].(string)
		}
	}
	want := map[string]string{changed: "Renamed", soft: "removed:changed", hard: "removed:deleted", created: "User newbie"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}
	// The new deltaLink starts after these changes.
	r = e.must(200, "GET", r.body["@odata.deltaLink"].(string), nil)
	if len(r.values()) != 0 {
		t.Errorf("repeat round: %s", r.raw)
	}
	e.must(400, "GET", "/users/delta?$deltatoken=bogus", nil)
}

// mustID looks up a user id by UPN.
func (s *Sim) mustID(t testing.TB, upn string) string {
	t.Helper()
	u, ok := s.User(upn)
	if !ok {
		t.Fatalf("no user %s", upn)
	}
	return u["id"].(string)
}
