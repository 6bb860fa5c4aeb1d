package graphsim

import (
	"net/url"
	"strings"
	"testing"
)

// TestQueryAlignments covers smaller Graph rules:
//   - $count=true without "ConsistencyLevel: eventual" is ignored on directory
//     collections (200, no @odata.count), while /users/$count without it is 400
//     (https://learn.microsoft.com/graph/aad-advanced-queries#count-of-directory-objects);
//   - companyName and employeeType eq filters are advanced queries: they need
//     ConsistencyLevel: eventual and $count=true
//     (https://learn.microsoft.com/graph/aad-advanced-queries#user-properties);
//   - $top above 999 is 400 Request_UnsupportedQuery (https://learn.microsoft.com/graph/paging).
func TestQueryAlignments(t *testing.T) {
	e, ids := seeded(t)
	e.must(204, "PATCH", "/users/"+ids.Users["jan.devries@contoso.example"], map[string]any{"companyName": "Contoso BV", "employeeType": "Employee"})

	r := e.must(200, "GET", "/users?$count=true", nil)
	if _, has := r.body["@odata.count"]; has || len(r.values()) != 3 {
		t.Errorf("$count=true without ConsistencyLevel: %s", r.raw)
	}
	r = e.must(200, "GET", "/users?$count=true", nil, "ConsistencyLevel: eventual")
	if r.body["@odata.count"] != 3.0 {
		t.Errorf("$count=true with ConsistencyLevel: %s", r.raw)
	}
	if r := e.do("GET", "/users/$count", nil); r.status != 400 || r.errCode() != "Request_BadRequest" {
		t.Errorf("/users/$count without ConsistencyLevel: %d %s", r.status, r.raw)
	}
	for _, f := range []string{"companyName eq 'Contoso BV'", "employeeType eq 'Employee'"} {
		q := "/users?$filter=" + url.QueryEscape(f)
		if r := e.do("GET", q, nil); r.status != 400 || r.errCode() != "Request_UnsupportedQuery" {
			t.Errorf("%s without advanced parameters: %d %s", f, r.status, r.raw)
		}
		if r := e.do("GET", q+"&$count=true", nil); r.status != 400 {
			t.Errorf("%s with $count but no ConsistencyLevel: %d", f, r.status)
		}
		r := e.must(200, "GET", q+"&$count=true", nil, "ConsistencyLevel: eventual")
		if len(r.values()) != 1 {
			t.Errorf("%s as advanced query found %d", f, len(r.values()))
		}
	}
	// Other eq filters stay simple queries.
	e.must(200, "GET", "/users?$filter="+url.QueryEscape("employeeId eq '1001'"), nil)
	if r := e.do("GET", "/users?$top=1000", nil); r.status != 400 || r.errCode() != "Request_UnsupportedQuery" {
		t.Errorf("$top=1000: %d %s", r.status, r.raw)
	}
	e.must(200, "GET", "/users?$top=999", nil)
}

// TestBatchRules follows https://learn.microsoft.com/graph/json-batching#creating-a-batch-request:
// ids are not case-sensitive and must be unique (else the batch is 400), and a
// request with a body must carry a Content-Type header; Graph's message for a
// write without both is "Write request id : 1 does not contain Content-Type
// header or body." (quoted in pnp/pnpcore's Teams batching code).
func TestBatchRules(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	ct := map[string]any{"Content-Type": "application/json"}
	cases := []struct {
		name string
		reqs []any
		msg  string
	}{
		{"ids differing in case", []any{
			map[string]any{"id": "a", "method": "GET", "url": "/users"},
			map[string]any{"id": "A", "method": "GET", "url": "/users"},
		}, "used more than once"},
		{"PATCH body without Content-Type", []any{
			map[string]any{"id": "1", "method": "PATCH", "url": "/users/" + jan, "body": map[string]any{"jobTitle": "x"}},
		}, "Write request id : 1 does not contain Content-Type header or body."},
		{"POST without body", []any{
			map[string]any{"id": "7", "method": "POST", "url": "/users/" + jan + "/revokeSignInSessions", "headers": ct},
		}, "Write request id : 7 does not contain Content-Type header or body."},
	}
	for _, tc := range cases {
		r := e.do("POST", "/$batch", map[string]any{"requests": tc.reqs})
		if r.status != 400 || !strings.Contains(r.errMessage(), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
		}
	}
	// dependsOn matches ids case-insensitively; DELETE needs no body.
	r := e.must(200, "POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "Up", "method": "PATCH", "url": "/users/" + jan, "headers": ct, "body": map[string]any{"jobTitle": "Lead"}},
		map[string]any{"id": "next", "method": "GET", "url": "/users/" + jan + "?$select=jobTitle", "dependsOn": []any{"up"}},
		map[string]any{"id": "del", "method": "DELETE", "url": "/users/" + ids.Users["piet.jansen@contoso.example"]},
	}})
	for _, x := range r.body["responses"].([]any) {
		m := x.(map[string]any)
		if st := m["status"].(float64); st >= 400 {
			t.Errorf("sub-request %v: %v", m["id"], m)
		}
	}
	if u, _ := e.sim.User(jan); u["jobTitle"] != "Lead" {
		t.Errorf("jobTitle = %v", u["jobTitle"])
	}
}
