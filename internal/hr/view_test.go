package hr

import (
	"reflect"
	"testing"
	"time"
)

func d(s string) Date   { return MustParseDate(s) }
func dp(s string) *Date { v := MustParseDate(s); return &v }

func contract(id, start string, end string, dept, job string, fte float64, mgr string) Contract {
	c := Contract{ID: id, Start: d(start), Department: dept, JobCode: job, JobTitle: "title-" + job, FTE: fte, ManagerEmployeeID: mgr}
	if end != "" {
		c.End = dp(end)
	}
	return c
}

func TestViewAt(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		status    Status
		primary   string // primary contract id, "" for none
		active    []string
		dept      string
		manager   string
		start     string // "" = nil
		leave     string // "" = nil
		changes   []Change
		nochanges bool
	}
	tests := []struct {
		name      string
		contracts []Contract
		at        time.Time
		loc       *time.Location
		want      want
	}{
		{
			name:      "single open contract, active",
			contracts: []Contract{contract("c1", "2025-03-01", "", "ICT", "F1", 1, "9")},
			at:        time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want:      want{status: StatusActive, primary: "c1", active: []string{"c1"}, dept: "ICT", manager: "9", start: "2025-03-01", nochanges: true},
		},
		{
			name: "overlapping contracts: longest-running is primary",
			contracts: []Contract{
				contract("b", "2025-05-01", "", "Sales", "S1", 1.0, ""),
				contract("a", "2024-01-01", "", "ICT", "F1", 0.2, ""),
			},
			at:   time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want: want{status: StatusActive, primary: "a", active: []string{"a", "b"}, dept: "ICT", start: "2024-01-01", nochanges: true},
		},
		{
			name: "same start: tie broken by highest FTE",
			contracts: []Contract{
				contract("a", "2025-01-01", "", "ICT", "F1", 0.4, ""),
				contract("b", "2025-01-01", "", "Sales", "S1", 0.6, ""),
			},
			at:   time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want: want{status: StatusActive, primary: "b", active: []string{"b", "a"}, dept: "Sales", start: "2025-01-01", nochanges: true},
		},
		{
			name: "contiguous contracts form one run",
			contracts: []Contract{
				contract("a", "2024-01-01", "2024-12-31", "ICT", "F1", 1, ""),
				contract("b", "2025-01-01", "2025-12-31", "ICT", "F2", 1, ""),
			},
			at: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want: want{status: StatusActive, primary: "b", active: []string{"b"}, dept: "ICT", start: "2024-01-01", leave: "2025-12-31",
				changes: []Change{{Date: d("2026-01-01"), FieldChange: FieldChange{Field: FieldStatus, Old: "active", New: "left"}}}},
		},
		{
			name: "one-day gap starts a new run",
			contracts: []Contract{
				contract("a", "2024-01-01", "2024-12-30", "ICT", "F1", 1, ""),
				contract("b", "2025-01-01", "", "ICT", "F1", 1, ""),
			},
			at:   time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want: want{status: StatusActive, primary: "b", active: []string{"b"}, dept: "ICT", start: "2025-01-01", nochanges: true},
		},
		{
			name: "in the gap: pre-hire (rehire) with the next run's attributes",
			contracts: []Contract{
				contract("a", "2024-01-01", "2024-12-30", "ICT", "F1", 1, ""),
				contract("b", "2025-01-01", "", "Sales", "S1", 1, ""),
			},
			at: time.Date(2024, 12, 31, 12, 0, 0, 0, time.UTC),
			want: want{status: StatusPreHire, primary: "b", dept: "Sales", start: "2025-01-01",
				changes: []Change{{Date: d("2025-01-01"), FieldChange: FieldChange{Field: FieldStatus, Old: "pre-hire", New: "active"}}}},
		},
		{
			name:      "future contract: pre-hire",
			contracts: []Contract{contract("a", "2025-09-01", "", "HR", "H1", 1, "7")},
			at:        time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want: want{status: StatusPreHire, primary: "a", dept: "HR", manager: "7", start: "2025-09-01",
				changes: []Change{{Date: d("2025-09-01"), FieldChange: FieldChange{Field: FieldStatus, Old: "pre-hire", New: "active"}}}},
		},
		{
			name:      "ended contract: left, attributes of the last day",
			contracts: []Contract{contract("a", "2020-01-01", "2025-01-31", "HR", "H1", 1, "")},
			at:        time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want:      want{status: StatusLeft, primary: "a", dept: "HR", start: "2020-01-01", leave: "2025-01-31", nochanges: true},
		},
		{
			name:      "last day of a contract is still active",
			contracts: []Contract{contract("a", "2020-01-01", "2025-01-31", "HR", "H1", 1, "")},
			at:        time.Date(2025, 1, 31, 22, 59, 0, 0, time.UTC), // 23:59 in Amsterdam
			loc:       ams,
			want: want{status: StatusActive, primary: "a", active: []string{"a"}, dept: "HR", start: "2020-01-01", leave: "2025-01-31",
				changes: []Change{{Date: d("2025-02-01"), FieldChange: FieldChange{Field: FieldStatus, Old: "active", New: "left"}}}},
		},
		{
			name:      "timezone: 23:30 UTC is already the start day in Amsterdam",
			contracts: []Contract{contract("a", "2025-03-01", "", "ICT", "F1", 1, "")},
			at:        time.Date(2025, 2, 28, 23, 30, 0, 0, time.UTC),
			loc:       ams,
			want:      want{status: StatusActive, primary: "a", active: []string{"a"}, dept: "ICT", start: "2025-03-01", nochanges: true},
		},
		{
			name:      "timezone: same instant read in UTC is the day before",
			contracts: []Contract{contract("a", "2025-03-01", "", "ICT", "F1", 1, "")},
			at:        time.Date(2025, 2, 28, 23, 30, 0, 0, time.UTC),
			loc:       time.UTC,
			want: want{status: StatusPreHire, primary: "a", dept: "ICT", start: "2025-03-01",
				changes: []Change{{Date: d("2025-03-01"), FieldChange: FieldChange{Field: FieldStatus, Old: "pre-hire", New: "active"}}}},
		},
		{
			name: "future transfer and manager change are listed with dates",
			contracts: []Contract{
				contract("a", "2024-01-01", "2025-06-30", "ICT", "F1", 1, "10"),
				contract("b", "2025-07-01", "", "Sales", "F1", 1, "20"),
			},
			at: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want: want{status: StatusActive, primary: "a", active: []string{"a"}, dept: "ICT", manager: "10", start: "2024-01-01",
				changes: []Change{
					{Date: d("2025-07-01"), FieldChange: FieldChange{Field: FieldDepartment, Old: "ICT", New: "Sales"}},
					{Date: d("2025-07-01"), FieldChange: FieldChange{Field: FieldManager, Old: "10", New: "20"}},
				}},
		},
		{
			name:      "no contracts",
			contracts: nil,
			at:        time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			want:      want{status: StatusNone, nochanges: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Employee{EmployeeID: "1", GivenName: "A", FamilyName: "B", Contracts: tc.contracts}
			v := e.ViewAt(tc.at, tc.loc)
			if v.Status != tc.want.status {
				t.Errorf("status = %q, want %q", v.Status, tc.want.status)
			}
			if v.Active != (tc.want.status == StatusActive) {
				t.Errorf("active = %v for status %q", v.Active, v.Status)
			}
			gotPrimary := ""
			if v.Primary != nil {
				gotPrimary = v.Primary.ID
			}
			if gotPrimary != tc.want.primary {
				t.Errorf("primary = %q, want %q", gotPrimary, tc.want.primary)
			}
			var gotActive []string
			for _, c := range v.ActiveContracts {
				gotActive = append(gotActive, c.ID)
			}
			if !reflect.DeepEqual(gotActive, tc.want.active) {
				t.Errorf("active contracts = %v, want %v", gotActive, tc.want.active)
			}
			if v.Department != tc.want.dept || v.ManagerEmployeeID != tc.want.manager {
				t.Errorf("department/manager = %q/%q, want %q/%q", v.Department, v.ManagerEmployeeID, tc.want.dept, tc.want.manager)
			}
			if got := datePtrString(v.EmploymentStart); got != tc.want.start {
				t.Errorf("employment start = %q, want %q", got, tc.want.start)
			}
			if got := datePtrString(v.LeaveDate); got != tc.want.leave {
				t.Errorf("leave date = %q, want %q", got, tc.want.leave)
			}
			if tc.want.nochanges {
				if len(v.FutureChanges) != 0 {
					t.Errorf("future changes = %+v, want none", v.FutureChanges)
				}
			} else if tc.want.changes != nil && !reflect.DeepEqual(v.FutureChanges, tc.want.changes) {
				t.Errorf("future changes = %+v\nwant %+v", v.FutureChanges, tc.want.changes)
			}
		})
	}
}

func TestViewAtIsDeterministicAndDoesNotAlias(t *testing.T) {
	e := Employee{EmployeeID: "1", GivenName: "A", FamilyName: "B", Contracts: []Contract{
		contract("x", "2025-01-01", "2025-12-31", "ICT", "F1", 0.5, ""),
		contract("y", "2025-01-01", "", "ICT", "F2", 0.5, ""),
	}}
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	v1 := e.ViewAt(at, time.UTC)
	for range 20 {
		if v2 := e.ViewAt(at, time.UTC); !reflect.DeepEqual(v1, v2) {
			t.Fatalf("views differ:\n%+v\n%+v", v1, v2)
		}
	}
	// Equal start and FTE: the open-ended contract wins.
	if v1.Primary.ID != "y" {
		t.Errorf("primary = %q, want y (open end beats a dated end)", v1.Primary.ID)
	}
	v1.Primary.Department = "changed"
	*v1.ActiveContracts[1].End = d("1999-01-01")
	if e.Contracts[0].End.String() != "2025-12-31" || e.Contracts[1].Department != "ICT" {
		t.Errorf("view aliases the employee's contracts")
	}
}

func TestDiffViews(t *testing.T) {
	old := View{Status: StatusActive, Department: "ICT", JobCode: "F1", EmploymentStart: dp("2024-01-01")}
	new := View{Status: StatusActive, Department: "Sales", JobCode: "F1", EmploymentStart: dp("2024-01-01"), LeaveDate: dp("2025-12-31")}
	got := DiffViews(old, new)
	want := []FieldChange{
		{Field: FieldDepartment, Old: "ICT", New: "Sales"},
		{Field: FieldLeaveDate, Old: "", New: "2025-12-31"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiffViews = %+v, want %+v", got, want)
	}
	if len(DiffViews(old, old)) != 0 {
		t.Errorf("a view differs from itself")
	}
}

func TestFullName(t *testing.T) {
	base := Employee{GivenName: "Johanna", PreferredName: "Anne", Prefix: "de", FamilyName: "Vries", PartnerPrefix: "van", PartnerFamilyName: "Dijk"}
	tests := []struct{ usage, want string }{
		{"", "Anne de Vries"},
		{NameUsageOwn, "Anne de Vries"},
		{NameUsagePartner, "Anne van Dijk"},
		{NameUsageOwnPartner, "Anne de Vries-van Dijk"},
		{NameUsagePartnerOwn, "Anne van Dijk-de Vries"},
	}
	for _, tc := range tests {
		e := base
		e.NameUsage = tc.usage
		if got := e.FullName(); got != tc.want {
			t.Errorf("usage %q: FullName = %q, want %q", tc.usage, got, tc.want)
		}
	}
}
