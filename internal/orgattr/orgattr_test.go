package orgattr

import (
	"slices"
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/hr"
)

// TestTable checks every row against one HR view and one account: the value
// is read from the right HR field into the right Attributes field, compared
// with the right account property, and written by Patch to the right Graph
// property.
func TestTable(t *testing.T) {
	v := hr.View{JobTitle: "Engineer", Department: "ICT", Company: "Contoso B.V.", EmployeeType: "Employee",
		CostCenter: "4100", DepartmentName: "ICT department"}
	u := directory.User{JobTitle: "Engineer", Department: "ICT", CompanyName: "Contoso B.V.", EmployeeType: "Employee",
		CostCenter: "4100", Division: "ICT department"}
	cases := []struct {
		name     string
		want     string // the value HR's view gives
		property string // the Graph property Patch sets
		edit     func(*directory.User)
	}{
		{JobTitle, "Engineer", "jobTitle", func(u *directory.User) { u.JobTitle = "x" }},
		{Department, "ICT", "department", func(u *directory.User) { u.Department = "x" }},
		{CompanyName, "Contoso B.V.", "companyName", func(u *directory.User) { u.CompanyName = "x" }},
		{EmployeeType, "Employee", "employeeType", func(u *directory.User) { u.EmployeeType = "x" }},
		{CostCenter, "4100", "employeeOrgData", func(u *directory.User) { u.CostCenter = "x" }},
		{Division, "ICT department", "employeeOrgData", func(u *directory.User) { u.Division = "x" }},
	}
	if len(cases) != len(Table) {
		t.Fatalf("the test covers %d attributes, Table has %d: add the new row's case", len(cases), len(Table))
	}
	a := Of(v)
	if fields, _ := Diff(u, a); len(fields) != 0 {
		t.Fatalf("an account as HR has it differs in %v", fields)
	}
	for i, tc := range cases {
		f := Table[i]
		if f.Name != tc.name || f.Property != tc.property {
			t.Errorf("row %d is %s/%s, want %s/%s", i, f.Name, f.Property, tc.name, tc.property)
		}
		if got := *f.In(&a); got != tc.want {
			t.Errorf("%s: Of gives %q, want %q", tc.name, got, tc.want)
		}
		edited := u
		tc.edit(&edited)
		fields, lines := Diff(edited, a)
		if !slices.Equal(fields, []string{tc.name}) || len(lines) != 1 || !strings.HasPrefix(lines[0], tc.name+": \"x\" → ") {
			t.Errorf("%s edited: Diff gives %v %v", tc.name, fields, lines)
		}
		if got := Patch(a, fields).Fields(); !slices.Equal(got, []string{tc.property}) {
			t.Errorf("%s: Patch sets %v, want %s", tc.name, got, tc.property)
		}
		restored := edited
		SetUser(&restored, a, tc.property)
		if fields, _ := Diff(restored, a); len(fields) != 0 {
			t.Errorf("%s: SetUser(%s) leaves %v different", tc.name, tc.property, fields)
		}
		moved := v
		edit := map[string]*string{JobTitle: &moved.JobTitle, Department: &moved.Department, CompanyName: &moved.Company,
			EmployeeType: &moved.EmployeeType, CostCenter: &moved.CostCenter, Division: &moved.DepartmentName}[tc.name]
		*edit = "changed"
		if got := ChangedProperties(v, moved); !slices.Equal(got, []string{tc.property}) {
			t.Errorf("%s changed in HR: ChangedProperties gives %v, want %s", tc.name, got, tc.property)
		}
		if !IsProperty(tc.property) {
			t.Errorf("%s is not a property", tc.property)
		}
	}
	if got, want := Properties(), []string{"jobTitle", "department", "companyName", "employeeType", "employeeOrgData"}; !slices.Equal(got, want) {
		t.Errorf("Properties() = %v, want %v", got, want)
	}
	if IsProperty("givenName") || ChangedProperties(v, v) != nil {
		t.Error("givenName is not organisational; an unchanged view changes nothing")
	}
}

func TestPatchWritesOrgDataWhole(t *testing.T) {
	a := Attributes{JobTitle: "Lead", Department: "Sales", CostCenter: "41", Division: "Sales dept"}
	cases := []struct {
		fields []string
		want   []string
	}{
		{[]string{JobTitle}, []string{"jobTitle"}},
		{[]string{Department, Division}, []string{"department", "employeeOrgData"}},
		{[]string{CostCenter}, []string{"employeeOrgData"}},
		{[]string{"unknown"}, nil},
		{nil, nil},
	}
	for _, tc := range cases {
		u := Patch(a, tc.fields)
		if got := u.Fields(); !slices.Equal(got, tc.want) {
			t.Errorf("Patch(%v) sets %v, want %v", tc.fields, got, tc.want)
		}
		if u.CostCenter != nil && (*u.CostCenter != "41" || u.Division == nil || *u.Division != "Sales dept") {
			t.Errorf("employeeOrgData must carry both parts: %v %v", u.CostCenter, u.Division)
		}
	}
}

func TestOfShortensToEntrasLimits(t *testing.T) {
	long := strings.Repeat("é", 200)
	a := Of(hr.View{JobTitle: long, Department: long, CostCenter: long})
	if n := len([]rune(a.JobTitle)); n != directory.MaxJobTitle {
		t.Errorf("job title has %d characters, want %d", n, directory.MaxJobTitle)
	}
	if n := len([]rune(a.Department)); n != directory.MaxNamePart {
		t.Errorf("department has %d characters, want %d", n, directory.MaxNamePart)
	}
	if a.CostCenter != long {
		t.Errorf("cost centre has no limit and must be kept whole")
	}
	if raw := FromView(hr.View{JobTitle: long}); raw.JobTitle != long {
		t.Errorf("FromView must keep HR's value whole, got %d characters", len([]rune(raw.JobTitle)))
	}
}
