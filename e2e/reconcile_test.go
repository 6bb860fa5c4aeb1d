package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/reconcile"
	"github.com/entralifecycle/engine/internal/testenv"
	"github.com/entralifecycle/engine/workflows"
)

const rcPolicy = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, createDaysBeforeStart: 14, temporaryAccessPass: false, leaveTime: "17:00", deleteAfterDays: 30}
guard: {maxDisablePercent: 5, maxDeletePercent: 2}
` + testenv.DepartmentRules

func rcOrgEmployee(i int, dept string, end *hr.Date) hr.Employee {
	id := fmt.Sprintf("%d", 5000+i)
	return hr.Employee{
		EmployeeID: id, GivenName: "Emma", FamilyName: fmt.Sprintf("Tester%d", i), PreferredName: "Emma",
		Contracts: []hr.Contract{{ID: id + "-1", Start: hr.MustParseDate("2024-01-01"), End: end, JobCode: "J1", JobTitle: "Engineer",
			Department: dept, DepartmentName: dept + " dept", CostCenter: "4100", Company: "Contoso B.V.", EmployeeType: "Employee", FTE: 1}},
	}
}

func rcDeptOf(i int) string {
	if i%2 == 0 {
		return "ICT"
	}
	return "Sales"
}

// rcRunReconcile runs one reconciliation to its end.
func rcRunReconcile(t *testing.T, c client.Client, tq, id string) workflows.ReconcileResult {
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

// rcSettle waits until the simulator has seen no write for a while: the entity
// workflows the reconciliation signalled have finished their work.
func rcSettle(t *testing.T, sim *graphsim.Sim, ready func() bool) {
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
	t.Fatalf("Graph did not rcSettle (writes %d)", sim.Stats().Writes)
}

func rcGroupsOf(sim *graphsim.Sim, upnOrID string) []string {
	gs := sim.UserGroups(upnOrID)
	slices.Sort(gs)
	return gs
}

func rcWriteRoutes(st graphsim.Stats) map[string]int {
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
		GraphAddr: rcFreeAddr(t),
		GraphSeed: &graphsim.Seed{Domains: []string{"contoso.example"}, Groups: []graphsim.SeedGroup{
			{DisplayName: "All Staff"}, {DisplayName: "ICT Admins"}, {DisplayName: "Sales"}, {DisplayName: "Unmanaged Club"}}},
	})
	sim := s.Graph()
	base := s.GraphBaseURL()
	org := testenv.NewHR()
	const n = 200
	for i := range n {
		org.Set(rcOrgEmployee(i, rcDeptOf(i), nil))
	}
	quiet := testenv.Quiet()
	dir := testenv.Directory(t, s.GraphBaseURL(), "")
	src := org.Source(t, "e2e organisation")
	c := dial(t, s, client.Options{Logger: quiet})
	const tq = "e2e-reconcile"
	w := worker.New(c, tq, worker.Options{})
	workflows.Register(w, &activities.Activities{Identity: "e2e-reconcile", Directory: dir, HR: src, Logger: quiet,
		Policy: testenv.NewPolicy(rcPolicy).Load})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	// Run 1: from zero, every employee is a hire delivered to its entity.
	res := rcRunReconcile(t, c, tq, "reconcile/e2e-1")
	if sum := res.Progress.Summary; sum == nil || sum.Hire != n || sum.Actionable() != n || res.Progress.Applied != n || res.Progress.Failed != 0 {
		t.Fatalf("first run: %+v summary %+v", res.Progress, res.Progress.Summary)
	}
	rcSettle(t, sim, func() bool { return sim.UserCount() == n })
	for i := range n {
		u, ok := rcUserByEmployeeID(t, base, rcOrgEmployee(i, "", nil).EmployeeID)
		if !ok {
			t.Fatalf("employee %d has no account", i)
		}
		want := []string{"All Staff", "ICT Admins"}
		if rcDeptOf(i) == "Sales" {
			want = []string{"All Staff", "Sales"}
		}
		if got := rcGroupsOf(sim, u); !slices.Equal(got, want) {
			t.Fatalf("employee %d groups %v, want %v", i, got, want)
		}
	}

	// Run 2: nothing to do, no Graph writes, reads within one paged pass.
	sim.ResetStats()
	res = rcRunReconcile(t, c, tq, "reconcile/e2e-2")
	st := sim.Stats()
	if sum := res.Progress.Summary; sum == nil || sum.Actionable() != 0 || sum.InSync != n || res.Progress.Applied != 0 {
		t.Fatalf("second run found work: %+v summary %+v", res.Progress, res.Progress.Summary)
	}
	if st.Writes != 0 {
		t.Fatalf("second run wrote to Graph: %v", rcWriteRoutes(st))
	}
	// users (1 page) + 3 managed groups' members (1 page each) + 3 name
	// lookups at most (the directory caches them).
	if st.Reads > 7 || st.ByRoute["GET /users"] != 1 || st.ByRoute["GET /groups/{id}/members"] != 3 {
		t.Fatalf("second run reads %d: %v", st.Reads, st.ByRoute)
	}

	// Changed snapshot: one transfer, one leaver, one joiner, and a hand
	// edit in Entra (someone removed from ICT Admins).
	transfer, leaver, drifted := 2, 4, 6 // all ICT
	org.Set(rcOrgEmployee(transfer, "Sales", nil))
	yesterday := hr.DateIn(time.Now().AddDate(0, 0, -2), time.UTC)
	org.Set(rcOrgEmployee(leaver, "ICT", &yesterday))
	org.Set(rcOrgEmployee(n, "ICT", nil))
	driftedID, _ := rcUserByEmployeeID(t, base, rcOrgEmployee(drifted, "", nil).EmployeeID)
	rcRemoveMember(t, s.GraphBaseURL(), sim, "ICT Admins", driftedID)
	// And someone changed another account's job title by hand: HR did not
	// change, the entity has applied HR's view, so this is a repair too.
	retitled := 8
	retitledID, _ := rcUserByEmployeeID(t, base, rcOrgEmployee(retitled, "", nil).EmployeeID)
	rcPatchUser(t, base, retitledID, `{"jobTitle":"Chief Everything"}`)

	// A dry run through the CLI shows that plan and writes nothing.
	sim.ResetStats()
	out := rcStarter(t, s, tq, "reconcile", "--dry-run", "--json")
	var plan struct {
		Actions []reconcile.PlanAction `json:"actions"`
		Guard   policy.GuardResult     `json:"guard"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("dry-run JSON: %v\n%s", err, out)
	}
	var got []string
	for _, a := range plan.Actions {
		got = append(got, a.Action+":"+a.EmployeeID)
	}
	slices.Sort(got)
	want := []string{"exit:5004", "hire:5200", "move:5002", "repair:5006", "repair:5008"}
	if !slices.Equal(got, want) {
		t.Fatalf("dry-run plan %v, want %v", got, want)
	}
	if plan.Guard.Tripped || plan.Guard.Total != n || plan.Guard.Disables != 1 {
		t.Fatalf("dry-run guard %+v", plan.Guard)
	}
	if table := rcStarter(t, s, tq, "reconcile", "--dry-run"); !strings.Contains(table, "repair") || !strings.Contains(table, "add group:ICT Admins") {
		t.Fatalf("dry-run table lacks the repair:\n%s", table)
	}
	if st := sim.Stats(); st.Writes != 0 {
		t.Fatalf("dry run wrote to Graph: %v", rcWriteRoutes(st))
	}

	// Run 3 applies it.
	sim.ResetStats()
	res = rcRunReconcile(t, c, tq, "reconcile/e2e-3")
	if sum := res.Progress.Summary; sum == nil || sum.Hire != 1 || sum.Move != 1 || sum.Exit != 1 || sum.Repair != 2 || res.Progress.Applied != 5 {
		t.Fatalf("third run: %+v summary %+v", res.Progress, res.Progress.Summary)
	}
	joinerID := rcOrgEmployee(n, "", nil).EmployeeID
	transferID := rcOrgEmployee(transfer, "", nil).EmployeeID
	leaverID := rcOrgEmployee(leaver, "", nil).EmployeeID
	rcSettle(t, sim, func() bool {
		u, ok := rcUserByEmployeeID(t, base, joinerID)
		tu, _ := rcUserByEmployeeID(t, base, transferID)
		lu, _ := rcUserByEmployeeID(t, base, leaverID)
		lv, _ := sim.User(lu)
		return ok && len(sim.UserGroups(u)) == 2 && slices.Contains(sim.UserGroups(tu), "Sales") && lv["accountEnabled"] == false
	})
	st = sim.Stats()
	if got := rcGroupsOf(sim, driftedID); !slices.Equal(got, []string{"All Staff", "ICT Admins"}) {
		t.Fatalf("drift not repaired: %v", got)
	}
	if u, _ := sim.User(retitledID); u["jobTitle"] != "Engineer" {
		t.Fatalf("job title not restored: %v", u["jobTitle"])
	}
	tu, _ := rcUserByEmployeeID(t, base, transferID)
	if got := rcGroupsOf(sim, tu); !slices.Equal(got, []string{"All Staff", "Sales"}) {
		t.Fatalf("transfer groups %v", got)
	}
	lu, _ := rcUserByEmployeeID(t, base, leaverID)
	if got := rcGroupsOf(sim, lu); len(got) != 0 {
		t.Fatalf("leaver keeps %v", got)
	}
	t.Logf("writes of the changed snapshot: %v", rcWriteRoutes(st))
	// The expected writes, by the requests Graph executes ($batch envelopes
	// are transport: their sub-requests are counted under their own routes):
	//   repair:   one member add (the group removed by hand); one patch
	//             (the job title changed by hand)
	//   joiner:   create (enabled: the start moment has passed), two member adds
	//   transfer: one attribute patch, one member add, one member removal
	//   leaver:   disable, revoke sessions, two member removals, leave date
	// Nobody else is written to. Member adds to the same group that happen
	// within the directory client's group window go out together as one
	// PATCH /groups/{id} (members@odata.bind): counted here as the adds they carry.
	expected := map[string]int{
		"POST /users":                           1,
		"POST /groups/{id}/members/$ref":        1 + 2 + 1,
		"DELETE /groups/{id}/members/{id}/$ref": 1 + 2,
		"PATCH /users/{id}":                     1 + 1 + 2,
		"POST /users/{id}/revokeSignInSessions": 1,
	}
	gotW := rcWriteRoutes(st)
	if folded := gotW["PATCH /groups/{id}"]; folded > 0 {
		delete(gotW, "PATCH /groups/{id}")
		gotW["POST /groups/{id}/members/$ref"] += 2 * folded
	}
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
	res = rcRunReconcile(t, c, tq, "reconcile/e2e-4")
	if st := sim.Stats(); st.Writes != 0 || res.Progress.Summary.Actionable() != 0 {
		t.Fatalf("fourth run: %+v writes %v", res.Progress.Summary, rcWriteRoutes(st))
	}

	// Run 5 through the CLI: 12 leavers of 200 managed accounts (6%) trip
	// the 5% guard. The run pauses with LifecycleStatus=awaiting-approval,
	// nothing is disabled until `reconcile approve`.
	var leavers []string
	for i := 10; i < 34; i += 2 {
		org.Set(rcOrgEmployee(i, "ICT", &yesterday))
		id, _ := rcUserByEmployeeID(t, base, rcOrgEmployee(i, "", nil).EmployeeID)
		leavers = append(leavers, id)
	}
	out = rcStarter(t, s, tq, "reconcile")
	if !strings.Contains(out, "awaiting approval") || !strings.Contains(out, "approval needed") {
		t.Fatalf("guard did not pause the run:\n%s", out)
	}
	var runID string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "starter" && f[2] == "approve" {
			runID = f[3]
		}
	}
	if runID == "" {
		t.Fatalf("no approve command printed:\n%s", out)
	}
	listCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waiting := false
	for !waiting && listCtx.Err() == nil {
		resp, err := c.ListWorkflow(listCtx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s' AND LifecycleStatus = 'awaiting-approval'", runID)})
		if err != nil {
			t.Fatal(err)
		}
		waiting = len(resp.GetExecutions()) == 1
		time.Sleep(300 * time.Millisecond)
	}
	if !waiting {
		t.Fatalf("%s is not listed with LifecycleStatus=awaiting-approval", runID)
	}
	time.Sleep(2 * time.Second)
	for _, id := range leavers {
		if u, _ := sim.User(id); u["accountEnabled"] != true {
			t.Fatalf("a held exit was applied before approval: %s", id)
		}
	}
	if out := rcStarter(t, s, tq, "reconcile", "approve", runID, "--by", "e2e"); !strings.Contains(out, "approved "+runID) {
		t.Fatalf("approve: %s", out)
	}
	var final workflows.ReconcileResult
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	if err := c.GetWorkflow(wctx, runID, "").Get(wctx, &final); err != nil {
		t.Fatal(err)
	}
	if p := final.Progress; p.Decision != workflows.DecisionApproved || p.DecidedBy != "e2e" || p.Applied != len(leavers) || p.Phase != workflows.PhaseDone {
		t.Fatalf("approved run: %+v", p)
	}
	rcSettle(t, sim, func() bool {
		for _, id := range leavers {
			if u, _ := sim.User(id); u["accountEnabled"] != false {
				return false
			}
		}
		return true
	})
}

// The reconciliation schedule through the CLI: create (every 15m, overlap
// skip, catch-up window), describe, pause, unpause, delete.
func TestReconcileScheduleCommands(t *testing.T) {
	s := startStack(t, devstack.Options{})
	const tq = "e2e-schedule"
	describe := func() map[string]any {
		var d map[string]any
		if err := json.Unmarshal([]byte(rcStarter(t, s, tq, "schedule", "describe", "--json")), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	if out := rcStarter(t, s, tq, "schedule", "create", "--every", "15m", "--catchup-window", "30m", "--dry-run"); !strings.Contains(out, "created") {
		t.Fatalf("create: %s", out)
	}
	if _, err := rcStarterOutput(t, s, tq, "schedule", "create"); err == nil {
		t.Fatal("a second create must fail: the schedule exists")
	}
	d := describe()
	if d["id"] != workflows.ReconcileScheduleID || fmt.Sprint(d["every"]) != "[15m0s]" || d["overlap"] != "skip" ||
		d["catchupWindow"] != "30m0s" || d["paused"] != false || d["workflowType"] != workflows.ReconcileWorkflowName {
		t.Fatalf("describe: %v", d)
	}
	rcStarter(t, s, tq, "schedule", "pause", "--note", "maintenance")
	if d := describe(); d["paused"] != true || d["note"] != "maintenance" {
		t.Fatalf("after pause: %v", d)
	}
	rcStarter(t, s, tq, "schedule", "unpause")
	if d := describe(); d["paused"] != false {
		t.Fatalf("after unpause: %v", d)
	}
	rcStarter(t, s, tq, "schedule", "delete")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := rcStarterOutput(t, s, tq, "schedule", "describe")
		if err != nil && strings.Contains(out, "no schedule") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("schedule still described after delete: %s %v", out, err)
		}
		time.Sleep(time.Second)
	}
}

func rcFreeAddr(t *testing.T) string {
	t.Helper()
	a, err := devstack.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// rcUserByEmployeeID finds a user's object id through the simulator's Graph
// API, as an administrator would ($filter on employeeId).
func rcUserByEmployeeID(t *testing.T, base, employeeID string) (string, bool) {
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

// rcRemoveMember removes a member by hand through Graph, as an administrator
// editing Entra would.
func rcRemoveMember(t *testing.T, base string, sim *graphsim.Sim, group, userID string) {
	t.Helper()
	gid, ok := sim.GroupID(group)
	if !ok {
		t.Fatalf("no group %s", group)
	}
	graphDelete(t, base+"/groups/"+gid+"/members/"+userID+"/$ref", "remove member")
}

// graphDelete sends a DELETE to the simulator, as an administrator would, and
// expects Graph's 204.
func graphDelete(t *testing.T, url, what string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("%s: %s", what, resp.Status)
	}
}

// rcPatchUser edits a user by hand through Graph.
func rcPatchUser(t *testing.T, base, id, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, base+"/users/"+id, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("patch user: %s", resp.Status)
	}
}

// rcStarter runs the starter binary against the stack and returns its output.
func rcStarter(t *testing.T, s *devstack.Stack, tq string, args ...string) string {
	t.Helper()
	out, err := rcStarterOutput(t, s, tq, args...)
	if err != nil {
		t.Fatalf("starter %v: %v\n%s", args, err, out)
	}
	return out
}

// rcStarterOutput runs the starter binary and returns its stdout, with stderr
// appended when it fails.
func rcStarterOutput(t *testing.T, s *devstack.Stack, tq string, args ...string) (string, error) {
	t.Helper()
	bin := buildBinary(t, "starter")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), "TEMPORAL_ADDRESS="+s.FrontendAddr(), "TEMPORAL_NAMESPACE="+s.Namespace(), "LIFECYCLE_TASK_QUEUE="+tq)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}
