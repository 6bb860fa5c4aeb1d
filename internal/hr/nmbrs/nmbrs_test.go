package nmbrs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

// fake serves Nmbrs REST list shapes with pageNumber / pageSize paging.
type fake struct {
	lists map[string][]any
	calls []string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls = append(f.calls, r.URL.Path+"?"+r.URL.RawQuery)
	if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Subscription-Key") != "key" {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"type":"unauthorized","status":401}`))
		return
	}
	rows, ok := f.lists[strings.TrimPrefix(r.URL.Path, "/api")]
	if !ok {
		w.WriteHeader(404)
		return
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("pageNumber"))
	size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
	total := (len(rows) + size - 1) / size
	from := min((n-1)*size, len(rows))
	to := min(from+size, len(rows))
	json.NewEncoder(w).Encode(map[string]any{"data": rows[from:to],
		"pagination": map[string]any{"pageNumber": n, "pageSize": size, "totalPages": total, "totalItems": len(rows)}})
}

func emp(guid, num, first, prefix, last, mail string) any {
	return map[string]any{"employeeId": guid, "employeeBasicInfo": map[string]any{"employeeNumber": num, "firstName": first, "prefix": prefix,
		"lastName": last, "initials": first[:1] + ".", "employeeType": "employee", "businessEmail": mail}}
}

func newFake() *fake {
	return &fake{lists: map[string][]any{
		"/companies": {map[string]any{"companyId": "c1", "number": 1, "name": "Contoso B.V."}},
		"/companies/c1/employees": {
			emp("g1", "1", "Maarten", "van der", "Linden", "maarten@contoso.example"),
			emp("g2", "2", "Jan", "de", "Vries", ""),
			emp("g3", "3", "Jan", "de", "Vries", ""),
			emp("g4", "4", "Els", "", "Bakker", ""),
			emp("g5", "5", "Kees", "", "Smit", ""),
		},
		"/companies/c1/employees/employments": {
			map[string]any{"employeeId": "g1", "employments": []any{map[string]any{"employmentId": "m1", "startDate": "2015-01-01T00:00:00"}}},
			map[string]any{"employeeId": "g2", "employments": []any{map[string]any{"employmentId": "m2", "startDate": "2020-01-01", "endDate": nil}}},
			map[string]any{"employeeId": "g3", "employments": []any{map[string]any{"employmentId": "m3", "startDate": "2021-01-01", "endDate": "2025-12-31"}}},
			map[string]any{"employeeId": "g4", "employments": []any{map[string]any{"employmentId": "m4", "startDate": "2022-01-01"}}},
			map[string]any{"employeeId": "g5", "employments": []any{map[string]any{"employmentId": "m5", "startDate": "1-1-2022"}}},
		},
		"/companies/c1/employees/functions": {
			map[string]any{"employeeId": "g2", "functions": []any{
				map[string]any{"startDate": "2020-01-01", "function": map[string]any{"code": "F1", "description": "Beheerder"}},
				map[string]any{"startDate": "2024-01-01", "function": map[string]any{"code": "F2", "description": "Senior beheerder"}}}},
		},
		"/companies/c1/employees/departments": {
			map[string]any{"employeeId": "g2", "departments": []any{map[string]any{"startDate": "2020-01-01", "code": "ICT", "description": "ICT Beheer"}}},
			map[string]any{"employeeId": "g4", "departments": []any{map[string]any{"startDate": "2022-01-01", "code": "HR", "description": "HR"}}},
		},
		"/companies/c1/employees/managers": {
			map[string]any{"employeeId": "g2", "managers": []any{map[string]any{"startDate": "2020-01-01", "firstName": "Maarten", "lastName": "van der Linden", "email": "MAARTEN@contoso.example"}}},
			map[string]any{"employeeId": "g3", "managers": []any{map[string]any{"startDate": "2021-01-01", "firstName": "Maarten", "lastName": "van der Linden"}}},
			map[string]any{"employeeId": "g4", "managers": []any{map[string]any{"startDate": "2022-01-01", "firstName": "Jan", "lastName": "de Vries"}}},
		},
	}}
}

func newSource(t *testing.T, f *fake, token string) *Source {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	s, err := New(Config{BaseURL: srv.URL + "/api", Token: token, SubscriptionKey: "key", PageSize: 2},
		WithHTTPClient(srv.Client()), WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSnapshotPagedWithManagerResolution(t *testing.T) {
	f := newFake()
	snap, err := newSource(t, f, "tok").Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(f.calls, " "), "/employees?pageNumber="); n != 3 {
		t.Errorf("employee list pages fetched: %d, want 3 (5 records, pages of 2)", n)
	}
	if len(snap.Employees) != 4 || len(snap.Rejected) != 1 || snap.Rejected[0].EmployeeID != "5" || !strings.Contains(snap.Rejected[0].Reason, "startDate") {
		t.Fatalf("employees %d, rejected %+v", len(snap.Employees), snap.Rejected)
	}
	day := hr.MustParseDate("2025-06-01")
	jan, _ := snap.Find("2")
	if v := jan.ViewOn(day); v.JobCode != "F2" || v.Department != "ICT" || v.ManagerEmployeeID != "1" || v.Company != "Contoso B.V." {
		t.Errorf("2 view %+v", v)
	}
	other, _ := snap.Find("3")
	if v := other.ViewOn(day); v.ManagerEmployeeID != "1" || v.LeaveDate.String() != "2025-12-31" {
		t.Errorf("3 (manager by name) view %+v", v)
	}
	els, _ := snap.Find("4")
	if v := els.ViewOn(day); v.ManagerEmployeeID != "" {
		t.Errorf("4 got manager %q from an ambiguous name", v.ManagerEmployeeID)
	}
	if len(snap.Warnings) != 1 || snap.Warnings[0].EmployeeID != "4" || !strings.Contains(snap.Warnings[0].Reason, "ambiguous") || !strings.Contains(snap.Warnings[0].Reason, "2, 3") {
		t.Errorf("warnings %+v", snap.Warnings)
	}
}

func TestUnauthorizedNamesTheSettings(t *testing.T) {
	_, err := newSource(t, newFake(), "expired").Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "LIFECYCLE_NMBRS_TOKEN") || strings.Contains(err.Error(), "expired") {
		t.Fatalf("error %v", err)
	}
}

func TestConfiguredCompaniesAndEmployee(t *testing.T) {
	f := newFake()
	s := newSource(t, f, "tok")
	s.cfg.CompanyIDs = []string{"c1"}
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
}

func FuzzBuild(f *testing.F) {
	b := func(v any) []byte { x, _ := json.Marshal(v); return x }
	l := newFake().lists
	f.Add(b(l["/companies/c1/employees"]), b(l["/companies/c1/employees/employments"]), b(l["/companies/c1/employees/managers"]))
	f.Add([]byte(`[{"employeeId":"g","employeeBasicInfo":{"employeeNumber":{}}},null]`), []byte(`[{"employeeId":"g","employments":{}}]`), []byte(`[1,"x"]`))
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
