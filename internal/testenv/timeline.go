package testenv

import (
	"math/rand"

	"github.com/entralifecycle/engine/internal/hr"
)

// RandomTimeline is an employee with zero to three contracts around base, drawn from r:
// overlapping, adjacent (the next starts the day after), with gaps (a rehire), open-ended
// or not, in two departments. The lifecycle and planner property tests draw their HR
// timelines from it.
func RandomTimeline(r *rand.Rand, base hr.Date) hr.Employee {
	e := hr.Employee{EmployeeID: "1001", GivenName: "Anna", FamilyName: "Jansen"}
	n := r.Intn(4)
	cur := base.AddDays(r.Intn(400) - 300)
	for i := 0; i < n; i++ {
		c := hr.Contract{ID: string(rune('a' + i)), Start: cur, JobCode: "J1", JobTitle: "Engineer",
			Department: []string{"ICT", "Sales"}[r.Intn(2)], Company: "Contoso B.V.", EmployeeType: "Employee", FTE: 1}
		if r.Intn(4) > 0 || i < n-1 {
			end := cur.AddDays(r.Intn(200))
			c.End = &end
			switch r.Intn(3) {
			case 0:
				cur = end.AddDays(1) // adjacent: one run
			case 1:
				cur = end.AddDays(2 + r.Intn(60)) // a gap: a rehire
			default:
				cur = c.Start.AddDays(r.Intn(100)) // overlapping: two contracts at once
			}
		}
		e.Contracts = append(e.Contracts, c)
	}
	return e
}
