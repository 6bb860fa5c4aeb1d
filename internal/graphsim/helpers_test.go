package graphsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// testEnv is a simulator behind a real HTTP server.
type testEnv struct {
	t   testing.TB
	sim *Sim
	srv *httptest.Server
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	s := New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &testEnv{t: t, sim: s, srv: srv}
}

// graph is the base URL of the Graph API.
func (e *testEnv) graph() string { return e.srv.URL + "/v1.0" }

// result is a decoded HTTP answer.
type result struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// errCode returns error.code of a Graph error body.
func (r result) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r result) errMessage() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func (r result) values() []map[string]any {
	list, _ := r.body["value"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

// do sends a request; path is relative to /v1.0 unless it is absolute or
// starts with /_sim/. body may be nil, a string (sent as is) or any value
// (JSON-encoded). headers are "Key: value" pairs.
func (e *testEnv) do(method, path string, body any, headers ...string) result {
	e.t.Helper()
	url := path
	switch {
	case strings.HasPrefix(path, "http"):
	case strings.HasPrefix(path, "/_sim/"):
		url = e.srv.URL + path
	default:
		url = e.graph() + path
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	return r
}

// must asserts a status and returns the result.
func (e *testEnv) must(status int, method, path string, body any, headers ...string) result {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.raw)
	}
	return r
}

// baseSeed is a small tenant: one domain, two groups, an E3 SKU with two
// seats, a Salesforce service principal and three users.
func baseSeed() Seed {
	return Seed{
		Domains: []string{"contoso.example"},
		Groups: []SeedGroup{
			{DisplayName: "All Staff"},
			{DisplayName: "ICT Admins"},
		},
		SKUs: []SeedSKU{{SkuID: "05e9a617-0261-4cee-bb44-138d3ef5d965", SkuPartNumber: "SPE_E3", PrepaidUnits: 2}},
		ServicePrincipals: []SeedServicePrincipal{{
			DisplayName: "Salesforce",
			AppRoles:    []SeedAppRole{{ID: "7ac6a3c1-6e1f-4d59-8a40-6b2c3e3b5a01", Value: "standard", DisplayName: "Standard User"}},
		}},
		Users: []map[string]any{
			{"userPrincipalName": "jan.devries@contoso.example", "displayName": "Jan de Vries", "employeeId": "1001",
				"usageLocation": "NL", "mail": "jan.devries@contoso.example", "givenName": "Jan"},
			{"userPrincipalName": "piet.jansen@contoso.example", "displayName": "Piet Jansen", "employeeId": "1002",
				"mail": "piet.jansen@contoso.example"},
			{"userPrincipalName": "anna.bakker@contoso.example", "displayName": "Anna Bakker", "employeeId": "1003",
				"usageLocation": "NL", "mail": "anna.bakker@contoso.example"},
		},
	}
}

// seeded returns an environment with baseSeed and its ids.
func seeded(t testing.TB) (*testEnv, SeedResult) {
	t.Helper()
	e := newEnv(t)
	res, err := e.sim.SeedWithResult(baseSeed())
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return e, res
}

// newUserBody is a valid POST /users body.
func newUserBody(nick string) map[string]any {
	return map[string]any{
		"accountEnabled":    true,
		"displayName":       "User " + nick,
		"mailNickname":      nick,
		"userPrincipalName": nick + "@contoso.example",
		"passwordProfile":   map[string]any{"forceChangePasswordNextSignIn": true, "password": "x-Secret-1"},
	}
}

func ref(e *testEnv, kind, id string) map[string]any {
	return map[string]any{"@odata.id": fmt.Sprintf("%s/%s/%s", e.graph(), kind, id)}
}
