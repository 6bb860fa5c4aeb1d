// The reconciliation benchmark: one Reconcile of a synthetic organisation
// whose accounts are in sync except a drift share.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/reconcile"
	"github.com/entralifecycle/engine/workflows"
)

const domain = "bench.example"

// benchZone is the policy's time zone: HR dates are days there.
var benchZone = mustZone("Europe/Amsterdam")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("time zone %s: %v", name, err))
	}
	return loc
}

// departments of the synthetic organisation; each has its own managed group.
var departments = []string{"ICT", "Sales", "HR", "FIN", "OPS", "MKT", "LEGAL", "RND"}

func groupOf(dept string) string { return "Dept " + dept }

// The managed licence (every employee) and app role (one department). The
// policy names the role by its display name; Graph's assignments carry the
// role's id, and its value is roleValue.
const (
	license      = "SPE_E3"
	app          = "Salesforce"
	roleName     = "Standard User"
	roleValue    = "standard"
	roleDept     = "Sales"
	otherSKU     = "VISIOCLIENT"
	extraSeats   = 100
	driftKinds   = 4
	driftLicence = 2
	driftRole    = 3
)

// benchPolicy grants every employee "All Staff" and SPE_E3, their
// department's group, and Sales the Salesforce role.
func benchPolicy() string {
	s := `tenant: {domain: ` + domain + `, usageLocation: NL}
lifecycle: {timezone: ` + benchZone.String() + `, createDaysBeforeStart: 14, leaveTime: "17:00", deleteAfterDays: 30}
guard: {maxDisablePercent: 5, maxDeletePercent: 2}
rules:
  - name: all-staff
    groups: ["All Staff"]
    licenses: [` + license + `]
`
	for _, d := range departments {
		s += fmt.Sprintf("  - name: dept-%s\n    when: {department: [%q]}\n    groups: [%q]\n", d, d, groupOf(d))
		if d == roleDept {
			s += fmt.Sprintf("    appRoles: [{app: %q, role: %q}]\n", app, roleName)
		}
	}
	return s
}

type org struct {
	employees []hr.Employee
	seed      graphsim.Seed
	// minimalWrites is what the drift needs: one membership change, licence
	// assignment or app role assignment each.
	minimalWrites int
	drifted       int
	// byKind counts the drift of each kind (group lost, group gained,
	// licence lost, app role lost).
	byKind [driftKinds]int
	// roleHolders is how many accounts hold the app role.
	roleHolders int
}

// driftPlan chooses the drifted employees: one in every k (k = 1/drift),
// the kinds in turn. An app role drift needs an employee of the role's
// department: the first one from the usual position on within the same
// block of k, else that drift becomes a licence drift.
func driftPlan(n int, drift float64) map[int]int {
	out := map[int]int{}
	if drift <= 0 {
		return out
	}
	every := max(1, int(1/drift+0.5))
	roleIdx := slices.Index(departments, roleDept)
	for b, kind := 0, 0; b*every < n; b, kind = b+1, kind+1 {
		i := b*every + every/2
		if i >= n {
			break
		}
		k := kind % driftKinds
		if k == driftRole {
			j := i
			for j < min(n, (b+1)*every) && j%len(departments) != roleIdx {
				j++
			}
			if j < min(n, (b+1)*every) {
				i = j
			} else {
				k = driftLicence
			}
		}
		out[i] = k
	}
	return out
}

// synthesize builds n employees and the tenant seed: every account in sync,
// except the drifted ones (see driftPlan), which lost a managed department
// group, gained another department's group, lost the licence or lost the app
// role by hand.
func synthesize(n int, drift float64) org {
	o := org{seed: graphsim.Seed{Domains: []string{domain}}}
	o.seed.Groups = append(o.seed.Groups, graphsim.SeedGroup{DisplayName: "All Staff"}, graphsim.SeedGroup{DisplayName: "Unmanaged Club"})
	for _, d := range departments {
		o.seed.Groups = append(o.seed.Groups, graphsim.SeedGroup{DisplayName: groupOf(d)})
	}
	o.seed.SKUs = []graphsim.SeedSKU{{SkuPartNumber: license, PrepaidUnits: n + extraSeats}, {SkuPartNumber: otherSKU, PrepaidUnits: n}}
	o.seed.ServicePrincipals = []graphsim.SeedServicePrincipal{{DisplayName: app, AppRoles: []graphsim.SeedAppRole{
		{Value: roleValue, DisplayName: roleName}, {Value: "admin", DisplayName: "System Administrator"}}}}
	drifts := driftPlan(n, drift)
	start := hr.MustParseDate("2020-01-01")
	for i := range n {
		id := fmt.Sprintf("E%06d", i+1)
		dept := departments[i%len(departments)]
		o.employees = append(o.employees, hr.Employee{
			EmployeeID: id, GivenName: "Person", FamilyName: id,
			Contracts: []hr.Contract{{ID: id + "-1", Start: start, JobCode: "J" + strconv.Itoa(i%7), JobTitle: "Engineer " + strconv.Itoa(i%7),
				Department: dept, DepartmentName: dept + " department", CostCenter: "CC" + dept, Company: "Contoso B.V.",
				EmployeeType: "Employee", FTE: 1}},
		})
		upn := accountUPN(id)
		o.seed.Users = append(o.seed.Users, map[string]any{
			"displayName": "Person " + id, "givenName": "Person", "surname": id, "employeeId": id,
			"userPrincipalName": upn, "mailNickname": strings.TrimSuffix(upn, "@"+domain), "mail": upn,
			"jobTitle": "Engineer " + strconv.Itoa(i%7), "department": dept, "companyName": "Contoso B.V.", "employeeType": "Employee",
			"employeeOrgData": map[string]any{"costCenter": "CC" + dept, "division": dept + " department"},
			"accountEnabled":  true, "usageLocation": "NL", "employeeHireDate": start.In(benchZone).UTC().Format(time.RFC3339),
		})
		o.seed.Memberships = append(o.seed.Memberships, graphsim.SeedMembership{Group: "All Staff", Member: upn})
		if i%5 == 0 {
			// Unmanaged memberships are never touched.
			o.seed.Memberships = append(o.seed.Memberships, graphsim.SeedMembership{Group: "Unmanaged Club", Member: upn})
		}
		kind, drifted := drifts[i]
		switch {
		case drifted && kind == 0:
			// Removed from the department group by hand: one add repairs it.
		case drifted && kind == 1:
			// Added to another department's group by hand: one removal.
			o.seed.Memberships = append(o.seed.Memberships, graphsim.SeedMembership{Group: groupOf(dept), Member: upn},
				graphsim.SeedMembership{Group: groupOf(departments[(i+1)%len(departments)]), Member: upn})
		default:
			o.seed.Memberships = append(o.seed.Memberships, graphsim.SeedMembership{Group: groupOf(dept), Member: upn})
		}
		if !drifted || kind != driftLicence {
			// (A licence removed by hand: one assignment repairs it.)
			o.seed.Licenses = append(o.seed.Licenses, graphsim.SeedLicense{User: upn, SKU: license})
		}
		if i%9 == 0 {
			// Unmanaged licences are never touched.
			o.seed.Licenses = append(o.seed.Licenses, graphsim.SeedLicense{User: upn, SKU: otherSKU})
		}
		if dept == roleDept && (!drifted || kind != driftRole) {
			// (An app role removed by hand: one assignment repairs it.)
			o.seed.AppRoleAssignments = append(o.seed.AppRoleAssignments, graphsim.SeedAppRoleAssignment{User: upn, ServicePrincipal: app, AppRole: roleValue})
			o.roleHolders++
		}
		if drifted {
			o.drifted++
			o.byKind[kind]++
			o.minimalWrites++
		}
	}
	return o
}

type report struct {
	Employees     int                    `json:"employees"`
	Drifted       int                    `json:"drifted"`
	DriftByKind   map[string]int         `json:"driftByKind"`
	Latency       string                 `json:"latency"`
	WallSeconds   float64                `json:"wallSeconds"`
	Reads         int                    `json:"reads"`
	Writes        int                    `json:"writes"`
	MinimalWrites int                    `json:"minimalWrites"`
	Ratio         float64                `json:"ratio"`
	ReadBudget    int                    `json:"readBudget"`
	ByRoute       map[string]int         `json:"byRoute"`
	Summary       *reconcile.PlanSummary `json:"summary,omitempty"`
	Applied       int                    `json:"applied"`
	Failed        int                    `json:"failed"`
	OK            bool                   `json:"ok"`
	Problems      []string               `json:"problems,omitempty"`
}

// runReconcile generates N employees under a policy that manages groups, a
// licence and an app role, seeds the simulator with all their accounts in
// sync except a drift share (in turn: a department group removed by hand,
// another department's group added by hand, the licence removed by hand,
// the app role removed by hand), runs one Reconcile and prints the wall
// time, the simulator's Graph reads and writes, the minimal number of writes
// the drift requires and their ratio, and the reads a single paged pass
// allows. It fails when writes differ from the minimum, reads exceed the
// single pass, or the run takes longer than -max.
func runReconcile(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	n := fs.Int("n", 10000, "employees")
	drift := fs.Float64("drift", 0.01, "share of accounts drifted by hand")
	latency := fs.Duration("latency", 5*time.Millisecond, "simulated Graph latency per HTTP request")
	limit := fs.Duration("max", 60*time.Second, "fail when the reconciliation takes longer")
	pageSize := fs.Int("page-size", 500, "plan actions per page")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log the engine's own lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *drift < 0 || *drift > 1 {
		return errors.New("-n must be positive and -drift between 0 and 1")
	}
	o := synthesize(*n, *drift)
	fmt.Fprintf(progress, "starting the embedded stack and seeding %d accounts (%d drifted)…\n", *n, o.drifted)
	st, err := startStack(ctx, stackOptions{
		catalog:   graphsim.Seed{Domains: o.seed.Domains, Groups: o.seed.Groups, SKUs: o.seed.SKUs, ServicePrincipals: o.seed.ServicePrincipals},
		tenant:    graphsim.Seed{Users: o.seed.Users, Memberships: o.seed.Memberships, Licenses: o.seed.Licenses, AppRoleAssignments: o.seed.AppRoleAssignments},
		policy:    benchPolicy(),
		employees: o.employees,
		verbose:   *verbose,
	})
	if err != nil {
		return err
	}
	defer st.stop()
	sim, c := st.sim, st.client
	taskQueue := benchTaskQueue

	sim.SetLatency(*latency)
	sim.ResetStats()
	fmt.Fprintf(progress, "reconciling %d employees with %s Graph latency…\n", *n, *latency)
	began := time.Now()
	we, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ReconcileWorkflowIDPrefix + "bench", TaskQueue: taskQueue},
		workflows.ReconcileWorkflowName, workflows.ReconcileInput{PageSize: *pageSize})
	if err != nil {
		return fmt.Errorf("start reconciliation: %w", err)
	}
	var res workflows.ReconcileResult
	if err := we.Get(ctx, &res); err != nil {
		return fmt.Errorf("reconciliation: %w", err)
	}
	wall := time.Since(began)
	stats := sim.Stats()

	r := report{Employees: *n, Drifted: o.drifted, Latency: latency.String(), WallSeconds: wall.Seconds(),
		DriftByKind: map[string]int{"groupRemoved": o.byKind[0], "groupAdded": o.byKind[1], "licenceRemoved": o.byKind[driftLicence], "appRoleRemoved": o.byKind[driftRole]},
		Reads:       stats.Reads, Writes: stats.Writes, MinimalWrites: o.minimalWrites, ByRoute: stats.ByRoute,
		Summary: res.Progress.Summary, Applied: res.Progress.Applied, Failed: res.Progress.Failed}
	if r.MinimalWrites > 0 {
		r.Ratio = float64(r.Writes) / float64(r.MinimalWrites)
	}
	// One paged listing of the users (their licences in it), of each managed
	// group's members and of the managed application's assignments (999 per
	// page), plus one lookup per managed group name, one of the tenant's
	// SKUs and one of the application; the drift here (membership adds and
	// removes, licence and app role assignments) needs no reads of its own.
	pages := func(k int) int { return max(1, (k+998)/999) }
	r.ReadBudget = pages(*n) + pages(*n) // users, All Staff
	perDept := make(map[string]int)
	for i := range *n {
		perDept[departments[i%len(departments)]]++
	}
	for _, d := range departments {
		r.ReadBudget += pages(perDept[d]+1) + 1 // members (plus hand-added drift), name lookup
	}
	r.ReadBudget++                           // All Staff name lookup
	r.ReadBudget++                           // subscribedSkus, naming the listed licences
	r.ReadBudget += pages(o.roleHolders) + 1 // appRoleAssignedTo, application lookup
	switch {
	case r.Writes > r.MinimalWrites:
		// Fewer is allowed: re-added members of one group fold into one PATCH.
		r.Problems = append(r.Problems, fmt.Sprintf("writes %d, minimal %d", r.Writes, r.MinimalWrites))
	}
	if r.Reads > r.ReadBudget {
		r.Problems = append(r.Problems, fmt.Sprintf("reads %d above the single-pass budget %d", r.Reads, r.ReadBudget))
	}
	if wall > *limit {
		r.Problems = append(r.Problems, fmt.Sprintf("took %s, limit %s", wall.Round(time.Millisecond), *limit))
	}
	if r.Failed > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d actions failed", r.Failed))
	}
	r.OK = len(r.Problems) == 0
	if *asJSON {
		if err := json.NewEncoder(out).Encode(r); err != nil {
			return err
		}
	} else {
		printReport(out, r)
	}
	if !r.OK {
		return fmt.Errorf("%v", r.Problems)
	}
	return nil
}

func printReport(out io.Writer, r report) {
	fmt.Fprintf(out, "employees:        %d (%d drifted: %d lost a group, %d gained one, %d lost the licence, %d lost the app role)\n",
		r.Employees, r.Drifted, r.DriftByKind["groupRemoved"], r.DriftByKind["groupAdded"], r.DriftByKind["licenceRemoved"], r.DriftByKind["appRoleRemoved"])
	fmt.Fprintf(out, "graph latency:    %s per request\n", r.Latency)
	fmt.Fprintf(out, "wall time:        %.2f s\n", r.WallSeconds)
	fmt.Fprintf(out, "graph reads:      %d (single-pass budget %d)\n", r.Reads, r.ReadBudget)
	fmt.Fprintf(out, "graph writes:     %d\n", r.Writes)
	fmt.Fprintf(out, "minimal writes:   %d\n", r.MinimalWrites)
	fmt.Fprintf(out, "writes / minimal: %.2f\n", r.Ratio)
	if s := r.Summary; s != nil {
		fmt.Fprintf(out, "plan:             %d in sync, %d repair, %d hire, %d move, %d exit, %d orphan; %d applied, %d failed\n",
			s.InSync, s.Repair, s.Hire, s.Move, s.Exit, s.Orphan, r.Applied, r.Failed)
	}
	fmt.Fprintln(out, "requests by route:")
	routes := make([]string, 0, len(r.ByRoute))
	for k := range r.ByRoute {
		routes = append(routes, k)
	}
	slices.Sort(routes)
	for _, k := range routes {
		fmt.Fprintf(out, "  %-50s %d\n", k, r.ByRoute[k])
	}
	if r.OK {
		fmt.Fprintln(out, "result:           ok")
	} else {
		fmt.Fprintf(out, "result:           FAILED %v\n", r.Problems)
	}
}
