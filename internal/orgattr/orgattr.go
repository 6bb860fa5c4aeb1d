// Package orgattr is the one table of the organisational attributes the
// engine writes on an Entra account (job title, department, company,
// employee type, cost centre, division): for each, the HR view field it is
// taken from, the Graph user property it is compared with and written to,
// its length limit in Entra, and the partial update that writes it. The
// entity workflow (what changed between two HR views, the account spec), the
// account activities (shortening, the update) and the reconciliation planner
// (drift, repair) all read it; adding an attribute is a field of Attributes
// and one row of Table (and its case in the table's test).
package orgattr

import (
	"fmt"
	"slices"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// Attributes are the organisational attributes of an account, as HR's view
// gives them (shortened to Entra's limits). The JSON names are part of the
// reconciliation plan's form.
type Attributes struct {
	JobTitle     string `json:"jobTitle,omitempty"`
	Department   string `json:"department,omitempty"`
	CompanyName  string `json:"companyName,omitempty"`
	EmployeeType string `json:"employeeType,omitempty"`
	CostCenter   string `json:"costCenter,omitempty"`
	Division     string `json:"division,omitempty"`
}

// Field is one row of Table.
type Field struct {
	// Name is the field's one name: in a plan's orgFields, in diff lines and
	// in Patch's field list. It is the Graph user property name, or for the
	// parts of employeeOrgData the part's name.
	Name string
	// Property is the Graph user property a write sets: Name itself, or
	// employeeOrgData for its parts, which are always written together.
	Property string
	// Max is Entra's length limit in UTF-16 code units; 0 when the engine
	// writes the value as HR has it.
	Max int
	// HR reads the field from an HR view.
	HR func(hr.View) string
	// In, OnUser and InPatch address the field in Attributes, in a
	// directory user and in a partial update.
	In      func(*Attributes) *string
	OnUser  func(*directory.User) *string
	InPatch func(*directory.UserAttributes) **string
}

// Field names (Field.Name).
const (
	JobTitle     = "jobTitle"
	Department   = "department"
	CompanyName  = "companyName"
	EmployeeType = "employeeType"
	CostCenter   = "costCenter"
	Division     = "division"
	// OrgData is the Graph property that carries CostCenter and Division.
	OrgData = "employeeOrgData"
)

// Table lists the organisational attributes in the order they are compared
// and reported. Sources: the user resource's properties
// (https://learn.microsoft.com/graph/api/resources/user#properties) and
// employeeOrgData
// (https://learn.microsoft.com/graph/api/resources/employeeorgdata).
var Table = []Field{
	{Name: JobTitle, Property: JobTitle, Max: directory.MaxJobTitle, HR: func(v hr.View) string { return v.JobTitle },
		In: func(a *Attributes) *string { return &a.JobTitle }, OnUser: func(u *directory.User) *string { return &u.JobTitle },
		InPatch: func(u *directory.UserAttributes) **string { return &u.JobTitle }},
	{Name: Department, Property: Department, Max: directory.MaxNamePart, HR: func(v hr.View) string { return v.Department },
		In: func(a *Attributes) *string { return &a.Department }, OnUser: func(u *directory.User) *string { return &u.Department },
		InPatch: func(u *directory.UserAttributes) **string { return &u.Department }},
	{Name: CompanyName, Property: CompanyName, Max: directory.MaxNamePart, HR: func(v hr.View) string { return v.Company },
		In: func(a *Attributes) *string { return &a.CompanyName }, OnUser: func(u *directory.User) *string { return &u.CompanyName },
		InPatch: func(u *directory.UserAttributes) **string { return &u.CompanyName }},
	{Name: EmployeeType, Property: EmployeeType, Max: directory.MaxNamePart, HR: func(v hr.View) string { return v.EmployeeType },
		In: func(a *Attributes) *string { return &a.EmployeeType }, OnUser: func(u *directory.User) *string { return &u.EmployeeType },
		InPatch: func(u *directory.UserAttributes) **string { return &u.EmployeeType }},
	{Name: CostCenter, Property: OrgData, HR: func(v hr.View) string { return v.CostCenter },
		In: func(a *Attributes) *string { return &a.CostCenter }, OnUser: func(u *directory.User) *string { return &u.CostCenter },
		InPatch: func(u *directory.UserAttributes) **string { return &u.CostCenter }},
	{Name: Division, Property: OrgData, HR: func(v hr.View) string { return v.DepartmentName },
		In: func(a *Attributes) *string { return &a.Division }, OnUser: func(u *directory.User) *string { return &u.Division },
		InPatch: func(u *directory.UserAttributes) **string { return &u.Division }},
}

// fit shortens v to the field's limit.
func (f Field) fit(v string) string {
	if f.Max == 0 {
		return v
	}
	out, _ := directory.FitUTF16(v, f.Max)
	return out
}

// FromView is the organisational attributes an HR view gives, as HR has
// them (the account activities shorten them to Entra's limits when they
// write, and say so).
func FromView(v hr.View) Attributes {
	var a Attributes
	for _, f := range Table {
		*f.In(&a) = f.HR(v)
	}
	return a
}

// Of is what the account's organisational attributes should be for an HR
// view: the values as the engine writes them, shortened to Entra's limits,
// so that a long HR value is not taken for drift forever.
func Of(v hr.View) Attributes {
	a := FromView(v)
	for _, f := range Table {
		*f.In(&a) = f.fit(*f.In(&a))
	}
	return a
}

// Properties are the Graph user properties the table writes, each once, in
// Table order: what a promotion or transfer may change.
func Properties() []string {
	var out []string
	for _, f := range Table {
		if !slices.Contains(out, f.Property) {
			out = append(out, f.Property)
		}
	}
	return out
}

// IsProperty reports whether name is one of Properties.
func IsProperty(name string) bool {
	return slices.ContainsFunc(Table, func(f Field) bool { return f.Property == name })
}

// ChangedProperties lists the Graph properties (see Properties) whose HR
// values differ between two views.
func ChangedProperties(old, cur hr.View) []string {
	var out []string
	for _, f := range Table {
		if f.HR(old) != f.HR(cur) && !slices.Contains(out, f.Property) {
			out = append(out, f.Property)
		}
	}
	return out
}

// SetUser writes the fields of a that the Graph property carries on u (both
// parts for employeeOrgData); an unknown property changes nothing.
func SetUser(u *directory.User, a Attributes, property string) {
	for _, f := range Table {
		if f.Property == property {
			*f.OnUser(u) = *f.In(&a)
		}
	}
}

// Diff lists the attributes where the account differs from want: the field
// names and one "field: old → new" line each, in Table order.
func Diff(u directory.User, want Attributes) (fields, lines []string) {
	for _, f := range Table {
		have, w := *f.OnUser(&u), *f.In(&want)
		if have != w {
			fields = append(fields, f.Name)
			lines = append(lines, fmt.Sprintf("%s: %q → %q", f.Name, have, w))
		}
	}
	return fields, lines
}

// Patch is the partial update that writes the named fields of a; unknown
// names are ignored. A field writes its whole Graph property: the parts of
// employeeOrgData travel together, since Graph replaces it as a whole.
func Patch(a Attributes, fields []string) directory.UserAttributes {
	var u directory.UserAttributes
	for _, name := range fields {
		i := slices.IndexFunc(Table, func(f Field) bool { return f.Name == name })
		if i < 0 {
			continue
		}
		for _, f := range Table {
			if f.Property == Table[i].Property {
				*f.InPatch(&u) = f.In(&a)
			}
		}
	}
	return u
}

// PolicyAttributes is the part of an HR view the policy's scope and rules
// match on.
func PolicyAttributes(v hr.View) policy.Attributes {
	return policy.Attributes{
		Department: v.Department, JobCode: v.JobCode, JobTitle: v.JobTitle,
		EmployeeType: v.EmployeeType, Company: v.Company, CostCenter: v.CostCenter,
	}
}

// AccountPolicyAttributes is the part of an account the policy's scope looks
// at, for accounts HR does not know.
func AccountPolicyAttributes(u directory.User) policy.Attributes {
	return policy.Attributes{Department: u.Department, JobTitle: u.JobTitle, EmployeeType: u.EmployeeType, Company: u.CompanyName, CostCenter: u.CostCenter}
}
