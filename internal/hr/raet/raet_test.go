package raet

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

// fake serves the Youforce token endpoint and IAM API shapes: client
// credentials, {"value":[…],"nextLink":…} paging, 9999-12-31 open ends.
type fake struct {
	mu       sync.Mutex
	data     map[string][]map[string]any
	calls    []time.Time
	tokens   int
	throttle int
	// failAfter, when > 0, answers 400 to every API call after that many.
	failAfter int
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/connect/token" {
		r.ParseForm()
		if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != "app" || r.Form.Get("client_secret") != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		f.tokens++
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"})
		return
	}
	f.calls = append(f.calls, time.Now())
	if r.Header.Get("Authorization") != "Bearer tok-1" || r.Header.Get("X-Raet-Tenant-Id") != "t1" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if f.failAfter > 0 && len(f.calls) > f.failAfter {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	ep := strings.TrimPrefix(r.URL.Path, "/iam/v1.0/")
	rows, ok := f.data[ep]
	if !ok {
		w.WriteHeader(404)
		return
	}
	if pc := r.URL.Query().Get("personCode"); pc != "" {
		var keep []map[string]any
		for _, row := range rows {
			if row["personCode"] == pc {
				keep = append(keep, row)
			}
		}
		rows = keep
	}
	take, _ := strconv.Atoi(r.URL.Query().Get("take"))
	skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
	end := min(skip+take, len(rows))
	body := map[string]any{"value": rows[skip:end]}
	if end < len(rows) {
		body["nextLink"] = "https://api.youforce.com/iam/v1.0/" + ep + "?take=" + strconv.Itoa(take) + "&skip=" + strconv.Itoa(end)
	}
	json.NewEncoder(w).Encode(body)
}

func sampleData() map[string][]map[string]any {
	return map[string][]map[string]any{
		"persons": {
			{"personCode": "100", "knownAs": "Maarten", "firstNames": "Maarten Johannes", "lastNameAtBirth": "Linden", "lastNameAtBirthPrefix": "van der", "nameAssembleOrder": "E"},
			{"personCode": "200", "knownAs": "Els", "firstNames": "Elisabeth", "lastNameAtBirth": "Bakker", "nameAssembleOrder": "E",
				"emailAddresses": []map[string]any{{"type": "Private", "address": "els@home.example"}, {"type": "Business", "address": "els.bakker@contoso.example"}}},
			{"personCode": "300", "knownAs": "Anne", "firstNames": "Johanna", "lastNameAtBirth": "Vos", "partnerName": "Rijn", "partnerNamePrefix": "van", "nameAssembleOrder": "B"},
			{"personCode": "400", "knownAs": "Kees", "firstNames": "Cornelis", "lastNameAtBirth": "Smit", "nameAssembleOrder": "E"},
			{"personCode": "500", "knownAs": "Sam", "firstNames": "Samuel", "lastNameAtBirth": "Kok", "nameAssembleOrder": "E"},
		},
		"employments": {
			{"id": "e1", "personCode": "100", "employmentCode": "1", "hireDate": "2015-01-01", "dischargeDate": "9999-12-31", "organizationUnit": "ou-dir", "jobProfile": "jp-ceo", "company": "Contoso B.V."},
			{"id": "e2", "personCode": "200", "employmentCode": "1", "hireDate": "2019-05-01", "dischargeDate": "9999-12-31", "organizationUnit": "ou-ict", "jobProfile": "jp-lead"},
			{"id": "e3", "personCode": "300", "employmentCode": "1", "hireDate": "2023-02-01", "dischargeDate": "2026-01-31", "organizationUnit": "ou-ict", "jobProfile": "jp-dev"},
			{"id": "e4", "personCode": "400", "employmentCode": "1", "hireDate": "2024-13-01", "organizationUnit": "ou-ict"},
			{"id": "e5", "personCode": "500", "employmentCode": "1", "hireDate": "2027-03-01T00:00:00", "dischargeDate": "9999-12-31", "organizationUnit": "ou-ict", "jobProfile": "jp-dev"},
		},
		"organizationUnits": {
			{"id": "ou-dir", "shortName": "DIR", "fullName": "Directie"},
			{"id": "ou-ict", "shortName": "ICT", "fullName": "ICT Beheer", "parentOrgUnit": "ou-dir"},
		},
		"roleAssignments": {
			{"personCode": "100", "shortName": "MGR", "organizationUnit": "ou-dir", "startDate": "2015-01-01", "endDate": "9999-12-31"},
			{"personCode": "200", "shortName": "MGR", "organizationUnit": "ou-ict", "startDate": "2019-05-01", "endDate": "9999-12-31"},
			{"personCode": "300", "shortName": "MGR", "organizationUnit": "ou-ict", "startDate": "2019-05-01", "endDate": "2020-12-31"},
		},
		"jobProfiles": {
			{"id": "jp-ceo", "shortName": "D00", "fullName": "Algemeen directeur"},
			{"id": "jp-lead", "shortName": "M01", "fullName": "Teamleider"},
			{"id": "jp-dev", "shortName": "F050", "fullName": "Softwareontwikkelaar"},
		},
	}
}

func newSource(t *testing.T, f *fake, secret string, interval time.Duration) *Source {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	s, err := New(Config{BaseURL: srv.URL, TokenURL: srv.URL + "/connect/token", ClientID: "app", ClientSecret: secret, TenantID: "t1", PageSize: 2},
		WithHTTPClient(srv.Client()), WithCallInterval(interval), WithSleep(func(context.Context, time.Duration) error { return nil }),
		WithClock(func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSnapshotFollowsNextLinkIntoModel(t *testing.T) {
	f := &fake{data: sampleData(), throttle: 1}
	s := newSource(t, f, "s3cret", 15*time.Millisecond)
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// persons 3 pages, employments 3, units 1, jobs 2, roles 2, + 1 throttled = 12 calls.
	if len(f.calls) != 12 || f.tokens != 1 {
		t.Errorf("calls %d, tokens %d", len(f.calls), f.tokens)
	}
	// Calls leave at least 15ms apart; arrival times jitter, so check the span.
	if span := f.calls[len(f.calls)-1].Sub(f.calls[0]); span < 11*15*time.Millisecond*9/10 {
		t.Errorf("10 calls within %v: the pacer is not spacing calls", span)
	}
	if len(snap.Employees) != 4 || len(snap.Rejected) != 1 || snap.Rejected[0].EmployeeID != "400" || !strings.Contains(snap.Rejected[0].Reason, "hireDate") {
		t.Fatalf("employees %d, rejected %+v", len(snap.Employees), snap.Rejected)
	}
	day := hr.MustParseDate("2025-06-01")
	check := func(id string, status hr.Status, dept, job, mgr, leave string) {
		t.Helper()
		e, _ := snap.Find(id)
		v := e.ViewOn(day)
		l := ""
		if v.LeaveDate != nil {
			l = v.LeaveDate.String()
		}
		if v.Status != status || v.Department != dept || v.JobCode != job || v.ManagerEmployeeID != mgr || l != leave {
			t.Errorf("%s view: %s %s %s %s %s", id, v.Status, v.Department, v.JobCode, v.ManagerEmployeeID, l)
		}
	}
	check("100", hr.StatusActive, "DIR", "D00", "", "")    // heads the top unit
	check("200", hr.StatusActive, "ICT", "M01", "100", "") // unit manager → parent's manager
	check("300", hr.StatusActive, "ICT", "F050", "200", "2026-01-31")
	check("500", hr.StatusPreHire, "ICT", "F050", "200", "")
	els, _ := snap.Find("200")
	if els.WorkEmail != "els.bakker@contoso.example" || els.GivenName != "Els" {
		t.Errorf("200 = %+v", els)
	}
	anne, _ := snap.Find("300")
	if anne.FullName() != "Anne van Rijn-Vos" {
		t.Errorf("300 name %q", anne.FullName())
	}
}

func TestTokenRefusedNamesTheSettings(t *testing.T) {
	f := &fake{data: sampleData()}
	s := newSource(t, f, "wrong-secret", time.Millisecond)
	_, err := s.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "LIFECYCLE_RAET_CLIENT_SECRET") || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("error %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("API called without a token")
	}
}

func TestEmployeeAndDefaults(t *testing.T) {
	f := &fake{data: sampleData()}
	s := newSource(t, f, "s3cret", time.Millisecond)
	e, err := s.Employee(context.Background(), "300")
	if err != nil || e.EmployeeID != "300" || len(e.Contracts) != 1 || e.Contracts[0].ManagerEmployeeID != "200" {
		t.Fatalf("Employee(300) = %+v, %v", e, err)
	}
	d, err := New(Config{ClientID: "a", ClientSecret: "b"})
	if err != nil || d.cl.Pacer.Interval != 600*time.Millisecond || d.cfg.BaseURL != "https://api.youforce.com" {
		t.Errorf("defaults: %v %+v", err, d)
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_RAET_CLIENT_ID") {
		t.Errorf("New without credentials: %v", err)
	}
}

func FuzzBuild(f *testing.F) {
	b := func(v any) []byte { x, _ := json.Marshal(v); return x }
	d := sampleData()
	f.Add(b(d["persons"]), b(d["employments"]), b(d["organizationUnits"]))
	f.Add([]byte(`[{"personCode":1},{"personCode":{}}]`), []byte(`[{"personCode":"1","hireDate":"x"},null]`), []byte(`[{"id":"a","parentOrgUnit":"a"}]`))
	f.Fuzz(func(t *testing.T, persons, employments, units []byte) {
		var data Data
		if json.Unmarshal(persons, &data.Persons) != nil || json.Unmarshal(employments, &data.Employments) != nil || json.Unmarshal(units, &data.OrganizationUnits) != nil {
			return
		}
		for _, e := range hr.Validate(Build(data, Options{Today: hr.MustParseDate("2025-06-01")})).Employees {
			_ = e.ViewOn(hr.MustParseDate("2025-06-01"))
		}
	})
}

// loadFixtures reads every endpoint reply under testdata/dir into the
// fake's data (the "value" member; "_source" names where the shape is from).
func loadFixtures(t *testing.T, dir string) map[string][]map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures %s: %v", dir, err)
	}
	out := map[string][]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var reply struct {
			Source string           `json:"_source"`
			Value  []map[string]any `json:"value"`
		}
		if err := json.Unmarshal(b, &reply); err != nil || reply.Source == "" {
			t.Fatalf("%s: %v (every fixture names its source in _source)", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = reply.Value
	}
	return out
}

func fixtureSource(t *testing.T, dir string, cfg Config) (*Source, *fake) {
	t.Helper()
	f := &fake{data: loadFixtures(t, dir)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL, cfg.TokenURL, cfg.ClientID, cfg.ClientSecret, cfg.TenantID = srv.URL, srv.URL+"/connect/token", "app", "s3cret", "t1"
	if cfg.PageSize == 0 {
		cfg.PageSize = 2
	}
	s, err := New(cfg, WithHTTPClient(srv.Client()), WithCallInterval(time.Millisecond),
		WithClock(func() time.Time { return time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

func managers(t *testing.T, snap hr.Snapshot) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range snap.Employees {
		if len(e.Contracts) != 1 {
			t.Fatalf("%s has %d contracts, want 1: %+v", e.EmployeeID, len(e.Contracts), e.Contracts)
		}
		out[e.EmployeeID] = e.Contracts[0].ManagerEmployeeID
	}
	return out
}

func TestBeaufortManagersFromRoleAssignments(t *testing.T) {
	s, _ := fixtureSource(t, "beaufort", Config{})
	if s.cfg.Product != ProductBeaufort || s.cfg.ManagerRole != "MGR" {
		t.Fatalf("defaults: product %q role %q", s.cfg.Product, s.cfg.ManagerRole)
	}
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Rejected) != 0 || len(snap.Employees) != 5 {
		t.Fatalf("employees %d, rejected %+v", len(snap.Employees), snap.Rejected)
	}
	// OU-ICT has two active MGR assignments (1002, 1004): the lowest personCode
	// wins. OU-DEV's MGR ended and a future one does not count yet, so DEV falls
	// back to ICT's manager. organizationUnits.manager (1005) is ignored.
	want := map[string]string{"1001": "", "1002": "1001", "1003": "1002", "1004": "1002", "1005": "1002"}
	if got := managers(t, snap); !maps.Equal(got, want) {
		t.Errorf("managers = %v, want %v", got, want)
	}
}

func TestBeaufortManagerRoleIsConfigurable(t *testing.T) {
	s, _ := fixtureSource(t, "beaufort", Config{ManagerRole: "po"})
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Only 1005 holds role PO (on OU-DEV): DEV's people report to 1005, the rest has none.
	want := map[string]string{"1001": "", "1002": "", "1003": "1005", "1004": "1005", "1005": ""}
	if got := managers(t, snap); !maps.Equal(got, want) {
		t.Errorf("managers = %v, want %v", got, want)
	}
}

func TestCoreBusinessVersionsDigitsAndPersonIDManagers(t *testing.T) {
	s, _ := fixtureSource(t, "business", Config{Product: "business"})
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Rejected) != 0 || len(snap.Employees) != 5 {
		t.Fatalf("employees %d, rejected %+v", len(snap.Employees), snap.Rejected)
	}
	// Managers are person ids mapped to personCodes, on the unit version valid
	// today; 2002 manages OU-200 themself and reports to OU-100's manager.
	want := map[string]string{"2001": "", "2002": "2001", "2003": "2002", "2004": "2002", "2005": "2001"}
	if got := managers(t, snap); !maps.Equal(got, want) {
		t.Errorf("managers = %v, want %v", got, want)
	}
	if len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0].Reason, `"4f1c9999" matches no person`) {
		t.Errorf("warnings = %+v", snap.Warnings)
	}
	names := map[string]string{}
	depts := map[string]string{}
	for _, e := range snap.Employees {
		names[e.EmployeeID] = e.FullName()
		depts[e.EmployeeID] = e.Contracts[0].Department + "/" + e.Contracts[0].JobCode
	}
	wantNames := map[string]string{
		"2001": "Henk Jansen",                 // 1: B
		"2002": "Mieke van den Berg-van Dijk", // 0: PB, the version valid today
		"2003": "Piet Visser-Mulder",          // 3: BP
		"2004": "Anna Mulder",                 // 2: P
		"2005": "Tom Bos",                     // 4: B
	}
	if !maps.Equal(names, wantNames) {
		t.Errorf("names = %v, want %v", names, wantNames)
	}
	// The employment version valid today: 2002 moved to FIN on 2025-04-01, 2003
	// moves to DIR only on 2026-01-01.
	if depts["2002"] != "FIN/MGR" || depts["2003"] != "FIN/MDW" {
		t.Errorf("departments = %v", depts)
	}
}

func TestNameAssembleOrder(t *testing.T) {
	tests := []struct{ in, want string }{
		{"E", hr.NameUsageOwn}, {"P", hr.NameUsagePartner}, {"B", hr.NameUsagePartnerOwn},
		{"C", hr.NameUsageOwnPartner}, {"D", hr.NameUsageOwnPartner}, {"", hr.NameUsageOwn},
		{"0", hr.NameUsagePartnerOwn}, {"1", hr.NameUsageOwn}, {"2", hr.NameUsagePartner},
		{"3", hr.NameUsageOwnPartner}, {"4", hr.NameUsageOwn}, {"5", ""}, {"X", ""},
	}
	for _, tc := range tests {
		got, err := nameUsage(tc.in)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("nameUsage(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestProductDefaultsFromBaseURL(t *testing.T) {
	for _, tc := range []struct{ url, product, want string }{
		{"", "", ProductBeaufort},
		{"https://api.youserve.nl", "", ProductBusiness},
		{"https://api.youserve.nl", "beaufort", ProductBeaufort},
	} {
		s, err := New(Config{BaseURL: tc.url, ClientID: "a", ClientSecret: "b", Product: tc.product})
		if err != nil || s.cfg.Product != tc.want {
			t.Errorf("New(%q, %q): product %q, %v; want %q", tc.url, tc.product, s.cfg.Product, err, tc.want)
		}
	}
	if _, err := New(Config{ClientID: "a", ClientSecret: "b", Product: "hrcore"}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_RAET_PRODUCT") {
		t.Errorf("unknown product: %v", err)
	}
}

func TestPageFailingMidwayFailsTheSnapshot(t *testing.T) {
	s, f := fixtureSource(t, "beaufort", Config{})
	f.failAfter = 1 // the first persons page answers, the next one fails
	_, err := s.Snapshot(context.Background())
	if !errors.Is(err, hr.ErrUntrustedSnapshot) || !strings.Contains(err.Error(), "persons: page 2") {
		t.Fatalf("error %v, want an untrusted snapshot naming persons page 2", err)
	}
}
