package testenv

import (
	"strconv"
	"strings"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/sample"
)

// The Contoso fixture's names.
const (
	ContosoDomain     = "contoso.example"
	ContosoSender     = "lifecycle@contoso.example"
	ContosoManagerID  = "2000"
	ContosoManagerUPN = "maria.manager@contoso.example"
)

// Rules of the fixtures' policies (docs/policy.md), one rule each, to
// compose a policy from: "rules:\n" followed by the rules.
const (
	// RuleAllStaff grants All Staff to everyone.
	RuleAllStaff = `  - name: all-staff
    groups: ["All Staff"]
`
	// RuleAllStaffE3 grants All Staff and an SPE_E3 licence to everyone.
	RuleAllStaffE3 = RuleAllStaff + `    licenses: ["SPE_E3"]
`
	// RuleICT grants ICT Admins to the ICT department.
	RuleICT = `  - name: ict
    when: {department: ["ICT"]}
    groups: ["ICT Admins"]
`
	// RuleSales grants Sales to the Sales department.
	RuleSales = `  - name: sales
    when: {department: ["Sales"]}
    groups: ["Sales"]
`
	// RuleSalesLeads grants Sales Leadership and Salesforce's Standard User
	// role to sales leads (job code M01).
	RuleSalesLeads = `  - name: sales-leads
    when: {department: ["Sales"], jobCode: ["M01"]}
    groups: ["Sales Leadership"]
    appRoles: [{app: "Salesforce", role: "Standard User"}]
`
	// DepartmentRules is the reconciliation tests' rule set: All Staff for
	// everyone, ICT Admins for ICT, Sales for Sales.
	DepartmentRules = "rules:\n" + RuleAllStaff + RuleICT + RuleSales
)

// contosoPolicy is the Contoso fixture's policy; %GRACE% is the transfer
// grace period in days.
const contosoPolicy = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle:
  timezone: Europe/Amsterdam
  createDaysBeforeStart: 14
  temporaryAccessPass: true
  transferGraceDays: %GRACE%
  leaveTime: "17:00"
  deleteAfterDays: 30
rules:
` + RuleAllStaffE3 + RuleICT + RuleSales + RuleSalesLeads

// Contoso is the lifecycle tests' tenant: the sample policy's groups and an
// unmanaged one, SPE_E3 and POWER_BI_PRO with seats to spare, the Salesforce
// app with its Standard User role, a mail sender and one manager (Maria,
// employee 2000, in Entra and in HR). Its policy grants All Staff and SPE_E3
// to everyone, ICT Admins to ICT, Sales to Sales and, to sales leads (M01),
// Sales Leadership and the Salesforce role; a transfer keeps the old access
// for graceDays.
func Contoso(graceDays int) Fixture {
	var groups []graphsim.SeedGroup
	for _, g := range append(sample.Groups(), "Unmanaged Club") {
		groups = append(groups, graphsim.SeedGroup{DisplayName: g})
	}
	manager := hr.Employee{EmployeeID: ContosoManagerID, GivenName: "Maria", PreferredName: "Maria", FamilyName: "Manager", NameUsage: "own",
		Contracts: []hr.Contract{{ID: ContosoManagerID + "-1", Start: hr.MustParseDate("2015-01-01"), Department: "DIR", DepartmentName: "DIR dept",
			JobCode: "D00", JobTitle: "Directeur", CostCenter: "4130", Company: "Contoso B.V.", EmployeeType: "Employee", FTE: 1}}}
	return Fixture{
		Seed: graphsim.Seed{
			Domains: []string{ContosoDomain},
			Groups:  groups,
			SKUs:    []graphsim.SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 100}, {SkuPartNumber: "POWER_BI_PRO", PrepaidUnits: 100}},
			ServicePrincipals: []graphsim.SeedServicePrincipal{{DisplayName: "Salesforce", AppRoles: []graphsim.SeedAppRole{
				{Value: "standard", DisplayName: "Standard User"}}}},
			Users: []map[string]any{
				{"displayName": "Lifecycle", "userPrincipalName": ContosoSender, "mail": ContosoSender, "accountEnabled": true},
				{"displayName": "Maria Manager", "userPrincipalName": ContosoManagerUPN, "mail": ContosoManagerUPN, "accountEnabled": true,
					"employeeId": ContosoManagerID, "givenName": "Maria"},
			},
		},
		// The manager is in HR too (a link to someone HR does not know is dropped).
		Employees:  []hr.Employee{manager},
		Policy:     strings.ReplaceAll(contosoPolicy, "%GRACE%", strconv.Itoa(graceDays)),
		MailSender: ContosoSender,
	}
}

// smallOrgPolicy grants All Staff and SPE_E3 to everyone, and ICT Admins and
// the Salesforce role to ICT; its guard holds disabling more than half.
const smallOrgPolicy = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, createDaysBeforeStart: 14, leaveTime: "17:00", deleteAfterDays: 30}
guard: {maxDisablePercent: 50, maxDeletePercent: 2}
rules:
` + RuleAllStaffE3 + RuleICT + `    appRoles: [{app: "Salesforce", role: "Standard User"}]
`

// Employee is an employee with one contract: "P<id> Test", engineer (J1)
// in dept (department name "<dept> dept", cost centre 4100) at company from
// start until end (nil: open-ended).
func Employee(id, dept, company string, start hr.Date, end *hr.Date) hr.Employee {
	return hr.Employee{
		EmployeeID: id, GivenName: "P" + id, FamilyName: "Test",
		Contracts: []hr.Contract{{
			ID: id + "-1", Start: start, End: end, JobCode: "J1", JobTitle: "Engineer",
			Department: dept, DepartmentName: dept + " dept", CostCenter: "4100",
			Company: company, EmployeeType: "Employee", FTE: 1,
		}},
	}
}

// SmallOrg is n ICT employees (ids 1..n, p<id>@contoso.example) whose
// accounts hold everything the policy grants (All Staff, ICT Admins, SPE_E3,
// the Salesforce role) plus an unmanaged group, under the SmallOrg policy.
func SmallOrg(n int) Fixture {
	f := Fixture{
		Seed: graphsim.Seed{
			Domains: []string{ContosoDomain},
			Groups:  []graphsim.SeedGroup{{DisplayName: "All Staff"}, {DisplayName: "ICT Admins"}, {DisplayName: "Unmanaged Club"}},
			SKUs:    []graphsim.SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 100}},
			ServicePrincipals: []graphsim.SeedServicePrincipal{{DisplayName: "Salesforce", AppRoles: []graphsim.SeedAppRole{
				{Value: "standard", DisplayName: "Standard User"}}}},
		},
		Policy: smallOrgPolicy,
	}
	for i := 1; i <= n; i++ {
		id := strconv.Itoa(i)
		upn := "p" + id + "@contoso.example"
		f.Employees = append(f.Employees, Employee(id, "ICT", "Contoso B.V.", hr.NewDate(2024, 1, 1), nil))
		f.Seed.Users = append(f.Seed.Users, map[string]any{
			"displayName": "P" + id + " Test", "userPrincipalName": upn, "employeeId": id, "jobTitle": "Engineer",
			"department": "ICT", "companyName": "Contoso B.V.", "employeeType": "Employee", "usageLocation": "NL",
			"employeeOrgData": map[string]any{"costCenter": "4100", "division": "ICT dept"}, "accountEnabled": true,
		})
		f.Seed.Memberships = append(f.Seed.Memberships, graphsim.SeedMembership{Group: "All Staff", Member: upn},
			graphsim.SeedMembership{Group: "ICT Admins", Member: upn}, graphsim.SeedMembership{Group: "Unmanaged Club", Member: upn})
		f.Seed.Licenses = append(f.Seed.Licenses, graphsim.SeedLicense{User: upn, SKU: "SPE_E3"})
		f.Seed.AppRoleAssignments = append(f.Seed.AppRoleAssignments, graphsim.SeedAppRoleAssignment{User: upn, ServicePrincipal: "Salesforce", AppRole: "standard"})
	}
	return f
}
