package activities

import (
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

// planNow is 2026-06-15 12:00 in Amsterdam.
var planNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func d(y int, m time.Month, day int) hr.Date { return hr.NewDate(y, m, day) }

// emp builds an employee with one contract.
func emp(id, dept, company string, start hr.Date, end *hr.Date) hr.Employee {
	return hr.Employee{
		EmployeeID: id, GivenName: "P" + id, FamilyName: "Test",
		Contracts: []hr.Contract{{
			ID: id + "-1", Start: start, End: end, JobCode: "J1", JobTitle: "Engineer",
			Department: dept, DepartmentName: dept + " dept", CostCenter: "4100",
			Company: company, EmployeeType: "Employee", FTE: 1,
		}},
	}
}
