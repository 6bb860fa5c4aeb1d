package activities

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/entralifecycle/engine/internal/orgattr"
)

// Descriptive attributes are shortened to Entra's limits without splitting a
// character, and each shortening is reported.
func TestFittedShortensToEntraLimits(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	tests := []struct {
		name      string
		spec      AccountSpec
		field     func(AccountSpec) string
		wantUnits int
		warned    string
	}{
		{"job title 150 ASCII", AccountSpec{Attributes: orgattr.Attributes{JobTitle: long("a", 150)}}, func(s AccountSpec) string { return s.JobTitle }, 128, "jobTitle"},
		{"department with accents", AccountSpec{Attributes: orgattr.Attributes{Department: long("é", 70)}}, func(s AccountSpec) string { return s.Department }, 64, "department"},
		{"company with astral characters", AccountSpec{Attributes: orgattr.Attributes{CompanyName: long("😀", 40)}}, func(s AccountSpec) string { return s.CompanyName }, 64, "companyName"},
		{"given name", AccountSpec{GivenName: long("Ĳ", 65)}, func(s AccountSpec) string { return s.GivenName }, 64, "givenName"},
		{"display name", AccountSpec{DisplayName: long("x", 300)}, func(s AccountSpec) string { return s.DisplayName }, 256, "displayName"},
		{"short values untouched", AccountSpec{Attributes: orgattr.Attributes{JobTitle: "Systeembeheerder"}}, func(s AccountSpec) string { return s.JobTitle }, 16, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings := tt.spec.Fitted()
			v := tt.field(got)
			if !utf8.ValidString(v) {
				t.Fatalf("split a character: %q", v)
			}
			if n := len(utf16.Encode([]rune(v))); n > tt.wantUnits || (tt.warned == "" && n != tt.wantUnits) {
				t.Fatalf("length %d UTF-16 units, want at most %d", n, tt.wantUnits)
			}
			switch {
			case tt.warned == "" && len(warnings) != 0:
				t.Fatalf("unexpected warnings %v", warnings)
			case tt.warned != "" && (len(warnings) != 1 || !strings.HasPrefix(warnings[0], tt.warned+" shortened")):
				t.Fatalf("warnings %v, want one about %s", warnings, tt.warned)
			}
		})
	}
}

// Identifiers are never shortened or changed: an invalid one is refused.
func TestCheckRefusesInvalidIdentifiers(t *testing.T) {
	tests := []struct {
		name string
		spec AccountSpec
		want string
	}{
		{"employee id of 17", AccountSpec{EmployeeID: "12345678901234567"}, "employeeId"},
		{"accent in the UPN", AccountSpec{EmployeeID: "1", UPN: "josé.garcia@contoso.example"}, "userPrincipalName"},
		{"local part of 65", AccountSpec{EmployeeID: "1", Mail: strings.Repeat("a", 65) + "@contoso.example"}, "mail"},
		{"valid", AccountSpec{EmployeeID: "1234567890123456", UPN: "jose.garcia@contoso.example", MailNickname: "jose.garcia"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Check()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a refusal naming %s", err, tt.want)
			}
		})
	}
}
