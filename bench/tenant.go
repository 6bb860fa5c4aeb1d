package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
)

// catalogOf is the part of a synthetic organisation's seed the simulator
// starts with: domain, groups, SKUs and the application, with seats of the
// managed licence for hires more people.
func catalogOf(o org, hires int) graphsim.Seed {
	skus := slices.Clone(o.seed.SKUs)
	for i := range skus {
		if skus[i].SkuPartNumber == license {
			skus[i].PrepaidUnits += hires
		}
	}
	return graphsim.Seed{Domains: o.seed.Domains, Groups: o.seed.Groups, SKUs: skus, ServicePrincipals: o.seed.ServicePrincipals}
}

// tenantOf is the rest of it: the accounts and what they hold.
func tenantOf(o org) graphsim.Seed {
	return graphsim.Seed{Users: o.seed.Users, Managers: o.seed.Managers, Memberships: o.seed.Memberships,
		Licenses: o.seed.Licenses, AppRoleAssignments: o.seed.AppRoleAssignments}
}

// withManagers gives every employee after the first of each department that
// first one as manager, in HR and in the tenant (the accounts stay in line).
func withManagers(o *org) {
	for i := len(departments); i < len(o.employees); i++ {
		m := o.employees[i%len(departments)].EmployeeID
		o.employees[i].Contracts[0].ManagerEmployeeID = m
		o.seed.Managers = append(o.seed.Managers, graphsim.SeedManager{
			User: accountUPN(o.employees[i].EmployeeID), Manager: accountUPN(m)})
	}
}

// accountUPN is the UPN synthesize gives an existing account: the one the
// policy's naming ({given}.{prefix}{family}, lower-cased) gives "Person <id>".
func accountUPN(id string) string { return "person." + strings.ToLower(id) + "@" + domain }

// newHire is a new employee of department dept starting on start, managed
// by manager; given name "Hire", family name the id, so the policy's naming
// gives the UPN hireUPN(id).
func newHire(id, dept, manager string, start hr.Date) hr.Employee {
	return hr.Employee{
		EmployeeID: id, GivenName: "Hire", FamilyName: id,
		Contracts: []hr.Contract{{ID: id + "-1", Start: start, JobCode: "J1", JobTitle: "Engineer 1",
			Department: dept, DepartmentName: dept + " department", CostCenter: "CC" + dept, Company: "Contoso B.V.",
			EmployeeType: "Employee", FTE: 1, ManagerEmployeeID: manager}},
	}
}

// hireUPN is the UPN the policy's naming ({given}.{prefix}{family},
// lower-cased) gives a newHire.
func hireUPN(id string) string { return "hire." + strings.ToLower(id) + "@" + domain }

// wantAccount is what a provisioned hire looks like in the tenant.
type wantAccount struct {
	employeeID string
	upn        string
	enabled    bool
	groups     []string
}

// provisioned reports whether the simulator's store holds the account as
// wanted: the employee id, the enabled flag and every wanted group (read
// directly, no Graph request, no replication lag).
func provisioned(sim *graphsim.Sim, w wantAccount) bool {
	u, ok := sim.User(w.upn)
	if !ok || u["employeeId"] != w.employeeID {
		return false
	}
	if enabled, _ := u["accountEnabled"].(bool); enabled != w.enabled {
		return false
	}
	have := sim.UserGroups(w.upn)
	for _, g := range w.groups {
		if !slices.Contains(have, g) {
			return false
		}
	}
	return true
}

// today is the current day in the policy's time zone.
func today() hr.Date { return hr.DateIn(time.Now(), benchZone) }

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted
// durations by the nearest-rank method; 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// ms renders a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// problemf formats one missed target.
func problemf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
