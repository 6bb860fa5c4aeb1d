package graphsim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	u := map[string]any{"employeeId": "1001", "displayName": "Jan de Vries", "accountEnabled": true,
		"employeeOrgData": map[string]any{"costCenter": "4130"}, "employeeHireDate": "2026-03-01T00:00:00Z"}
	// Like the real getters, property names are case-insensitive.
	get := func(p string) any {
		if strings.EqualFold(p, "employeeOrgData/costCenter") {
			return u["employeeOrgData"].(map[string]any)["costCenter"]
		}
		for k, v := range u {
			if strings.EqualFold(k, p) {
				return v
			}
		}
		return nil
	}
	cases := []struct {
		src         string
		wantErr     bool
		unsupported bool
		advanced    bool
		match       bool
	}{
		{src: "employeeId eq '1001'", match: true},
		{src: "EmployeeId EQ '1001'", match: true},
		{src: "displayName eq 'jan de vries'", match: true},
		{src: "displayName eq 'O''Brien'", match: false},
		{src: "startswith(displayName,'JAN')", match: true},
		{src: "endswith(displayName,'Vries')", advanced: true, match: true},
		{src: "accountEnabled eq true and employeeId eq '1001'", match: true},
		{src: "accountEnabled eq false or employeeId eq '1001'", match: true},
		{src: "not (employeeId eq '1001')", advanced: true, match: false},
		{src: "employeeId ne '1002'", advanced: true, match: true},
		{src: "employeeId in ('1000', '1001')", match: true},
		{src: "employeeOrgData/costCenter eq '4130'", advanced: true, match: true},
		{src: "employeeHireDate ge 2026-01-01T00:00:00Z", advanced: true, match: true},
		{src: "employeeHireDate le 2025-12-31", advanced: true, match: false},
		{src: "jobTitle eq null", advanced: true, match: true},
		{src: "((employeeId eq '1001'))", match: true},
		{src: "", wantErr: true},
		{src: "employeeId eq", wantErr: true},
		{src: "employeeId eq '1001", wantErr: true},
		{src: "employeeId = '1001'", wantErr: true},
		{src: "(employeeId eq '1001'", wantErr: true},
		{src: "employeeId eq '1001')", wantErr: true},
		{src: "employeeId eq '1001' and", wantErr: true},
		{src: "accountEnabled eq 'true'", wantErr: true},
		{src: "employeeId eq 1001", wantErr: true},
		{src: "startswith(accountEnabled,'t')", wantErr: true, unsupported: true},
		{src: "contains(displayName,'x')", wantErr: true, unsupported: true},
		{src: "assignedLicenses/any(x:x/skuId eq 05e9a617-0261-4cee-bb44-138d3ef5d965)", wantErr: true, unsupported: true},
		{src: "shoeSize eq '42'", wantErr: true, unsupported: true},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			n, err := parseFilter(tc.src)
			var adv bool
			if err == nil {
				adv, err = checkFilter(n, userSchema)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				fe, ok := err.(*filterError)
				if !ok || fe.unsupported != tc.unsupported {
					t.Fatalf("err %#v, unsupported want %v", err, tc.unsupported)
				}
				return
			}
			if adv != tc.advanced {
				t.Errorf("advanced = %v, want %v", adv, tc.advanced)
			}
			if got := evalFilter(n, get); got != tc.match {
				t.Errorf("match = %v, want %v", got, tc.match)
			}
		})
	}
}

// FuzzFilter: the parser never panics, evaluation of anything it accepts never
// panics, and whatever it refuses is a 400 over HTTP.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"employeeId eq '1001'", "startswith(displayName,'J') and accountEnabled eq true",
		"employeeId in ('1','2')", "not(mail eq null)", "((((a", "'", "eq eq eq", "x/y/z eq 'a''b'",
		"employeeHireDate ge 2026-01-01T00:00:00Z", "id eq 05e9a617-0261-4cee-bb44-138d3ef5d965",
	} {
		f.Add(s)
	}
	s := New()
	if err := s.Seed(Seed{Domains: []string{"contoso.example"}, Users: []map[string]any{
		{"userPrincipalName": "a@contoso.example", "displayName": "A", "employeeId": "1",
			"employeeOrgData": map[string]any{"costCenter": "1"}, "employeeHireDate": "2026-01-01T00:00:00Z"},
	}}); err != nil {
		f.Fatal(err)
	}
	u := s.t.order[0]
	f.Fuzz(func(t *testing.T, src string) {
		n, err := parseFilter(src)
		if err == nil {
			if _, err = checkFilter(n, userSchema); err == nil {
				evalFilter(n, s.t.userGetter(u))
			}
		}
		req := httptest.NewRequest("GET", "/v1.0/users?$count=true&$filter="+url.QueryEscape(src), nil)
		req.Header.Set("ConsistencyLevel", "eventual")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if err != nil && rec.Code != http.StatusBadRequest {
			t.Fatalf("filter %q refused by the parser (%v) but HTTP status %d", src, err, rec.Code)
		}
		if err == nil && rec.Code != http.StatusOK {
			t.Fatalf("filter %q accepted by the parser but HTTP status %d: %s", src, rec.Code, rec.Body)
		}
	})
}
