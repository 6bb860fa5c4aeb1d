package nmbrs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

const companyID = "3c3d7c1a-0b1f-4f0e-9d1a-6f1c2b9e0001"

// fake serves the Nmbrs REST list shapes from testdata with pageNumber /
// pageSize paging (nextPage only while more pages follow), and the
// identity service's refresh-token grant with rotating refresh tokens.
type fake struct {
	mu    sync.Mutex
	lists map[string][]json.RawMessage
	calls []string
	// lieTotal reports totalPages 1 on every page (nextPage still present).
	lieTotal bool
	// failPage makes that page number of every list answer 500.
	failPage int
	// multiDebtor refuses /companies with 403 ForbiddenMultiDebtor.
	multiDebtor bool

	// refresh is the one refresh token the identity service accepts now.
	refresh  string
	issued   int
	tokenErr int
	// onRefuse runs when a refresh token is refused, before the reply.
	onRefuse func()
}

func loadList(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Source string            `json:"_source"`
		Data   []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &reply); err != nil || reply.Source == "" {
		t.Fatalf("%s: %v (every fixture names its source in _source)", name, err)
	}
	return reply.Data
}

func newFake(t *testing.T) *fake {
	base := "/companies/" + companyID + "/employees"
	return &fake{refresh: "r1", lists: map[string][]json.RawMessage{
		"/companies": loadList(t, "companies"),
		"/debtors":   loadList(t, "debtors"),
		"/debtors/d1b70000-0000-4000-8000-00000000000a/companies": loadList(t, "companies"),
		base + "/personalinfo": loadList(t, "personalinfo"),
		base + "/employments":  loadList(t, "employments"),
		base + "/functions":    loadList(t, "functions"),
		base + "/departments":  loadList(t, "departments"),
		base + "/managers":     loadList(t, "managers"),
	}}
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/connect/token" {
		r.ParseForm()
		if r.Form.Get("client_id") != "app" || r.Form.Get("client_secret") != "s3cret" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		if r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("refresh_token") != f.refresh {
			f.tokenErr++
			if f.onRefuse != nil {
				f.onRefuse()
			}
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		f.issued++
		f.refresh = "r" + strconv.Itoa(f.issued+1) // the old one is spent
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "refresh_token": f.refresh, "expires_in": 3600, "token_type": "Bearer",
			"scope": "employee.info.read offline_access"})
		return
	}
	f.calls = append(f.calls, r.URL.Path+"?"+r.URL.RawQuery)
	if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Subscription-Key") != "key" {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"type":"unauthorized","status":401}`))
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api")
	if path == "/companies" && f.multiDebtor {
		b, _ := os.ReadFile(filepath.Join("testdata", "forbidden_multi_debtor.json"))
		w.WriteHeader(http.StatusForbidden)
		w.Write(b)
		return
	}
	rows, ok := f.lists[path]
	if !ok {
		w.WriteHeader(404)
		return
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("pageNumber"))
	if f.failPage > 0 && n == f.failPage {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
	total := max(1, (len(rows)+size-1)/size)
	from := min((n-1)*size, len(rows))
	to := min(from+size, len(rows))
	p := map[string]any{"pageNumber": n, "pageSize": size, "totalPages": total, "totalItems": len(rows)}
	if f.lieTotal {
		p["totalPages"] = 1
	}
	if to < len(rows) {
		p["nextPage"] = "https://api.nmbrsapp.com/api" + path + "?" + url.Values{"pageNumber": {strconv.Itoa(n + 1)}, "pageSize": {strconv.Itoa(size)}}.Encode()
	}
	json.NewEncoder(w).Encode(map[string]any{"data": rows[from:to], "pagination": p})
}

func serve(t *testing.T, f *fake) *httptest.Server {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func newSource(t *testing.T, f *fake, token string) *Source {
	srv := serve(t, f)
	s, err := New(Config{BaseURL: srv.URL + "/api", Token: token, SubscriptionKey: "key", PageSize: 2},
		WithHTTPClient(srv.Client()), WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSnapshotPagedWithManagerResolution(t *testing.T) {
	f := newFake(t)
	f.lieTotal = true // totalPages says 1: the pages after it must still be read
	snap, err := newSource(t, f, "tok").Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(f.calls, " "), "/employees/personalinfo?pageNumber="); n != 3 {
		t.Errorf("personalinfo pages fetched: %d, want 3 (5 records, pages of 2, until nextPage is absent)", n)
	}
	if len(snap.Employees) != 4 || len(snap.Rejected) != 1 || snap.Rejected[0].EmployeeID != "5" || !strings.Contains(snap.Rejected[0].Reason, "startDate") {
		t.Fatalf("employees %d, rejected %+v", len(snap.Employees), snap.Rejected)
	}
	day := hr.MustParseDate("2025-06-01")
	jan, _ := snap.Find("2")
	if v := jan.ViewOn(day); v.JobCode != "11" || v.JobTitle != "Senior beheerder" || v.Department != "ICT" || v.ManagerEmployeeID != "1" || v.Company != "Contoso B.V." {
		t.Errorf("2 view %+v", v)
	}
	other, _ := snap.Find("3")
	if v := other.ViewOn(day); v.ManagerEmployeeID != "1" || v.LeaveDate.String() != "2025-12-31" || v.JobTitle != "Beheerder" {
		t.Errorf("3 (manager by name) view %+v", v)
	}
	els, _ := snap.Find("4")
	if v := els.ViewOn(day); v.ManagerEmployeeID != "" || els.PreferredName != "Els" || els.WorkEmail != "els.bakker@contoso.example" {
		t.Errorf("4 = %+v, manager %q (ambiguous name)", els, v.ManagerEmployeeID)
	}
	maarten, _ := snap.Find("1")
	if maarten.WorkEmail != "maarten@contoso.example" {
		t.Errorf("1 work e-mail %q, want the latest personal info's contactInfo.businessEmail", maarten.WorkEmail)
	}
	if len(snap.Warnings) != 1 || snap.Warnings[0].EmployeeID != "4" || !strings.Contains(snap.Warnings[0].Reason, "ambiguous") || !strings.Contains(snap.Warnings[0].Reason, "2, 3") {
		t.Errorf("warnings %+v", snap.Warnings)
	}
}

func TestPageFailingMidwayFailsTheSnapshot(t *testing.T) {
	f := newFake(t)
	f.failPage = 2
	_, err := newSource(t, f, "tok").Snapshot(context.Background())
	if !errors.Is(err, hr.ErrUntrustedSnapshot) || !strings.Contains(err.Error(), "page 2") {
		t.Fatalf("error %v, want an untrusted snapshot naming page 2", err)
	}
}

func TestUnauthorizedNamesTheSettings(t *testing.T) {
	_, err := newSource(t, newFake(t), "expired").Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "LIFECYCLE_NMBRS_TOKEN") || strings.Contains(err.Error(), "expired") {
		t.Fatalf("error %v", err)
	}
}

func TestMultiDebtorTokenListsCompaniesPerDebtor(t *testing.T) {
	f := newFake(t)
	f.multiDebtor = true
	snap, err := newSource(t, f, "tok").Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Employees) != 4 {
		t.Errorf("employees %d, want 4", len(snap.Employees))
	}
	joined := strings.Join(f.calls, " ")
	if !strings.Contains(joined, "/api/debtors?") || !strings.Contains(joined, "/api/debtors/d1b70000-0000-4000-8000-00000000000a/companies?") {
		t.Errorf("calls %v: want /debtors then /debtors/{id}/companies", f.calls)
	}

	// Configured debtors skip /companies and /debtors.
	f2 := newFake(t)
	s := newSource(t, f2, "tok")
	s.cfg.DebtorIDs = []string{"d1b70000-0000-4000-8000-00000000000a"}
	if _, err := s.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range f2.calls {
		if strings.HasPrefix(c, "/api/companies?") || strings.HasPrefix(c, "/api/debtors?") {
			t.Errorf("%s read although debtors are configured", c)
		}
	}
}

func TestConfiguredCompaniesAndEmployee(t *testing.T) {
	f := newFake(t)
	s := newSource(t, f, "tok")
	s.cfg.CompanyIDs = []string{companyID}
	e, err := s.Employee(context.Background(), "2")
	if err != nil || e.GivenName != "Jan" {
		t.Fatalf("Employee(2) = %+v, %v", e, err)
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "/api/companies?") {
			t.Errorf("company list read although companies are configured")
		}
	}
	if _, err := New(Config{Token: "x"}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_NMBRS_SUBSCRIPTION_KEY") {
		t.Errorf("New without key: %v", err)
	}
	if _, err := New(Config{SubscriptionKey: "k", ClientID: "app"}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_NMBRS_REFRESH_TOKEN") {
		t.Errorf("New with half a refresh config: %v", err)
	}
}

func refreshSource(t *testing.T, srv *httptest.Server, cfg Config) *Source {
	t.Helper()
	cfg.BaseURL, cfg.TokenURL, cfg.SubscriptionKey, cfg.ClientID, cfg.ClientSecret = srv.URL+"/api", srv.URL+"/connect/token", "key", "app", "s3cret"
	cfg.CompanyIDs, cfg.PageSize = []string{companyID}, 100
	s, err := New(cfg, WithHTTPClient(srv.Client()), WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRefreshTokenRotatesAndIsPersisted(t *testing.T) {
	f := newFake(t)
	srv := serve(t, f)
	file := filepath.Join(t.TempDir(), "nmbrs-refresh-token")

	s := refreshSource(t, srv, Config{RefreshToken: "r1", RefreshTokenFile: file})
	if _, err := s.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil || strings.TrimSpace(string(b)) != "r2" {
		t.Fatalf("refresh token file = %q, %v; want the rotated r2", b, err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	// A restart with the original (now spent) token in the environment uses
	// the file's token and rotates again.
	s2 := refreshSource(t, srv, Config{RefreshToken: "r1", RefreshTokenFile: file})
	if _, err := s2.Snapshot(context.Background()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != "r3" || f.issued != 2 || f.tokenErr != 0 {
		t.Errorf("after restart: file %q, issued %d, refused %d", b, f.issued, f.tokenErr)
	}
}

func TestRevokedRefreshTokenSaysWhatToDo(t *testing.T) {
	f := newFake(t)
	f.refresh = "someone-else-rotated-it"
	srv := serve(t, f)
	file := filepath.Join(t.TempDir(), "token")
	s := refreshSource(t, srv, Config{RefreshToken: "r1", RefreshTokenFile: file})
	_, err := s.Snapshot(context.Background())
	if !errors.Is(err, ErrRefreshTokenRevoked) || !strings.Contains(err.Error(), "Sign in to Nmbrs again") || !strings.Contains(err.Error(), "LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "r1") {
		t.Errorf("error echoes the refresh token: %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("API called without a token: %v", f.calls)
	}
}

func FuzzBuild(f *testing.F) {
	b := func(v any) []byte { x, _ := json.Marshal(v); return x }
	l := newFake(&testing.T{}).lists
	base := "/companies/" + companyID + "/employees"
	f.Add(b(l[base+"/personalinfo"]), b(l[base+"/employments"]), b(l[base+"/managers"]))
	f.Add([]byte(`[{"employeeId":"g","personalInfos":[{"basicInfo":{"employeeNumber":{}}}]},null]`), []byte(`[{"employeeId":"g","employments":{}}]`), []byte(`[1,"x"]`))
	f.Fuzz(func(t *testing.T, emps, employments, managers []byte) {
		var c Company
		if json.Unmarshal(emps, &c.Employees) != nil || json.Unmarshal(employments, &c.Employments) != nil || json.Unmarshal(managers, &c.Managers) != nil {
			return
		}
		snap := hr.Validate(Build([]Company{c}))
		for _, e := range snap.Employees {
			_ = e.ViewOn(hr.MustParseDate("2025-06-01"))
		}
	})
}

// Two workers share the token file: when the other one spends the refresh
// token between this one's read of the file and its refresh, the refusal is
// followed by one more try with the successor the other saved.
func TestSharedTokenFileRecoversFromARotationRace(t *testing.T) {
	f := newFake(t)
	srv := serve(t, f)
	file := filepath.Join(t.TempDir(), "token")
	s := refreshSource(t, srv, Config{RefreshToken: "r1", RefreshTokenFile: file})
	// The other worker redeemed r1 already: the service wants its successor
	// r9, which the other worker saves to the file while r1 is being refused.
	f.refresh = "r9"
	f.onRefuse = func() { os.WriteFile(file, []byte("r9\n"), 0o600) }
	if _, err := s.Snapshot(context.Background()); err != nil {
		t.Fatalf("after the race: %v", err)
	}
	if f.tokenErr != 1 || f.issued != 1 {
		t.Errorf("refused %d, issued %d; want 1 and 1", f.tokenErr, f.issued)
	}
	if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != "r2" {
		t.Errorf("file %q, want the token rotated from r9 (r2)", b)
	}
}
