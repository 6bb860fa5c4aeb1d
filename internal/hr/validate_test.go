package hr

import (
	"strings"
	"testing"
)

func emp(id, mgr string) Employee {
	return Employee{EmployeeID: id, GivenName: "G" + id, FamilyName: "F" + id,
		Contracts: []Contract{contract(id+"-1", "2024-01-01", "", "ICT", "F1", 1, mgr)}}
}

func TestValidateEmployee(t *testing.T) {
	bad := func(mut func(*Employee)) Employee { e := emp("1", ""); mut(&e); return e }
	tests := []struct {
		name string
		e    Employee
		want string // substring of the joined reasons; "" = valid
	}{
		{"valid", emp("1", ""), ""},
		{"preferred name is enough", bad(func(e *Employee) { e.GivenName, e.PreferredName = "", "Jan" }), ""},
		{"missing id", bad(func(e *Employee) { e.EmployeeID = "" }), "missing employee id"},
		{"id with slash", bad(func(e *Employee) { e.EmployeeID = "a/b" }), "not usable"},
		{"id too long", bad(func(e *Employee) { e.EmployeeID = strings.Repeat("9", 17) }), "at most 16"},
		{"non-ASCII id", bad(func(e *Employee) { e.EmployeeID = "Zoë1" }), "printable ASCII"},
		{"missing given name", bad(func(e *Employee) { e.GivenName = " " }), "missing given name"},
		{"missing family name", bad(func(e *Employee) { e.FamilyName = "" }), "missing family name"},
		{"unknown name usage", bad(func(e *Employee) { e.NameUsage = "BP" }), "unknown nameUsage"},
		{"partner usage without partner", bad(func(e *Employee) { e.NameUsage = NameUsagePartner }), "needs a partnerFamilyName"},
		{"end before start", bad(func(e *Employee) { e.Contracts[0].End = dp("2023-12-31") }), "end 2023-12-31 is before start 2024-01-01"},
		{"end equal to start is fine", bad(func(e *Employee) { e.Contracts[0].End = dp("2024-01-01") }), ""},
		{"missing start", bad(func(e *Employee) { e.Contracts[0].Start = Date{} }), "missing start date"},
		{"impossible start", bad(func(e *Employee) { e.Contracts[0].Start = Date{2025, 2, 30} }), "invalid start date"},
		{"duplicate contract id", bad(func(e *Employee) { e.Contracts = append(e.Contracts, e.Contracts[0]) }), "duplicate contract id"},
		{"negative fte", bad(func(e *Employee) { e.Contracts[0].FTE = -1 }), "fte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(ValidateEmployee(tc.e), "; ")
			if tc.want == "" && got != "" {
				t.Errorf("unexpected reasons: %s", got)
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("reasons %q do not mention %q", got, tc.want)
			}
		})
	}
}

func TestValidateSnapshot(t *testing.T) {
	noName := emp("5", "1")
	noName.FamilyName = ""
	in := Snapshot{
		Employees: []Employee{
			emp("1", ""),                 // CEO
			emp("2", "1"),                // fine
			emp("3", "404"),              // dangling manager
			emp("4", "4"),                // self
			noName,                       // rejected
			emp("6", "5"),                // manager was rejected → dangling
			emp("7", "1"), emp("7", "1"), // duplicates
			emp("8", "9"), emp("9", "10"), emp("10", "8"), // cycle
			emp("11", "9"), // reports into the cycle: kept, link kept
		},
		Replacements: []Replacement{
			{ID: "r1", SubstituteEmployeeID: "2", ReplacedEmployeeID: "3", Start: d("2025-01-01"), End: dp("2025-03-01")},
			{ID: "r2", SubstituteEmployeeID: "2", ReplacedEmployeeID: "5", Start: d("2025-01-01")},
			{ID: "r3", SubstituteEmployeeID: "2", ReplacedEmployeeID: "2", Start: d("2025-01-01")},
			{ID: "r4", SubstituteEmployeeID: "2", ReplacedEmployeeID: "3", Start: d("2025-02-01"), End: dp("2025-01-01")},
		},
		Rejected: []Rejection{{EmployeeID: "99", Source: "afas", Reason: "parse error"}},
	}
	before := in.Employees[2].Contracts[0].ManagerEmployeeID
	out := Validate(in)
	if in.Employees[2].Contracts[0].ManagerEmployeeID != before {
		t.Fatal("Validate modified its input")
	}

	var ids []string
	for _, e := range out.Employees {
		ids = append(ids, e.EmployeeID)
	}
	if got, want := strings.Join(ids, ","), "1,2,3,4,6,8,9,10,11"; got != want {
		t.Errorf("accepted = %s, want %s", got, want)
	}
	rejected := map[string]string{}
	for _, r := range out.Rejected {
		rejected[r.EmployeeID] += r.Reason + "|"
	}
	for id, want := range map[string]string{"99": "parse error", "5": "missing family name", "7": "duplicate employee id"} {
		if !strings.Contains(rejected[id], want) {
			t.Errorf("rejection for %s = %q, want it to mention %q", id, rejected[id], want)
		}
	}
	if n := strings.Count(rejected["7"], "duplicate"); n != 2 {
		t.Errorf("both duplicate records should be rejected, got %d", n)
	}
	for _, want := range []string{"replacement r2:", "replacement r3:", "replacement r4:"} {
		if !strings.Contains(rejected["2"], want) {
			t.Errorf("replacement rejections %q lack %q", rejected["2"], want)
		}
	}
	if len(out.Replacements) != 1 || out.Replacements[0].ID != "r1" {
		t.Errorf("replacements = %+v, want only r1", out.Replacements)
	}

	mgr := func(id string) string {
		e, ok := out.Find(id)
		if !ok {
			t.Fatalf("employee %s missing", id)
		}
		return e.Contracts[0].ManagerEmployeeID
	}
	for id, want := range map[string]string{"1": "", "2": "1", "3": "", "4": "", "6": "", "8": "", "9": "", "10": "", "11": "9"} {
		if got := mgr(id); got != want {
			t.Errorf("manager of %s = %q, want %q", id, got, want)
		}
	}
	warned := map[string]string{}
	for _, w := range out.Warnings {
		warned[w.EmployeeID] += w.Reason
	}
	for id, want := range map[string]string{"3": "not an accepted employee", "4": "themself", "6": "not an accepted employee", "8": "cycle (10 → 8 → 9)", "9": "cycle", "10": "cycle"} {
		if !strings.Contains(warned[id], want) {
			t.Errorf("warning for %s = %q, want it to mention %q", id, warned[id], want)
		}
	}
	if _, ok := warned["11"]; ok {
		t.Errorf("employee 11 reports into a cycle but is not part of it: %s", warned["11"])
	}
	if !out.IsRejected("5") || out.IsRejected("2") {
		t.Errorf("IsRejected wrong")
	}
}

func TestIDProblem(t *testing.T) {
	tests := []struct {
		id   string
		want string // substring of the reason; "" = valid
	}{
		{"1001", ""},
		{"E-00042", ""},
		{"AB 12", ""}, // an inner space is printable ASCII
		{strings.Repeat("9", 16), ""},
		{"", "empty"},
		{strings.Repeat("9", 17), "17 characters long; Entra ID's employeeId holds at most 16"},
		{" 1001", "spaces around"},
		{"1001 ", "spaces around"},
		{"a/b", "'/'"},
		{"Zoë", "outside printable ASCII"},
		{"１２３", "outside printable ASCII"}, // full-width digits
		{"12\t3", "outside printable ASCII"},
		{"12\x003", "outside printable ASCII"},
		{"12\x7f", "outside printable ASCII"},
		{"12\n", "spaces around"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			got := IDProblem(tc.id)
			if tc.want == "" {
				if got != "" || !ValidID(tc.id) {
					t.Fatalf("IDProblem(%q) = %q, want valid", tc.id, got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || ValidID(tc.id) {
				t.Fatalf("IDProblem(%q) = %q, want a reason containing %q", tc.id, got, tc.want)
			}
		})
	}
}
