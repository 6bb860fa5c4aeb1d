// Package orgattr is the one table of the organisational attributes the
// engine writes on an Entra account (job title, department, company,
// employee type, cost centre, division): for each, the HR view field it is
// taken from, the Graph user property it is compared with, its length limit
// in Entra, and the partial update that writes it. The reconciliation
// planner and the activity that repairs hand edits read it; adding an
// attribute is one row of Table.
package orgattr

import (
	"fmt"

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
	// User reads the field from a directory user.
	User func(directory.User) string
	// Value addresses the field in Attributes.
	Value func(*Attributes) *string
	// Set puts the value(s) of a into a partial update.
	Set func(u *directory.UserAttributes, a *Attributes)
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

// setOrgData writes both parts of employeeOrgData: Graph replaces the
// complex property as a whole.
func setOrgData(u *directory.UserAttributes, a *Attributes) {
	u.CostCenter, u.Division = &a.CostCenter, &a.Division
}

// Table lists the organisational attributes in the order they are compared
// and reported. Sources: the user resource's properties
// (https://learn.microsoft.com/graph/api/resources/user#properties) and
// employeeOrgData
// (https://learn.microsoft.com/graph/api/resources/employeeorgdata).
var Table = []Field{
	{Name: JobTitle, Property: JobTitle, Max: directory.MaxJobTitle,
		HR: func(v hr.View) string { return v.JobTitle }, User: func(u directory.User) string { return u.JobTitle },
		Value: func(a *Attributes) *string { return &a.JobTitle }, Set: func(u *directory.UserAttributes, a *Attributes) { u.JobTitle = &a.JobTitle }},
	{Name: Department, Property: Department, Max: directory.MaxNamePart,
		HR: func(v hr.View) string { return v.Department }, User: func(u directory.User) string { return u.Department },
		Value: func(a *Attributes) *string { return &a.Department }, Set: func(u *directory.UserAttributes, a *Attributes) { u.Department = &a.Department }},
	{Name: CompanyName, Property: CompanyName, Max: directory.MaxNamePart,
		HR: func(v hr.View) string { return v.Company }, User: func(u directory.User) string { return u.CompanyName },
		Value: func(a *Attributes) *string { return &a.CompanyName }, Set: func(u *directory.UserAttributes, a *Attributes) { u.CompanyName = &a.CompanyName }},
	{Name: EmployeeType, Property: EmployeeType, Max: directory.MaxNamePart,
		HR: func(v hr.View) string { return v.EmployeeType }, User: func(u directory.User) string { return u.EmployeeType },
		Value: func(a *Attributes) *string { return &a.EmployeeType }, Set: func(u *directory.UserAttributes, a *Attributes) { u.EmployeeType = &a.EmployeeType }},
	{Name: CostCenter, Property: OrgData,
		HR: func(v hr.View) string { return v.CostCenter }, User: func(u directory.User) string { return u.CostCenter },
		Value: func(a *Attributes) *string { return &a.CostCenter }, Set: setOrgData},
	{Name: Division, Property: OrgData,
		HR: func(v hr.View) string { return v.DepartmentName }, User: func(u directory.User) string { return u.Division },
		Value: func(a *Attributes) *string { return &a.Division }, Set: setOrgData},
}

// fit shortens v to the field's limit.
func (f Field) fit(v string) string {
	if f.Max == 0 {
		return v
	}
	out, _ := directory.FitUTF16(v, f.Max)
	return out
}

// Of is what the account's organisational attributes should be for an HR
// view: the values as the engine writes them, shortened to Entra's limits,
// so that a long HR value is not taken for drift forever.
func Of(v hr.View) Attributes {
	var a Attributes
	for _, f := range Table {
		*f.Value(&a) = f.fit(f.HR(v))
	}
	return a
}

// Diff lists the attributes where the account differs from want: the field
// names and one "field: old → new" line each, in Table order.
func Diff(u directory.User, want Attributes) (fields, lines []string) {
	for _, f := range Table {
		have, w := f.User(u), *f.Value(&want)
		if have != w {
			fields = append(fields, f.Name)
			lines = append(lines, fmt.Sprintf("%s: %q → %q", f.Name, have, w))
		}
	}
	return fields, lines
}

// Patch is the partial update that writes the named fields of a; unknown
// names are ignored. The parts of employeeOrgData travel together.
func Patch(a Attributes, fields []string) directory.UserAttributes {
	var u directory.UserAttributes
	for _, name := range fields {
		for _, f := range Table {
			if f.Name == name {
				f.Set(&u, &a)
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
