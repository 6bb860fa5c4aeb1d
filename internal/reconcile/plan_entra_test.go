package reconcile

import (
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

const licencePolicyYAML = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, leaveTime: "17:00"}
guard: {maxDisablePercent: 100, maxDeletePercent: 100}
rules:
  - name: all-staff
    groups: ["All Staff"]
  - name: ict
    when: {department: ["ICT"]}
    licenses: ["SPE_E3"]
`

// Group-based licensing and hybrid users: an inherited licence satisfies the
// rule naming it and is never planned for removal; attributes of an account
// synchronised from on-premises are never planned for a write. Both are
// reported.
func TestPlanLeavesInheritedLicencesAndSyncedAttributes(t *testing.T) {
	p, err := policy.Parse("licences.yaml", []byte(licencePolicyYAML))
	if err != nil {
		t.Fatal(err)
	}
	allStaff, e3 := policy.Group("All Staff"), policy.License("SPE_E3")
	start := d(2025, 1, 1)
	inherited := func(acc EntraAccount) EntraAccount { acc.Inherited = []policy.Entitlement{e3}; return acc }
	synced := inSync("104", "ICT", allStaff, e3)
	synced.User.OnPremisesSyncEnabled, synced.User.JobTitle = true, "Old title"

	plan := ComputePlan(PlanInput{
		Policy: p, At: planNow,
		Snapshot: hr.Snapshot{Employees: []hr.Employee{
			emp("101", "ICT", "Contoso B.V.", start, nil),               // rule names SPE_E3, held through a group
			emp("102", "Sales", "Contoso B.V.", start, nil),             // no rule names it, held through a group
			emp("103", "Sales", "Contoso B.V.", start, dp(2026, 1, 31)), // a leaver holding it through a group
			emp("104", "ICT", "Contoso B.V.", start, nil),               // synchronised, job title differs
		}},
		Accounts: []EntraAccount{
			inherited(inSync("101", "ICT", allStaff, e3)),
			inherited(inSync("102", "Sales", allStaff, e3)),
			inherited(inSync("103", "Sales", allStaff, e3)),
			synced,
		},
	})
	byID := map[string]PlanAction{}
	for _, a := range plan.Actions {
		byID[a.EmployeeID] = a
	}
	if a, ok := byID["101"]; ok {
		t.Errorf("101 holds SPE_E3 through a group, which satisfies the rule: got %s %v", a.Action, a.Changes)
	}
	if a, ok := byID["102"]; ok {
		t.Errorf("102: an inherited licence must not be planned for removal: got %s %v", a.Action, a.Changes)
	}
	exit, ok := byID["103"]
	if !ok || exit.Action != ActionExit {
		t.Fatalf("103: got %+v, want an exit", exit)
	}
	if strings.Contains(strings.Join(exit.Changes, "|"), "SPE_E3") || len(exit.Notes) != 1 || !strings.Contains(exit.Notes[0], "inherited") {
		t.Errorf("103 exit: changes %v notes %v; want no SPE_E3 removal and a note", exit.Changes, exit.Notes)
	}
	if a, ok := byID["104"]; ok {
		t.Errorf("104 is synchronised from on-premises: got %s %v", a.Action, a.Changes)
	}
	notes := map[string]string{}
	for _, n := range plan.Notes {
		notes[n.EmployeeID] = n.Note
	}
	if !strings.Contains(notes["102"], "inherited from a group") || !strings.Contains(notes["104"], "jobTitle") {
		t.Errorf("plan notes %v, want 102's inherited licence and 104's job title", plan.Notes)
	}
	if plan.Summary.Synced != 1 || plan.Summary.Inherited != 3 {
		t.Errorf("summary synced %d inherited %d, want 1 and 3", plan.Summary.Synced, plan.Summary.Inherited)
	}
}
