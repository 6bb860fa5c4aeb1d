package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/workflows"
)

// The engine trusts the directory, not its memory: an account that vanishes
// is brought back exactly once, the entity's status tells the truth, and a
// reconciliation counts the work as applied only when the entity confirms it.

// shState is the part of the entity's state the self-healing tests read.
type shState struct {
	lcState
	AccountNote string `json:"accountNote"`
}

func (e *lcEnv) shState(id string) (shState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := e.c.QueryWorkflow(ctx, workflows.EmployeeWorkflowID(id), "", workflows.QueryState)
	if err != nil {
		return shState{}, err
	}
	var st shState
	return st, v.Get(&st)
}

// shPurge removes a deleted user from deleted items for good, as an
// administrator can (or as Entra does after 30 days).
func shPurge(t *testing.T, e *lcEnv, id string) {
	t.Helper()
	graphDelete(t, e.simURL+"/v1.0/directory/deletedItems/"+id, "purge "+id)
}

func TestSelfHealVanishedAccount(t *testing.T) {
	e := newLCEnv(t)
	e.startWorker()
	const id = "1001"
	const upn = "jan.devries@contoso.example"
	e.put(lcPerson(id, "Jan", "de", "Vries", lcContract(id+"-1", e.today.AddDays(-30), nil, "ICT", "F045", "Systeembeheerder", lcManagerA)))
	e.notify(id, "contract-created")
	st := e.waitState(id, 1, workflows.EventHire, time.Minute, hasStatus(workflows.StatusActive))
	first := st.ObjectID
	healthy := want{upn: upn, displayName: "Jan de Vries", jobTitle: "Systeembeheerder", department: "ICT", enabled: true,
		manager: lcManagerAU, groups: []string{"All Staff", "ICT Admins"}, licenses: []string{"SPE_E3"}}

	// 1. Deleted by hand; `starter sync` (an HR notification) restores the
	// same object from deleted items.
	if err := e.dir.DeleteUser(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	e.notify(id, "sync")
	eventually(t, time.Minute, func() error {
		s, err := e.shState(id)
		if err != nil {
			return err
		}
		// The same object comes back. Under replication lag the restored account may be seen
		// first by its employee id (a retried step), so the note says restored or adopted.
		if s.Status != workflows.StatusActive || s.ObjectID != first ||
			!(strings.Contains(s.AccountNote, "restored") || strings.Contains(s.AccountNote, "adopted")) {
			return fmt.Errorf("status %s object %s note %q error %q", s.Status, s.ObjectID, s.AccountNote, s.LastError)
		}
		return e.check(id, healthy)
	})
	if n := e.usersWithEmployeeID(id); n != 1 {
		t.Fatalf("%d accounts carry employee id %s after the restore, want 1", n, id)
	}

	// 2. Deleted and purged; a reconciliation plans a hire, the entity
	// creates the account again, and the run counts it applied only then.
	if err := e.dir.DeleteUser(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	shPurge(t, e, first)
	res := shReconcile(t, e, "reconcile/selfheal-1")
	p := res.Progress
	if p.Failed != 0 || p.Applied != p.Planned || p.Applied == 0 {
		t.Fatalf("reconcile progress %+v", p)
	}
	// The update answered after the entity's pass: the account exists now,
	// not some time later.
	s, err := e.shState(id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != workflows.StatusActive || s.ObjectID == first || s.ObjectID == "" || !strings.Contains(s.AccountNote, "created it again") {
		t.Fatalf("after the reconciliation: status %s object %s (was %s) note %q", s.Status, s.ObjectID, first, s.AccountNote)
	}
	if u, ok := e.sim.User(s.ObjectID); !ok || u["employeeId"] != id {
		t.Fatalf("the entity's object %s is not in the tenant: %v", s.ObjectID, u)
	}
	if n := e.usersWithEmployeeID(id); n != 1 {
		t.Fatalf("%d accounts carry employee id %s after the recreate, want 1", n, id)
	}
	if err := e.check(id, healthy); err != nil {
		t.Fatalf("tenant after the recreate: %v", err)
	}

	// 3. A second reconciliation finds nothing to do for the employee.
	res = shReconcile(t, e, "reconcile/selfheal-2")
	if res.Progress.Failed != 0 {
		t.Fatalf("second reconcile: %+v", res.Progress)
	}
	if n := e.usersWithEmployeeID(id); n != 1 {
		t.Fatalf("%d accounts after the second reconciliation", n)
	}
}

// shReconcile runs one reconciliation on the test's task queue to its end.
func shReconcile(t *testing.T, e *lcEnv, wid string) workflows.ReconcileResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: e.tq}, workflows.ReconcileWorkflowName, workflows.ReconcileInput{})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.ReconcileResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("reconcile %s: %v", wid, err)
	}
	return res
}

// An HR file in which every contract ended yesterday, delivered the way the
// dev start delivers it (one hr-changed signal per employee): the tenant-wide
// guard lets exits through up to its budget (10% of the managed accounts
// within 24 hours), holds the rest in awaiting-approval, and `starter guard
// approve --all` releases them.
func TestGuardHoldsMassExitFromSignals(t *testing.T) {
	e := newLCEnv(t)
	e.policy = strings.Replace(lcPolicy, "maxDisablePercent: 50", "maxDisablePercent: 10\n  window: 24h", 1)
	const n = 40
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%d", 3000+i)
		ids = append(ids, id)
		e.put(lcPerson(id, "Emma", "", fmt.Sprintf("Tester%d", i), lcContract(id+"-1", e.today.AddDays(-100), nil, "Sales", "S01", "Verkoper", lcManagerB)))
	}
	e.startWorker()
	syncAll := func() {
		t.Helper()
		snap, err := e.acts.HR.Snapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.d.SyncAll(t.Context(), snap, "dev-start"); err != nil {
			t.Fatal(err)
		}
	}
	statuses := func() map[workflows.EntityStatus][]string {
		out := map[workflows.EntityStatus][]string{}
		for _, id := range ids {
			st, err := e.state(id)
			if err != nil {
				out["error"] = append(out["error"], id)
				continue
			}
			out[st.Status] = append(out[st.Status], id)
		}
		return out
	}
	syncAll()
	eventually(t, 4*time.Minute, func() error {
		if s := statuses(); len(s[workflows.StatusActive]) != n {
			return fmt.Errorf("hired %d of %d", len(s[workflows.StatusActive]), n)
		}
		// The guard counts the managed accounts in visibility.
		if c := shCount(t, e, workflows.StatusActive); c < n {
			return fmt.Errorf("visibility shows %d active entities", c)
		}
		return nil
	})

	yesterday := e.today.AddDays(-1)
	for _, id := range ids {
		e.edit(id, func(p *hr.Employee) { p.Contracts[0].End = datePtr(yesterday) })
	}
	syncAll()
	var left, held []string
	eventually(t, 3*time.Minute, func() error {
		s := statuses()
		left, held = s[workflows.StatusLeft], s[workflows.StatusAwaitingApproval]
		if len(left)+len(held) != n {
			return fmt.Errorf("left %d, held %d of %d (%v)", len(left), len(held), n, s)
		}
		return nil
	})
	// 42 managed accounts (40 plus the two managers' adopted ones): 10% is 4.
	if len(left) == 0 || len(left) > 4 {
		t.Fatalf("%d exits went through, want between 1 and the budget of 4", len(left))
	}
	disabled := 0
	for _, id := range ids {
		if u, ok := shUserByEmployeeID(e, id); ok && u["accountEnabled"] == false {
			disabled++
		}
	}
	if disabled != len(left) {
		t.Fatalf("%d accounts disabled, %d entities left", disabled, len(left))
	}
	eventually(t, time.Minute, func() error {
		if c := shCount(t, e, workflows.StatusAwaitingApproval); c != len(held) {
			return fmt.Errorf("visibility shows %d entities awaiting approval, want %d", c, len(held))
		}
		return nil
	})
	out := rcStarter(t, e.stack, e.tq, "guard", "list")
	if !strings.Contains(out, fmt.Sprintf("%d exit(s) wait for approval", len(held))) || !strings.Contains(out, held[0]) {
		t.Fatalf("guard list:\n%s", out)
	}
	out = rcStarter(t, e.stack, e.tq, "guard", "approve", "--all", "--by", "e2e")
	if !strings.Contains(out, fmt.Sprintf("approved %d held exit(s)", len(held))) {
		t.Fatalf("guard approve:\n%s", out)
	}
	eventually(t, 3*time.Minute, func() error {
		if s := statuses(); len(s[workflows.StatusLeft]) != n {
			return fmt.Errorf("left %d of %d after approval", len(s[workflows.StatusLeft]), n)
		}
		return nil
	})
	for _, id := range ids {
		if u, ok := shUserByEmployeeID(e, id); !ok || u["accountEnabled"] != false {
			t.Errorf("account of %s after approval: %v", id, u)
		}
	}
	if out := rcStarter(t, e.stack, e.tq, "guard", "list"); !strings.Contains(out, "no exit waits for approval") {
		t.Errorf("guard list after approval:\n%s", out)
	}
}

// shCount counts the running entities with a LifecycleStatus in visibility.
func shCount(t *testing.T, e *lcEnv, status workflows.EntityStatus) int {
	t.Helper()
	resp, err := e.c.CountWorkflow(t.Context(), &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND %s = '%s'",
			workflows.EmployeeWorkflowName, workflows.SALifecycleStatus, status),
	})
	if err != nil {
		t.Fatalf("count workflows: %v", err)
	}
	return int(resp.GetCount())
}

// shUserByEmployeeID finds the active user carrying an employee id in the simulator.
func shUserByEmployeeID(e *lcEnv, id string) (map[string]any, bool) {
	for _, u := range e.sim.Snapshot().Users {
		if u["employeeId"] == id {
			return u, true
		}
	}
	return nil, false
}
