package graphsim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBatch follows https://learn.microsoft.com/graph/json-batching.
func TestBatch(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	staff := ids.Groups["All Staff"]
	e.sim.ResetStats()
	r := e.must(200, "POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "GET", "url": "/users/" + jan + "?$select=id,employeeId"},
		map[string]any{"id": "2", "method": "POST", "url": "groups/" + staff + "/members/$ref",
			"headers": map[string]any{"Content-Type": "application/json"}, "body": ref(e, "directoryObjects", jan)},
		map[string]any{"id": "3", "method": "POST", "url": "/groups/" + staff + "/members/$ref", "dependsOn": []any{"2"},
			"headers": map[string]any{"Content-Type": "application/json"}, "body": ref(e, "directoryObjects", jan)},
		map[string]any{"id": "4", "method": "PATCH", "url": "/users/" + jan, "dependsOn": []any{"3"},
			"headers": map[string]any{"content-type": "application/json"}, "body": map[string]any{"jobTitle": "never"}},
		map[string]any{"id": "5", "method": "GET", "url": "/users/" + newGUID()},
	}})
	resps, _ := r.body["responses"].([]any)
	if len(resps) != 5 {
		t.Fatalf("responses: %s", r.raw)
	}
	byID := map[string]map[string]any{}
	for _, x := range resps {
		m := x.(map[string]any)
		byID[m["id"].(string)] = m
	}
	wantStatus := map[string]float64{"1": 200, "2": 204, "3": 400, "4": 424, "5": 404}
	for id, st := range wantStatus {
		if byID[id]["status"] != st {
			t.Errorf("request %s: status %v, want %v", id, byID[id]["status"], st)
		}
	}
	if b, _ := byID["1"]["body"].(map[string]any); b["employeeId"] != "1001" {
		t.Errorf("request 1 body: %v", byID["1"]["body"])
	}
	if _, has := byID["2"]["body"]; has {
		t.Errorf("204 sub-response has a body")
	}
	if b, _ := byID["3"]["body"].(map[string]any); b["error"].(map[string]any)["code"] != "Request_BadRequest" {
		t.Errorf("request 3 body: %v", byID["3"]["body"])
	}
	if u, _ := e.sim.User(jan); u["jobTitle"] != nil {
		t.Errorf("request 4 ran despite its failed dependency")
	}
	st := e.sim.Stats()
	if st.ByRoute["POST /$batch"] != 1 || st.ByRoute["POST /groups/{id}/members/$ref"] != 2 || st.ByRoute["GET /users/{id}"] != 2 ||
		st.ByRoute["PATCH /users/{id}"] != 0 {
		t.Errorf("stats byRoute = %v", st.ByRoute)
	}
	// The envelope is neither a read nor a write; 2 GETs, 2 POSTs ran (the
	// PATCH never did).
	if st.Reads != 2 || st.Writes != 2 {
		t.Errorf("reads/writes = %d/%d, want 2/2", st.Reads, st.Writes)
	}
	// A fault applies inside a batch, with its Retry-After header.
	e.sim.InjectFault(Fault{Method: "GET", Path: "/users", Status: 429, RetryAfter: 7, Count: 1})
	r = e.must(200, "POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "a", "method": "GET", "url": "/users/" + jan},
		map[string]any{"id": "b", "method": "GET", "url": "/users/" + jan},
	}})
	resps = r.body["responses"].([]any)
	a, b := resps[0].(map[string]any), resps[1].(map[string]any)
	if a["status"] != 429.0 || a["headers"].(map[string]any)["Retry-After"] != "7" || b["status"] != 200.0 {
		t.Errorf("batch with fault: %s", r.raw)
	}
	e.must(400, "POST", "/$batch", `{"requests":[{"id":"1","method":"GET","url":"/users","dependsOn":["9"]}]}`)
	e.must(400, "POST", "/$batch", `{"nope":1}`)
}

// TestFaults covers the control API's faults: status, Retry-After, count,
// latency, method and pattern matching.
func TestFaults(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	e.must(201, "POST", "/_sim/faults", map[string]any{"method": "GET", "path": "/users", "status": 429, "retryAfter": 3, "count": 2})
	for i := 0; i < 2; i++ {
		r := e.must(429, "GET", "/users/"+jan, nil)
		if r.header.Get("Retry-After") != "3" || r.errCode() != "TooManyRequests" {
			t.Fatalf("fault %d: Retry-After %q code %q", i, r.header.Get("Retry-After"), r.errCode())
		}
	}
	e.must(200, "GET", "/users/"+jan, nil) // the fault is gone after count requests

	cases := []struct {
		name   string
		fault  Fault
		method string
		path   string
		status int
		code   string
	}{
		{"503 on writes only", Fault{Method: "PATCH", Path: "/users", Status: 503}, "PATCH", "/users/" + jan, 503, "ServiceUnavailable"},
		{"403 default body", Fault{Path: "/groups", Status: 403}, "GET", "/groups", 403, "Authorization_RequestDenied"},
		{"custom code", Fault{Path: "/subscribedSkus", Status: 400, Code: "Request_BadRequest", Message: "custom"}, "GET", "/subscribedSkus", 400, "Request_BadRequest"},
		{"pattern with {id}", Fault{Path: "/users/{id}/assignLicense", Status: 503}, "POST", "/users/" + jan + "/assignLicense", 503, "ServiceUnavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.sim.InjectFault(tc.fault)
			// A request of another method or path is not affected.
			if tc.fault.Method == "PATCH" {
				e.must(200, "GET", tc.path, nil)
			}
			r := e.do(tc.method, tc.path, map[string]any{"addLicenses": []any{}, "removeLicenses": []any{}, "jobTitle": "x"})
			if r.status != tc.status || r.errCode() != tc.code {
				t.Fatalf("got %d %s: %s", r.status, r.errCode(), r.raw)
			}
			if r.header.Get("Retry-After") != "" {
				t.Errorf("Retry-After sent without retryAfter")
			}
			if tc.fault.Message != "" && r.errMessage() != tc.fault.Message {
				t.Errorf("message %q", r.errMessage())
			}
			if len(e.sim.Faults()) != 0 {
				t.Errorf("fault still pending: %v", e.sim.Faults())
			}
		})
	}
	// Latency only: the request succeeds after the delay.
	e.sim.InjectFault(Fault{Path: "/users", LatencyMs: 80})
	start := time.Now()
	e.must(200, "GET", "/users", nil)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("latency fault took %v", d)
	}
	// Control API listing and clearing.
	e.must(201, "POST", "/_sim/faults", `[{"path":"/groups","status":503,"count":5}]`)
	r := e.must(200, "GET", "/_sim/faults", nil)
	if !strings.Contains(string(r.raw), `"count":5`) {
		t.Errorf("faults list: %s", r.raw)
	}
	e.must(204, "DELETE", "/_sim/faults", nil)
	e.must(200, "GET", "/groups", nil)
	e.must(400, "POST", "/_sim/faults", `{"path":"/x","status":42}`)
	// SetLatency delays every Graph request.
	e.sim.SetLatency(30 * time.Millisecond)
	start = time.Now()
	e.must(200, "GET", "/subscribedSkus", nil)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("SetLatency: request took %v", d)
	}
	e.sim.SetLatency(0)
}

func TestFaultMatches(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/users", "/users", true},
		{"/users", "/users/abc/manager", true},
		{"/users/", "/users", false},
		{"/groups", "/users", false},
		{"", "/anything", true},
		{"/users/{id}/manager", "/users/abc/manager/$ref", true},
		{"/users/*/manager", "/users/abc/memberOf", false},
		{"/users/{id}/manager", "/users/abc", false},
	}
	for _, tc := range cases {
		if got := faultMatches(tc.pattern, tc.path); got != tc.want {
			t.Errorf("faultMatches(%q, %q) = %v", tc.pattern, tc.path, got)
		}
	}
}

func TestStatsTemplates(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	staff := ids.Groups["All Staff"]
	e.sim.ResetStats()
	e.must(200, "GET", "/users", nil)
	e.must(200, "GET", "/users/"+jan, nil)
	e.must(200, "GET", "/users/jan.devries@contoso.example", nil)
	e.must(204, "POST", "/groups/"+staff+"/members/$ref", ref(e, "directoryObjects", jan))
	e.must(204, "DELETE", "/groups/"+staff+"/members/"+jan+"/$ref", nil)
	e.must(200, "GET", "/users/delta()", nil)
	e.must(200, "GET", "/_sim/stats", nil) // not counted
	e.do("GET", "/nothing/here", nil)
	r := e.must(200, "GET", "/_sim/stats", nil)
	var st Stats
	if err := json.Unmarshal(r.raw, &st); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"GET /users": 1, "GET /users/{id}": 2, "POST /groups/{id}/members/$ref": 1,
		"DELETE /groups/{id}/members/{id}/$ref": 1, "GET /users/delta": 1, "GET (unmatched)": 1,
	}
	for k, v := range want {
		if st.ByRoute[k] != v {
			t.Errorf("byRoute[%q] = %d, want %d (all: %v)", k, st.ByRoute[k], v, st.ByRoute)
		}
	}
	if len(st.ByRoute) != len(want) || st.Reads != 5 || st.Writes != 2 {
		t.Errorf("stats = %+v", st)
	}
	e.must(204, "DELETE", "/_sim/stats", nil)
	if got := e.sim.Stats(); got.Reads != 0 || len(got.ByRoute) != 0 {
		t.Errorf("after reset: %+v", got)
	}
}

// TestGzipBody: the Graph SDK compresses request bodies (Content-Encoding: gzip).
func TestGzipBody(t *testing.T) {
	e, _ := seeded(t)
	raw, _ := json.Marshal(newUserBody("zipped"))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	req, _ := http.NewRequest("POST", e.graph()+"/users", &buf)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("gzip create: %d", resp.StatusCode)
	}
	if _, ok := e.sim.User("zipped@contoso.example"); !ok {
		t.Error("user not created")
	}
	// Broken gzip is a 400; an unknown encoding a 415 (the SDK then resends plain).
	r := e.do("POST", "/users", "not gzip", "Content-Encoding: gzip")
	if r.status != 400 {
		t.Errorf("broken gzip: %d", r.status)
	}
	r = e.do("POST", "/users", string(raw), "Content-Encoding: br")
	if r.status != 415 {
		t.Errorf("brotli: %d", r.status)
	}
}

// TestLifecycleEndpoints walks the calls of a hire and an exit.
func TestLifecycleEndpoints(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	anna := ids.Users["anna.bakker@contoso.example"]
	staff, ict := ids.Groups["All Staff"], ids.Groups["ICT Admins"]
	e3, sf := ids.SKUs["SPE_E3"], ids.ServicePrincipals["Salesforce"]
	role := "7ac6a3c1-6e1f-4d59-8a40-6b2c3e3b5a01"

	// Manager: any base URL, the id is the last segment.
	e.must(204, "PUT", "/users/"+jan+"/manager/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + anna})
	r := e.must(200, "GET", "/users/"+jan+"/manager?$select=id,displayName", nil)
	if r.body["id"] != anna || r.body["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("manager: %s", r.raw)
	}
	r = e.must(200, "GET", "/users/"+anna+"/directReports", nil)
	if vs := r.values(); len(vs) != 1 || vs[0]["id"] != jan || vs[0]["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("directReports: %s", r.raw)
	}
	r = e.must(200, "GET", "/users?$filter="+url.QueryEscape("employeeId eq '1001'")+"&$expand=manager($select=id)", nil)
	if m, _ := r.values()[0]["manager"].(map[string]any); m["id"] != anna {
		t.Errorf("$expand=manager: %s", r.raw)
	}

	// Groups, also through members@odata.bind.
	e.must(204, "POST", "/groups/"+staff+"/members/$ref", ref(e, "directoryObjects", jan))
	e.must(204, "PATCH", "/groups/"+ict, map[string]any{"members@odata.bind": []any{e.graph() + "/directoryObjects/" + jan, e.graph() + "/directoryObjects/" + anna}})
	r = e.must(200, "GET", "/users/"+jan+"/memberOf?$select=id,displayName", nil)
	if vs := r.values(); len(vs) != 2 || vs[0]["@odata.type"] != "#microsoft.graph.group" {
		t.Errorf("memberOf: %s", r.raw)
	}
	r = e.must(200, "GET", "/groups/"+ict+"/members?$select=id,userPrincipalName&$top=1", nil)
	if vs := r.values(); len(vs) != 1 || vs[0]["userPrincipalName"] != "jan.devries@contoso.example" || r.body["@odata.nextLink"] == nil {
		t.Errorf("members page: %s", r.raw)
	}
	if got := e.sim.UserGroups(jan); strings.Join(got, ",") != "All Staff,ICT Admins" {
		t.Errorf("UserGroups = %v", got)
	}

	// Licences.
	r = e.must(200, "POST", "/users/"+jan+"/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": e3, "disabledPlans": []any{}}}, "removeLicenses": []any{}})
	if al, _ := r.body["assignedLicenses"]; al != nil {
		t.Errorf("assignedLicenses is not in the default set")
	}
	r = e.must(200, "GET", "/users/"+jan+"?$select=assignedLicenses", nil)
	if al, _ := r.body["assignedLicenses"].([]any); len(al) != 1 || al[0].(map[string]any)["skuId"] != e3 {
		t.Errorf("assignedLicenses: %s", r.raw)
	}
	r = e.must(200, "GET", "/users/"+jan+"/licenseDetails", nil)
	if vs := r.values(); len(vs) != 1 || vs[0]["skuPartNumber"] != "SPE_E3" {
		t.Errorf("licenseDetails: %s", r.raw)
	}
	r = e.must(200, "GET", "/subscribedSkus", nil)
	sku := r.values()[0]
	if sku["consumedUnits"] != 1.0 || sku["prepaidUnits"].(map[string]any)["enabled"] != 2.0 || sku["skuPartNumber"] != "SPE_E3" {
		t.Errorf("subscribedSkus: %s", r.raw)
	}

	// App roles.
	r = e.must(201, "POST", "/users/"+jan+"/appRoleAssignments", map[string]any{"principalId": jan, "resourceId": sf, "appRoleId": role})
	aid := r.body["id"].(string)
	if r.body["resourceDisplayName"] != "Salesforce" || r.body["principalType"] != "User" {
		t.Errorf("assignment: %s", r.raw)
	}
	r = e.must(200, "GET", "/servicePrincipals/"+sf+"/appRoleAssignedTo", nil)
	if vs := r.values(); len(vs) != 1 || vs[0]["principalId"] != jan {
		t.Errorf("appRoleAssignedTo: %s", r.raw)
	}
	if got := e.sim.UserAppRoleAssignments(jan); len(got) != 1 || got[0].AppRoleValue != "standard" {
		t.Errorf("UserAppRoleAssignments = %+v", got)
	}

	// Temporary Access Pass: one per user, a new one replaces the old.
	r = e.must(201, "POST", "/users/"+jan+"/authentication/temporaryAccessPassMethods", map[string]any{"lifetimeInMinutes": 480, "isUsableOnce": true})
	pass1, _ := r.body["temporaryAccessPass"].(string)
	if len(pass1) != 8 || r.body["lifetimeInMinutes"] != 480.0 || r.body["isUsable"] != true {
		t.Errorf("TAP: %s", r.raw)
	}
	e.must(201, "POST", "/users/"+jan+"/authentication/temporaryAccessPassMethods", "")
	r = e.must(200, "GET", "/users/"+jan+"/authentication/temporaryAccessPassMethods", nil)
	if vs := r.values(); len(vs) != 1 || vs[0]["temporaryAccessPass"] != nil || vs[0]["lifetimeInMinutes"] != 60.0 {
		t.Errorf("TAP list: %s", r.raw)
	}

	// Mail to the manager.
	e.must(202, "POST", "/users/"+anna+"/sendMail", map[string]any{"message": map[string]any{
		"subject": "Welcome", "body": map[string]any{"contentType": "text", "content": "TAP: " + pass1},
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "jan.devries@contoso.example"}}},
	}, "saveToSentItems": false})
	mails := e.sim.SentMail()
	if len(mails) != 1 || mails[0].Subject != "Welcome" || mails[0].To[0] != "jan.devries@contoso.example" || mails[0].From != "anna.bakker@contoso.example" {
		t.Errorf("SentMail = %+v", mails)
	}

	// Exit: disable, revoke, remove access, delete, restore.
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"accountEnabled": false})
	r = e.must(200, "POST", "/users/"+jan+"/revokeSignInSessions", nil)
	if r.body["value"] != true || e.sim.SignInRevocations(jan) != 1 {
		t.Errorf("revoke: %s", r.raw)
	}
	e.must(204, "DELETE", "/groups/"+staff+"/members/"+jan+"/$ref", nil)
	e.must(204, "DELETE", "/groups/"+ict+"/members/$ref?$id="+url.QueryEscape(e.graph()+"/directoryObjects/"+jan), nil)
	e.must(200, "POST", "/users/"+jan+"/assignLicense", map[string]any{"addLicenses": []any{}, "removeLicenses": []any{e3}})
	e.must(204, "DELETE", "/users/"+jan+"/appRoleAssignments/"+aid, nil)
	e.must(204, "DELETE", "/users/"+jan+"/manager/$ref", nil)
	if len(e.sim.UserGroups(jan)) != 0 || len(e.sim.UserLicenses(jan)) != 0 || len(e.sim.UserAppRoleAssignments(jan)) != 0 {
		t.Errorf("access left after exit")
	}
	e.must(204, "DELETE", "/users/"+jan, nil)
	e.must(404, "GET", "/users/"+jan, nil)
	r = e.must(200, "GET", "/directory/deletedItems/graph.user?$select=id,deletedDateTime,userPrincipalName", nil)
	if vs := r.values(); len(vs) != 1 || vs[0]["id"] != jan || vs[0]["deletedDateTime"] == nil || vs[0]["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("deleted items: %s", r.raw)
	}
	// While Jan is deleted, the UPN is free; taking it blocks the restore.
	taken := newUserBody("jan.devries")
	e.must(201, "POST", "/users", taken)
	r = e.must(400, "POST", "/directory/deletedItems/"+jan+"/restore", nil)
	if !strings.Contains(r.errMessage(), "userPrincipalName") {
		t.Errorf("restore conflict: %s", r.raw)
	}
	e.must(204, "DELETE", "/users/"+e.sim.mustID(t, "jan.devries@contoso.example"), nil)
	e.must(204, "DELETE", "/directory/deletedItems/"+e.sim.mustDeletedNewest(t), nil)
	r = e.must(200, "POST", "/directory/deletedItems/"+jan+"/restore", nil)
	if r.body["id"] != jan {
		t.Errorf("restore: %s", r.raw)
	}
	if u, ok := e.sim.User(jan); !ok || u["accountEnabled"] != false {
		t.Errorf("restored user: %v", u)
	}
	e.must(404, "POST", "/directory/deletedItems/"+newGUID()+"/restore", nil)
}

// mustDeletedNewest returns the id of the most recently deleted user.
func (s *Sim) mustDeletedNewest(t testing.TB) string {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.t.deletedOr) == 0 {
		t.Fatal("no deleted users")
	}
	return s.t.deletedOr[len(s.t.deletedOr)-1].id
}

func TestControlSeedAndReset(t *testing.T) {
	e := newEnv(t)
	seed := `{"domains":["contoso.example"],"groups":[{"displayName":"All Staff","members":["a@contoso.example"]}],
	"skus":[{"skuPartNumber":"SPE_E3","prepaidUnits":5}],
	"servicePrincipals":[{"displayName":"Salesforce","appRoles":[{"value":"standard","displayName":"Standard User"}]}],
	"users":[{"userPrincipalName":"a@contoso.example","displayName":"A","usageLocation":"NL","mail":"a@contoso.example"},
	         {"userPrincipalName":"b@contoso.example","displayName":"B"}],
	"managers":[{"user":"b@contoso.example","manager":"a@contoso.example"}],
	"licenses":[{"user":"a@contoso.example","sku":"SPE_E3"}],
	"appRoleAssignments":[{"user":"a@contoso.example","servicePrincipal":"Salesforce","appRole":"standard"}]}`
	r := e.must(200, "POST", "/_sim/seed", seed)
	var res SeedResult
	if err := json.Unmarshal(r.raw, &res); err != nil || res.Users["a@contoso.example"] == "" || res.Groups["All Staff"] == "" {
		t.Fatalf("seed result %s (%v)", r.raw, err)
	}
	a := res.Users["a@contoso.example"]
	if g := e.sim.UserGroups(a); len(g) != 1 || g[0] != "All Staff" {
		t.Errorf("groups %v", g)
	}
	if l := e.sim.UserLicenses(a); len(l) != 1 || l[0] != "SPE_E3" {
		t.Errorf("licences %v", l)
	}
	if m, ok := e.sim.Manager("b@contoso.example"); !ok || m != a {
		t.Errorf("manager %v %v", m, ok)
	}
	if ar := e.sim.UserAppRoleAssignments(a); len(ar) != 1 {
		t.Errorf("app roles %v", ar)
	}
	// Seeds go through the same checks as the API.
	bad := []string{
		`{"users":[{"userPrincipalName":"c@fabrikam.example","displayName":"C"}]}`,
		`{"users":[{"userPrincipalName":"a@contoso.example","displayName":"A again"}]}`,
		`{"licenses":[{"user":"b@contoso.example","sku":"SPE_E3"}]}`,
		`{"unknownField":1}`,
	}
	for _, b := range bad {
		if r := e.do("POST", "/_sim/seed", b); r.status != 400 {
			t.Errorf("seed %s: %d %s", b, r.status, r.raw)
		}
	}
	e.must(204, "POST", "/_sim/reset", nil)
	if e.sim.UserCount() != 0 {
		t.Error("reset kept users")
	}
	e.must(404, "GET", "/_sim/nothing", nil)
}
