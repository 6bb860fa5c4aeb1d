package activities

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/testenv"
)

// entraDouble stands in front of the simulator and answers what a real
// tenant answers for a user synchronised from on-premises Active Directory
// and for a licence inherited from a group (see docs/entra-behaviour.md):
//   - onPremisesSyncEnabled and licenseAssignmentStates are served
//     (models.User / models.LicenseAssignmentState of msgraph-sdk-go);
//   - a PATCH of a mastered property of a synced user is 400 "Unable to update
//     the specified properties for on-premises mastered Directory Sync
//     objects …" (microsoftgraph/microsoft-graph-docs issue 18038), as is
//     accountEnabled;
//   - removing an inherited licence is 400 "User license is inherited from a
//     group membership and it cannot be removed directly from the user."
//     (KelvinTegelaar/CIPP issue 4090).
type entraDouble struct {
	next      http.RoundTripper
	synced    map[string]bool   // object ids
	inherited map[string]string // object id → skuId held through group "g-licensing"

	mu      sync.Mutex
	refused int
}

// plainBody reads a request body, gunzipping what the SDK compressed, and
// leaves the request with the plain body.
func plainBody(req *http.Request) []byte {
	if req.Body == nil {
		return nil
	}
	body, _ := io.ReadAll(req.Body)
	if req.Header.Get("Content-Encoding") == "gzip" {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			body, _ = io.ReadAll(zr)
		}
		req.Header.Del("Content-Encoding")
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	return body
}

func (e *entraDouble) RoundTrip(req *http.Request) (*http.Response, error) {
	id := userID(req.URL.Path)
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/$batch") {
		return e.batch(req)
	}
	if req.Method == http.MethodPut && e.synced[id] && strings.HasSuffix(req.URL.Path, "/manager/$ref") {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.refused++
		return fake(req, 400, `{"error":{"code":"Request_BadRequest","message":"Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."}}`), nil
	}
	if req.Method == http.MethodPatch && e.synced[id] {
		body := plainBody(req)
		mastered := false
		for _, f := range append(directory.SyncMasteredFields, "accountEnabled") {
			if bytes.Contains(body, []byte(`"`+f+`"`)) {
				mastered = true
			}
		}
		if mastered {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.refused++
			return fake(req, 400, `{"error":{"code":"Request_BadRequest","message":"Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."}}`), nil
		}
	}
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/assignLicense") && e.inherited[id] != "" {
		body := plainBody(req)
		if bytes.Contains(bytes.ToLower(body), []byte(strings.ToLower(e.inherited[id]))) && bytes.Contains(body, []byte("removeLicenses")) &&
			!bytes.Contains(body, []byte(`"removeLicenses":[]`)) {
			e.mu.Lock()
			e.refused++
			e.mu.Unlock()
			return fake(req, 400, `{"error":{"code":"Request_BadRequest","message":"User license is inherited from a group membership and it cannot be removed directly from the user."}}`), nil
		}
	}
	if req.Method != http.MethodGet {
		return e.next.RoundTrip(req)
	}
	// The simulator does not know the two properties: ask without them and
	// add them to the answer.
	q := req.URL.Query()
	if sel := q.Get("$select"); sel != "" {
		var keep []string
		for _, p := range strings.Split(sel, ",") {
			if p != "onPremisesSyncEnabled" && p != "licenseAssignmentStates" {
				keep = append(keep, p)
			}
		}
		if !containsStr(keep, "id") {
			keep = append(keep, "id")
		}
		q.Set("$select", strings.Join(keep, ","))
		r2 := req.Clone(req.Context())
		r2.URL.RawQuery = q.Encode()
		req = r2
	}
	resp, err := e.next.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		if vals, ok := doc["value"].([]any); ok {
			for _, v := range vals {
				if m, ok := v.(map[string]any); ok {
					e.decorate(m)
				}
			}
		} else {
			e.decorate(doc)
		}
		body, _ = json.Marshal(doc)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// batch strips the two properties from the $select of each step and adds
// them to each step's answer.
func (e *entraDouble) batch(req *http.Request) (*http.Response, error) {
	body := plainBody(req)
	var in map[string]any
	if json.Unmarshal(body, &in) == nil {
		for _, r := range asList(in["requests"]) {
			m, _ := r.(map[string]any)
			if u, ok := m["url"].(string); ok {
				m["url"] = stripSelect(u)
			}
		}
		body, _ = json.Marshal(in)
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	resp, err := e.next.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 {
		return resp, err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc map[string]any
	if json.Unmarshal(out, &doc) == nil {
		for _, r := range asList(doc["responses"]) {
			m, _ := r.(map[string]any)
			if b, ok := m["body"].(map[string]any); ok {
				e.decorate(b)
			}
		}
		out, _ = json.Marshal(doc)
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func asList(v any) []any { l, _ := v.([]any); return l }

func stripSelect(raw string) string {
	for _, p := range []string{",onPremisesSyncEnabled", ",licenseAssignmentStates", "onPremisesSyncEnabled,", "licenseAssignmentStates,"} {
		raw = strings.ReplaceAll(raw, p, "")
		raw = strings.ReplaceAll(raw, url.QueryEscape(p), "")
	}
	return raw
}

func (e *entraDouble) decorate(m map[string]any) {
	id, _ := m["id"].(string)
	if id == "" {
		return
	}
	m["onPremisesSyncEnabled"] = e.synced[id]
	var states []any
	if lics, ok := m["assignedLicenses"].([]any); ok {
		for _, l := range lics {
			sku, _ := l.(map[string]any)["skuId"].(string)
			st := map[string]any{"skuId": sku, "state": "Active", "assignedByGroup": nil}
			if strings.EqualFold(sku, e.inherited[id]) {
				st["assignedByGroup"] = "6a2b1e0c-0000-0000-0000-00000000beef"
			}
			states = append(states, st)
		}
		m["licenseAssignmentStates"] = states
	}
}

func userID(path string) string {
	p, _ := url.PathUnescape(path)
	_, rest, ok := strings.Cut(p, "/users/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fake(req *http.Request, status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

func newDoubleEnv(t *testing.T) (*Activities, *entraDouble, *graphsim.Sim, graphsim.SeedResult) {
	t.Helper()
	dbl := &entraDouble{next: http.DefaultTransport}
	w := testenv.New(t, testenv.Fixture{Seed: graphsim.Seed{
		Domains: []string{"contoso.example"},
		Groups:  []graphsim.SeedGroup{{DisplayName: "All Staff"}},
		SKUs:    []graphsim.SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 10}, {SkuPartNumber: "VISIOCLIENT", PrepaidUnits: 10}},
		Users: []map[string]any{
			{"displayName": "Hybrid Harry", "userPrincipalName": "harry@contoso.example", "employeeId": "5001", "jobTitle": "Old title",
				"department": "ICT", "usageLocation": "NL", "accountEnabled": true},
			{"displayName": "Group Greta", "userPrincipalName": "greta@contoso.example", "employeeId": "5002", "usageLocation": "NL", "accountEnabled": true},
		},
		Memberships: []graphsim.SeedMembership{{Group: "All Staff", Member: "harry@contoso.example"}},
		Licenses: []graphsim.SeedLicense{{User: "greta@contoso.example", SKU: "SPE_E3"}, {User: "greta@contoso.example", SKU: "VISIOCLIENT"},
			{User: "harry@contoso.example", SKU: "SPE_E3"}},
	}}, testenv.WithTransport(dbl))
	ids := w.IDs
	dbl.synced = map[string]bool{ids.Users["harry@contoso.example"]: true}
	dbl.inherited = map[string]string{ids.Users["greta@contoso.example"]: ids.SKUs["SPE_E3"]}
	return &Activities{Directory: w.Dir, Logger: w.Logger}, dbl, w.Sim, ids
}

// A licence held through a group is reported as held and inherited, never
// removed directly (on exit, move or repair), while a direct one is removed.
func TestInheritedLicenceIsNeverRemovedDirectly(t *testing.T) {
	acts, dbl, sim, ids := newDoubleEnv(t)
	ctx := context.Background()
	greta := ids.Users["greta@contoso.example"]
	dir := acts.Directory.(*directory.Client)
	ents, err := dir.Entitlements(ctx, greta)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents.InheritedLicenses) != 1 || ents.InheritedLicenses[0] != "SPE_E3" {
		t.Fatalf("inherited %v, want [SPE_E3]", ents.InheritedLicenses)
	}
	var listed []string
	if err := dir.ListUsersWithLicenses(ctx, func(u directory.User) error {
		if u.ID == greta {
			listed = u.InheritedLicenses
		}
		return nil
	}); err != nil || len(listed) != 1 {
		t.Fatalf("listing: inherited %v, err %v", listed, err)
	}
	err = acts.RevokeEntitlements(ctx, EntitlementsInput{ObjectID: greta,
		Entitlements: []policy.Entitlement{policy.License("SPE_E3"), policy.License("VISIOCLIENT")}})
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if l := sim.UserLicenses("greta@contoso.example"); len(l) != 1 || l[0] != "SPE_E3" {
		t.Fatalf("licences after revoke %v, want the inherited SPE_E3 only", l)
	}
	if dbl.refused != 0 {
		t.Fatalf("%d removals of an inherited licence were sent", dbl.refused)
	}
}

// A synced account is adopted without writing its mastered attributes: the
// update says so in a warning, sign-in changes are handled, nothing loops.
func TestSyncedAccountIsNotPatched(t *testing.T) {
	acts, dbl, sim, ids := newDoubleEnv(t)
	ctx := context.Background()
	harry := ids.Users["harry@contoso.example"]
	res, err := acts.UpdateAccount(ctx, UpdateAccountInput{ObjectID: harry,
		Spec:   AccountSpec{EmployeeID: "5001", Attributes: orgattr.Attributes{JobTitle: "New title", Department: "Sales"}, UsageLocation: "BE"},
		Fields: []string{orgattr.JobTitle, orgattr.Department, FieldUsageLocation}})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if len(res.Changed) != 1 || res.Changed[0] != "usageLocation" {
		t.Errorf("changed %v, want usageLocation only", res.Changed)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "jobTitle, department") {
		t.Errorf("warnings %v", res.Warnings)
	}
	if dbl.refused != 0 {
		t.Errorf("%d PATCHes of mastered properties were sent", dbl.refused)
	}
	if u, _ := sim.User(harry); u["jobTitle"] != "Old title" {
		t.Errorf("jobTitle %v", u["jobTitle"])
	}
	// Disabling is refused for a synced account in this tenant: handled, not retried.
	if err := acts.SetAccountEnabled(ctx, SetEnabledInput{ObjectID: harry, Enabled: false}); err != nil {
		t.Fatalf("disable of a synced account: %v", err)
	}
	if dbl.refused != 1 {
		t.Errorf("refusals %d, want the one disable", dbl.refused)
	}
	// The manager of a synced account flows from Active Directory: handled too.
	if res, err := acts.LinkManager(ctx, LinkManagerInput{ObjectID: harry, ManagerEmployeeID: "5002"}); err != nil || !res.Found {
		t.Fatalf("link manager of a synced account: %+v, %v", res, err)
	}
}
