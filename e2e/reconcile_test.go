package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/file"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/workflows"
)

const reconcilePolicy = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, createDaysBeforeStart: 14, temporaryAccessPass: false, leaveTime: "17:00", deleteAfterDays: 30}
guard: {maxDisablePercent: 5, maxDeletePercent: 2}
rules:
  - name: all-staff
    groups: ["All Staff"]
  - name: ict
    when: {department: ["ICT"]}
    groups: ["ICT Admins"]
  - name: sales
    when: {department: ["Sales"]}
    groups: ["Sales"]
`

// reconcileOrg is a mutable HR document served through the real file connector.
type reconcileOrg struct {
	mu        sync.Mutex
	employees map[string]hr.Employee
}

func (o *reconcileOrg) load(context.Context) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	list := make([]hr.Employee, 0, len(o.employees))
	for _, e := range o.employees {
		list = append(list, e)
	}
	slices.SortFunc(list, func(a, b hr.Employee) int { return strings.Compare(a.EmployeeID, b.EmployeeID) })
	return json.Marshal(map[string]any{"employees": list})
}

func (o *reconcileOrg) set(e hr.Employee) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.employees[e.EmployeeID] = e
}

func orgEmployee(i int, dept string, end *hr.Date) hr.Employee {
	id := fmt.Sprintf("%d", 5000+i)
	return hr.Employee{
		EmployeeID: id, GivenName: "Emma", FamilyName: fmt.Sprintf("Tester%d", i), PreferredName: "Emma",
		Contracts: []hr.Contract{{ID: id + "-1", Start: hr.MustParseDate("2024-01-01"), End: end, JobCode: "J1", JobTitle: "Engineer",
			Department: dept, DepartmentName: dept + " dept", CostCenter: "4100", Company: "Contoso B.V.", EmployeeType: "Employee", FTE: 1}},
	}
}

func deptOf(i int) string {
	if i%2 == 0 {
		return "ICT"
	}
	return "Sales"
}

// runReconcile runs one reconciliation to its end.
func runReconcile(t *testing.T, c client.Client, tq, id string) workflows.ReconcileResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, workflows.ReconcileWorkflowName, workflows.ReconcileInput{PageSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.ReconcileResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("reconcile %s: %v", id, err)
	}
	return res
}

// settle waits until the simulator has seen no write for a while: the entity
// workflows the reconciliation signalled have finished their work.
func settle(t *testing.T, sim *graphsim.Sim, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	last, quiet := -1, 0
	for time.Now().Before(deadline) {
		w := sim.Stats().Writes
		if w == last && ready() {
			quiet++
			if quiet >= 6 {
				return
			}
		} else {
			quiet = 0
		}
		last = w
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("Graph did not settle (writes %d)", sim.Stats().Writes)
}

func groupsOf(sim *graphsim.Sim, upnOrID string) []string {
	gs := sim.UserGroups(upnOrID)
	slices.Sort(gs)
	return gs
}

func writeRoutes(st graphsim.Stats) map[string]int {
	out := map[string]int{}
	for k, v := range st.ByRoute {
		if !strings.HasPrefix(k, "GET ") {
			out[k] = v
		}
	}
	return out
}

// The dev stack reconciles a 200-employee organisation from zero, a second
// run finds nothing to do (zero Graph writes), and a changed HR snapshot
// produces exactly the expected writes.
func TestReconcileOrganisation(t *testing.T) {
	s := startStack(t, devstack.Options{
		GraphAddr: mustFreeAddr(t),
		GraphSeed: &graphsim.Seed{Domains: []string{"contoso.example"}, Groups: []graphsim.SeedGroup{
			{DisplayName: "All Staff"}, {DisplayName: "ICT Admins"}, {DisplayName: "Sales"}, {DisplayName: "Unmanaged Club"}}},
	})
	sim := s.Graph()
	base := s.GraphBaseURL()
	org := &reconcileOrg{employees: map[string]hr.Employee{}}
	const n = 200
	for i := range n {
		org.set(orgEmployee(i, deptOf(i), nil))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := directory.New(context.Background(), directory.Config{BaseURL: s.GraphBaseURL()}, directory.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	src, err := file.New(file.Config{}, file.WithLoader("e2e organisation", org.load))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, s, client.Options{Logger: quiet})
	const tq = "e2e-reconcile"
	w := worker.New(c, tq, worker.Options{})
	workflows.Register(w, &activities.Activities{Identity: "e2e-reconcile", Directory: dir, HR: src, Logger: quiet,
		Policy: func(context.Context) (*policy.Policy, error) {
			return policy.Parse("policy.yaml", []byte(reconcilePolicy))
		}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	// Run 1: from zero, every employee is a hire delivered to its entity.
	res := runReconcile(t, c, tq, "reconcile/e2e-1")
	if sum := res.Progress.Summary; sum == nil || sum.Hire != n || sum.Actionable() != n || res.Progress.Applied != n || res.Progress.Failed != 0 {
		t.Fatalf("first run: %+v summary %+v", res.Progress, res.Progress.Summary)
	}
	settle(t, sim, func() bool { return sim.UserCount() == n })
	for i := range n {
		u, ok := userByEmployeeID(t, base, orgEmployee(i, "", nil).EmployeeID)
		if !ok {
			t.Fatalf("employee %d has no account", i)
		}
		want := []string{"All Staff", "ICT Admins"}
		if deptOf(i) == "Sales" {
			want = []string{"All Staff", "Sales"}
		}
		if got := groupsOf(sim, u); !slices.Equal(got, want) {
			t.Fatalf("employee %d groups %v, want %v", i, got, want)
		}
	}

	// Run 2: nothing to do, no Graph writes, reads within one paged pass.
	sim.ResetStats()
	res = runReconcile(t, c, tq, "reconcile/e2e-2")
	st := sim.Stats()
	if sum := res.Progress.Summary; sum == nil || sum.Actionable() != 0 || sum.InSync != n || res.Progress.Applied != 0 {
		t.Fatalf("second run found work: %+v summary %+v", res.Progress, res.Progress.Summary)
	}
	if st.Writes != 0 {
		t.Fatalf("second run wrote to Graph: %v", writeRoutes(st))
	}
	// users (1 page) + 3 managed groups' members (1 page each) + 3 name
	// lookups at most (the directory caches them).
	if st.Reads > 7 || st.ByRoute["GET /users"] != 1 || st.ByRoute["GET /groups/{id}/members"] != 3 {
		t.Fatalf("second run reads %d: %v", st.Reads, st.ByRoute)
	}

	// Changed snapshot: one transfer, one leaver, one joiner, and a hand
	// edit in Entra (someone removed from ICT Admins).
	transfer, leaver, drifted := 2, 4, 6 // all ICT
	org.set(orgEmployee(transfer, "Sales", nil))
	yesterday := hr.DateIn(time.Now().AddDate(0, 0, -2), time.UTC)
	org.set(orgEmployee(leaver, "ICT", &yesterday))
	org.set(orgEmployee(n, "ICT", nil))
	driftedID, _ := userByEmployeeID(t, base, orgEmployee(drifted, "", nil).EmployeeID)
	removeMember(t, s.GraphBaseURL(), sim, "ICT Admins", driftedID)

	// A dry run through the CLI shows that plan and writes nothing.
	sim.ResetStats()
	out := runStarter(t, s, tq, "reconcile", "--dry-run", "--json")
	var plan struct {
		Actions []activities.PlanAction `json:"actions"`
		Guard   policy.GuardResult      `json:"guard"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("dry-run JSON: %v\n%s", err, out)
	}
	var got []string
	for _, a := range plan.Actions {
		got = append(got, a.Action+":"+a.EmployeeID)
	}
	slices.Sort(got)
	want := []string{"exit:5004", "hire:5200", "move:5002", "repair:5006"}
	if !slices.Equal(got, want) {
		t.Fatalf("dry-run plan %v, want %v", got, want)
	}
	if plan.Guard.Tripped || plan.Guard.Total != n || plan.Guard.Disables != 1 {
		t.Fatalf("dry-run guard %+v", plan.Guard)
	}
	if table := runStarter(t, s, tq, "reconcile", "--dry-run"); !strings.Contains(table, "repair") || !strings.Contains(table, "add group:ICT Admins") {
		t.Fatalf("dry-run table lacks the repair:\n%s", table)
	}
	if st := sim.Stats(); st.Writes != 0 {
		t.Fatalf("dry run wrote to Graph: %v", writeRoutes(st))
	}

	// Run 3 applies it.
	sim.ResetStats()
	res = runReconcile(t, c, tq, "reconcile/e2e-3")
	if sum := res.Progress.Summary; sum == nil || sum.Hire != 1 || sum.Move != 1 || sum.Exit != 1 || sum.Repair != 1 || res.Progress.Applied != 4 {
		t.Fatalf("third run: %+v summary %+v", res.Progress, res.Progress.Summary)
	}
	joinerID := orgEmployee(n, "", nil).EmployeeID
	transferID := orgEmployee(transfer, "", nil).EmployeeID
	leaverID := orgEmployee(leaver, "", nil).EmployeeID
	settle(t, sim, func() bool {
		u, ok := userByEmployeeID(t, base, joinerID)
		tu, _ := userByEmployeeID(t, base, transferID)
		lu, _ := userByEmployeeID(t, base, leaverID)
		lv, _ := sim.User(lu)
		return ok && len(sim.UserGroups(u)) == 2 && slices.Contains(sim.UserGroups(tu), "Sales") && lv["accountEnabled"] == false
	})
	st = sim.Stats()
	if got := groupsOf(sim, driftedID); !slices.Equal(got, []string{"All Staff", "ICT Admins"}) {
		t.Fatalf("drift not repaired: %v", got)
	}
	tu, _ := userByEmployeeID(t, base, transferID)
	if got := groupsOf(sim, tu); !slices.Equal(got, []string{"All Staff", "Sales"}) {
		t.Fatalf("transfer groups %v", got)
	}
	lu, _ := userByEmployeeID(t, base, leaverID)
	if got := groupsOf(sim, lu); len(got) != 0 {
		t.Fatalf("leaver keeps %v", got)
	}
	t.Logf("writes of the changed snapshot: %v", writeRoutes(st))
	// The expected writes, by the requests Graph executes ($batch envelopes
	// are transport: their sub-requests are counted under their own routes):
	//   repair:   one member add (the group removed by hand)
	//   joiner:   create (disabled), two member adds, enable
	//   transfer: one attribute patch, one member add, one member removal
	//   leaver:   disable, revoke sessions, two member removals, leave date
	// Nobody else is written to.
	expected := map[string]int{
		"POST /users":                           1,
		"POST /groups/{id}/members/$ref":        1 + 2 + 1,
		"DELETE /groups/{id}/members/{id}/$ref": 1 + 2,
		"PATCH /users/{id}":                     1 + 1 + 2,
		"POST /users/{id}/revokeSignInSessions": 1,
	}
	gotW := writeRoutes(st)
	for route, v := range gotW {
		if route == "POST /$batch" {
			continue
		}
		if expected[route] != v {
			t.Errorf("%s: %d writes, want %d (all writes %v)", route, v, expected[route], gotW)
		}
	}
	for route, v := range expected {
		if gotW[route] != v {
			t.Errorf("%s: %d writes, want %d (all writes %v)", route, gotW[route], v, gotW)
		}
	}

	// Run 4: in sync again.
	sim.ResetStats()
	res = runReconcile(t, c, tq, "reconcile/e2e-4")
	if st := sim.Stats(); st.Writes != 0 || res.Progress.Summary.Actionable() != 0 {
		t.Fatalf("fourth run: %+v writes %v", res.Progress.Summary, writeRoutes(st))
	}
}

func mustFreeAddr(t *testing.T) string {
	t.Helper()
	a, err := devstack.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// userByEmployeeID finds a user's object id through the simulator's Graph
// API, as an administrator would ($filter on employeeId).
func userByEmployeeID(t *testing.T, base, employeeID string) (string, bool) {
	t.Helper()
	q := url.Values{"$filter": {"employeeId eq '" + employeeID + "'"}, "$select": {"id,employeeId"}}
	resp, err := http.Get(base + "/users?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("find user %s: %s %v", employeeID, resp.Status, err)
	}
	if len(body.Value) != 1 {
		return "", false
	}
	return body.Value[0].ID, true
}

// removeMember removes a member by hand through Graph, as an administrator
// editing Entra would.
func removeMember(t *testing.T, base string, sim *graphsim.Sim, group, userID string) {
	t.Helper()
	gid, ok := sim.GroupID(group)
	if !ok {
		t.Fatalf("no group %s", group)
	}
	req, err := http.NewRequest(http.MethodDelete, base+"/groups/"+gid+"/members/"+userID+"/$ref", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove member: %s", resp.Status)
	}
}

// runStarter runs the starter binary against the stack and returns its output.
func runStarter(t *testing.T, s *devstack.Stack, tq string, args ...string) string {
	t.Helper()
	bin := buildBinary(t, "starter")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), "TEMPORAL_ADDRESS="+s.FrontendAddr(), "TEMPORAL_NAMESPACE="+s.Namespace(), "LIFECYCLE_TASK_QUEUE="+tq)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("starter %v: %v\n%s%s", args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
