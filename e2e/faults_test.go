package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/sample"
	"github.com/entralifecycle/engine/workflows"
)

// The fault suite runs the real `worker -dev` binary (embedded Temporal on SQLite, the Graph
// simulator on its own SQLite file, the worker) on the bundled sample organisation of 45
// employees, breaks it while the first wave of hires is under way, and asserts what matters
// afterwards: every employee has exactly one account, the groups the entity workflow holds
// are exactly the account's groups in the tenant, every employee who is not a leaver holds
// All Staff, nothing acknowledged before a crash is lost and durable timers still fire.
//
// go test ./e2e -run Fault                # short profile (CI)
// go test ./e2e -run Fault -faults=full   # full profile: more crashes, longer storms, latency
var faultsProfile = flag.String("faults", "short", "fault suite profile: short (CI) or full")

func fullFaults() bool { return *faultsProfile == "full" }

// sampleEmployees is the number of employees in the bundled sample HR.
func sampleEmployees(t *testing.T) []string {
	t.Helper()
	b, err := sample.HR(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Employees []struct {
			EmployeeID string `json:"employeeId"`
		} `json:"employees"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range doc.Employees {
		ids = append(ids, e.EmployeeID)
	}
	if len(ids) < 40 {
		t.Fatalf("sample HR has %d employees, want the 45 of the sample organisation", len(ids))
	}
	return ids
}

// devWorld is one `worker -dev` state directory and its addresses, across restarts.
type devWorld struct {
	t    *testing.T
	bin  string
	data string
	a    devAddrs
	p    *devProcess
	c    client.Client
}

func newDevWorld(t *testing.T) *devWorld {
	return &devWorld{t: t, bin: buildBinary(t, "worker"), data: t.TempDir(), a: freeAddrs(t)}
}

// start runs worker -dev and waits for its ready line, then dials the frontend.
func (w *devWorld) start() {
	w.t.Helper()
	for attempt := 1; ; attempt++ {
		w.p = startDevWorker(w.t, w.bin, w.data, w.a, nil)
		err := w.p.awaitReady(3 * time.Minute)
		if err == nil {
			break
		}
		// Another process may have bound the webhook's or the UI's port while this one was
		// down; those two may move (the frontend and the simulator keep theirs: the test
		// and the stored state refer to them).
		moved := false
		for _, a := range []*string{&w.a.webhook, &w.a.ui} {
			if errors.Is(err, errExitedEarly) && attempt < 3 && strings.Contains(w.p.stderr.String(), *a+": bind: address already in use") {
				w.t.Logf("restart: %s was taken meanwhile; moving it", *a)
				*a = freeAddr(w.t)
				moved = true
			}
		}
		if !moved {
			w.t.Fatal(err)
		}
	}
	c, err := client.Dial(client.Options{HostPort: w.a.frontend, Namespace: "default", Logger: quietSDKLogger()})
	if err != nil {
		w.t.Fatalf("dial: %v", err)
	}
	w.c = c
	w.t.Cleanup(c.Close)
}

// crash kills the whole process with SIGKILL: Temporal, the simulator and the worker die
// together, with no shutdown code run.
func (w *devWorld) crash() {
	w.t.Helper()
	w.c.Close()
	if err := w.p.cmd.Process.Kill(); err != nil {
		w.t.Fatal(err)
	}
	select {
	case <-w.p.done:
	case <-time.After(20 * time.Second):
		w.t.Fatal("killed worker -dev did not exit")
	}
}

// graphJSON GETs a simulator path into v.
func (w *devWorld) graphJSON(path string, v any) error {
	resp, err := http.Get("http://" + w.a.graph + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// injectFaults posts faults to the simulator's control API.
func (w *devWorld) injectFaults(faults ...map[string]any) {
	w.t.Helper()
	b, _ := json.Marshal(faults)
	resp, err := http.Post("http://"+w.a.graph+"/_sim/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		w.t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		w.t.Fatalf("inject faults: status %d", resp.StatusCode)
	}
}

// pendingFaults is how many injected faults have not been hit yet (count left).
func (w *devWorld) pendingFaults() (int, error) {
	var faults []struct {
		Count int `json:"count"`
	}
	if err := w.graphJSON("/_sim/faults", &faults); err != nil {
		return 0, err
	}
	n := 0
	for _, f := range faults {
		n += f.Count
	}
	return n, nil
}

type tenantUser struct {
	ID         string `json:"id"`
	EmployeeID string `json:"employeeId"`
	UPN        string `json:"userPrincipalName"`
}

// accounts lists the tenant's users with an employeeId: employeeId → user. Two accounts for
// one employee is an error.
func (w *devWorld) accounts() (map[string]tenantUser, error) {
	var page struct {
		Value []tenantUser `json:"value"`
	}
	if err := w.graphJSON("/v1.0/users?$select=id,employeeId,userPrincipalName&$top=999", &page); err != nil {
		return nil, err
	}
	out := map[string]tenantUser{}
	for _, u := range page.Value {
		if u.EmployeeID == "" {
			continue
		}
		if prev, dup := out[u.EmployeeID]; dup {
			return nil, fmt.Errorf("%w: employee %s has accounts %s and %s", errDuplicate, u.EmployeeID, prev.UPN, u.UPN)
		}
		out[u.EmployeeID] = u
	}
	return out, nil
}

var errDuplicate = errors.New("duplicate account")

// groupsOf lists the display names of the groups a user is a direct member of, sorted.
func (w *devWorld) groupsOf(id string) ([]string, error) {
	var page struct {
		Value []struct {
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	if err := w.graphJSON("/v1.0/users/"+id+"/memberOf?$select=displayName&$top=999", &page); err != nil {
		return nil, err
	}
	var out []string
	for _, g := range page.Value {
		out = append(out, g.DisplayName)
	}
	slices.Sort(out)
	return out, nil
}

// entity queries employee id's entity workflow.
func (w *devWorld) entity(id string) (lcState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := w.c.QueryWorkflow(ctx, workflows.EmployeeWorkflowID(id), "", workflows.QueryState)
	if err != nil {
		return lcState{}, err
	}
	var st lcState
	return st, v.Get(&st)
}

// settled checks the whole tenant against the entities: one account per employee, carrying
// the object id the entity recorded, with exactly the groups the entity holds (All Staff for
// everyone who has not left), and no entity blocked or failed.
func (w *devWorld) settled(employees []string) error {
	accs, err := w.accounts()
	if err != nil {
		return err
	}
	for _, id := range employees {
		acc, ok := accs[id]
		if !ok {
			return fmt.Errorf("employee %s has no account yet (%d of %d)", id, len(accs), len(employees))
		}
		st, err := w.entity(id)
		if err != nil {
			return fmt.Errorf("entity %s: %w", id, err)
		}
		if st.LastError != "" || st.Blocked || st.Status == workflows.StatusFailed {
			return fmt.Errorf("entity %s: status %s blocked %v error %q", id, st.Status, st.Blocked, st.LastError)
		}
		if st.ObjectID != acc.ID {
			return fmt.Errorf("entity %s records account %q, the tenant holds %s", id, st.ObjectID, acc.ID)
		}
		var want []string
		for _, h := range st.Entitlements {
			if h.Kind == policy.KindGroup && !slices.Contains(want, h.Name) {
				want = append(want, h.Name)
			}
		}
		slices.Sort(want)
		if st.Status != workflows.StatusLeft && !slices.Contains(want, "All Staff") {
			return fmt.Errorf("entity %s (%s) does not hold All Staff: %v", id, st.Status, want)
		}
		got, err := w.groupsOf(acc.ID)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("employee %s: groups in the tenant %v, the entity holds %v", id, got, want)
		}
	}
	return nil
}

// waitSettled waits until settled holds; a duplicate account fails at once.
func (w *devWorld) waitSettled(employees []string, within time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := w.settled(employees)
		if err == nil {
			return
		}
		if errors.Is(err, errDuplicate) {
			w.t.Fatalf("%v\n%s", err, w.p.stderr)
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("tenant not settled within %s: %v\nworker output:\n%s", within, err, w.p.stderr)
		}
		time.Sleep(time.Second)
	}
}

// checkAuditTrail reads the dev audit trail (<data>/audit.db) and checks it against the
// tenant: every account carrying an employee id has exactly one account.created record
// (none missing for an account a crashed attempt created, none twice for one a retry found),
// and every group membership in the tenant has a group.added record for that account and
// group that no later group.removed undid.
func (w *devWorld) checkAuditTrail(tenant map[string]tenantUser) (confirmed int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := audit.OpenSQLite(ctx, filepath.Join(w.data, "audit.db"))
	if err != nil {
		w.t.Fatalf("open the dev audit trail: %v", err)
	}
	defer store.Close()
	created, err := store.Query(ctx, audit.Filter{Actions: []audit.Action{audit.AccountCreated}})
	if err != nil {
		w.t.Fatal(err)
	}
	perAccount := map[string][]audit.Record{}
	for _, r := range created {
		perAccount[strings.ToLower(r.ObjectID)] = append(perAccount[strings.ToLower(r.ObjectID)], r)
		if strings.Contains(r.Reason, "confirmed on retry") {
			confirmed++
		}
	}
	grants := 0
	for id, u := range tenant {
		recs := perAccount[strings.ToLower(u.ID)]
		if len(recs) != 1 {
			w.t.Errorf("employee %s (account %s): %d account.created records, want exactly 1: %+v", id, u.ID, len(recs), recs)
		} else if recs[0].EmployeeID != id {
			w.t.Errorf("employee %s: account.created recorded for employee %q", id, recs[0].EmployeeID)
		}
		groups, err := w.groupsOf(u.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(groups) == 0 {
			continue
		}
		hist, err := store.Query(ctx, audit.Filter{ObjectID: u.ID, Actions: []audit.Action{audit.GroupAdded, audit.GroupRemoved}})
		if err != nil {
			w.t.Fatal(err)
		}
		held := map[string]bool{}
		for _, r := range hist { // oldest first: the last word on each group wins
			held[strings.ToLower(r.Target.Name)] = r.Action == audit.GroupAdded
		}
		for _, g := range groups {
			if !held[strings.ToLower(g)] {
				w.t.Errorf("employee %s is a member of %q in the tenant without a group.added record standing for it (history %d records)", id, g, len(hist))
			}
			grants++
		}
	}
	if len(created) != len(tenant) {
		w.t.Errorf("%d account.created records for %d accounts", len(created), len(tenant))
	}
	w.t.Logf("audit trail: %d account.created records (%d confirmed on retry after the crash), %d memberships each with their grant", len(created), confirmed, grants)
	return confirmed
}

// holdAuditWrites takes the dev audit trail's write lock (SQLite BEGIN IMMEDIATE; the
// worker's writes wait on it) and holds it until the tenant has more than have accounts, so
// that an account was created in Graph while its record could not be written; at most
// a few seconds, below the worker's busy timeout. caught says whether that happened. The
// returned release drops the lock; call it once the worker is killed.
func (w *devWorld) holdAuditWrites(have int) (release func(), caught bool) {
	w.t.Helper()
	// Slow POSTs to /users* down so that creates are under way in Graph when the lock is
	// taken: each is past its intent (written before the call) and will want its record.
	const slow = 8
	w.injectFaults(map[string]any{"method": "POST", "path": "/users", "latencyMs": 1500, "count": slow})
	eventually(w.t, time.Minute, func() error {
		n, err := w.pendingFaults()
		if err != nil {
			return err
		}
		if n > slow-3 {
			return fmt.Errorf("%d slowed requests under way", slow-n)
		}
		return nil
	})
	db, err := sql.Open("sqlite", "file:"+filepath.Join(w.data, "audit.db")+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		w.t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		_ = db.Close()
		w.t.Fatalf("lock the audit trail: %v", err)
	}
	release = func() {
		_ = tx.Rollback()
		_ = db.Close()
	}
	// Counted again now that the lock is held: accounts made while the faults were set up
	// had their records written before it and prove nothing.
	if accs, err := w.accounts(); err == nil {
		have = max(have, len(accs))
	}
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		accs, err := w.accounts()
		if err == nil && len(accs) > have {
			w.t.Logf("account %d created while the audit trail was locked", len(accs))
			return release, true
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Log("no account was created while the audit trail was locked; the crash tests the other windows only")
	return release, false
}

// Whole-process crash of worker -dev in the middle of the first wave (kill -9 once in the
// short profile, twice in the full one): after each restart every account created before
// the crash is still there under the same object id, every employee ends with exactly one
// correct account, and a workflow waiting on a durable timer when the process died
// completes. A last crash once everything is provisioned loses nothing either. The audit
// trail holds exactly one account.created record per account and a standing grant record
// for every group membership in the tenant, crashes or not.
func TestFaultDevCrashMidWave(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the start-to-close timeout of activities cut off by the crash")
	}
	employees := sampleEmployees(t)
	w := newDevWorld(t)
	w.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := w.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ping/crash", TaskQueue: workflows.DefaultTaskQueue},
		workflows.PingWorkflowName, workflows.PingRequest{Message: "timer kept", Wait: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	crashes := 1
	if fullFaults() {
		crashes = 2
	}
	seen := map[string]string{} // employeeId → object id, over all crashes
	caughtCreate := false       // an account was created while its audit record could not be written
	for i := range crashes {
		// Mid-wave: some accounts exist, not all.
		var before map[string]tenantUser
		eventually(t, 3*time.Minute, func() error {
			var err error
			if before, err = w.accounts(); err != nil {
				return err
			}
			if len(before) < 5*(i+1) {
				return fmt.Errorf("%d accounts so far", len(before))
			}
			return nil
		})
		if len(before) == len(employees) && i == 0 {
			t.Logf("the wave finished before the crash (%d accounts); the crash still tests durability", len(before))
		}
		release := func() {}
		if i == 0 {
			// The first crash comes while the audit trail cannot be written and an account
			// created in Graph waits for its record: the window a kill -9 must not lose.
			var caught bool
			release, caught = w.holdAuditWrites(len(before))
			caughtCreate = caughtCreate || caught
			if before, err = w.accounts(); err != nil {
				t.Fatal(err)
			}
		}
		for id, u := range before {
			seen[id] = u.ID
		}
		w.crash()
		release()
		t.Logf("crash %d with %d of %d accounts created", i+1, len(before), len(employees))
		w.start()
		after, err := w.accounts()
		if err != nil {
			t.Fatal(err)
		}
		for id, oid := range seen {
			if after[id].ID != oid {
				t.Fatalf("employee %s: account %s before the crash, %q after the restart", id, oid, after[id].ID)
			}
		}
	}
	// Activities cut off by the crash are retried after their start-to-close timeout.
	w.waitSettled(employees, 6*time.Minute)
	final, err := w.accounts()
	if err != nil {
		t.Fatal(err)
	}
	if len(final) != len(employees) {
		t.Fatalf("%d accounts with an employeeId, want %d", len(final), len(employees))
	}
	for id, oid := range seen {
		if final[id].ID != oid {
			t.Fatalf("employee %s: account %s replaced by %s", id, oid, final[id].ID)
		}
	}
	// The audit trail lost nothing the crashed attempts did in Entra and recorded nothing twice.
	if confirmed := w.checkAuditTrail(final); caughtCreate && confirmed == 0 {
		t.Error("an account was created while its audit record was held back and the process was killed, but no account.created was confirmed on retry")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res workflows.PingResult
	if err := w.c.GetWorkflow(ctx, "ping/crash", run.GetRunID()).Get(ctx, &res); err != nil {
		t.Fatalf("workflow waiting on a timer across the crash: %v", err)
	}
	if res.Activity.Message != "timer kept" {
		t.Fatalf("ping result %+v", res)
	}

	// A crash once everything is provisioned: the restarted stack holds the very same tenant.
	w.crash()
	w.start()
	restarted, err := w.accounts()
	if err != nil {
		t.Fatal(err)
	}
	if len(restarted) != len(final) {
		t.Fatalf("%d accounts after the last crash, %d before", len(restarted), len(final))
	}
	for id, u := range final {
		if restarted[id] != u {
			t.Fatalf("employee %s: %+v before the last crash, %+v after", id, u, restarted[id])
		}
	}
	w.waitSettled(employees, 2*time.Minute)
	w.checkAuditTrail(restarted)
}

// Storms of throttling (429 with Retry-After), unavailability (503) and, in the full
// profile, slow answers, injected through the simulator's control API as the first wave
// starts: every fault is hit, and the wave still ends with exactly one correct account per
// employee.
func TestFaultGraphStorms(t *testing.T) {
	employees := sampleEmployees(t)
	w := newDevWorld(t)
	w.start()
	n := 10
	if fullFaults() {
		n = 40
	}
	faults := []map[string]any{
		{"path": "/users", "status": 429, "retryAfter": 1, "count": n},
		{"path": "/groups", "status": 429, "retryAfter": 1, "count": n},
		{"method": "POST", "path": "/$batch", "status": 429, "retryAfter": 1, "count": n / 2},
		{"path": "/users", "status": 503, "count": n},
		{"path": "/groups", "status": 503, "count": n / 2},
	}
	if fullFaults() {
		faults = append(faults,
			map[string]any{"path": "/users", "latencyMs": 3000, "count": 30},
			map[string]any{"method": "POST", "path": "/$batch", "latencyMs": 5000, "count": 10},
			map[string]any{"path": "/users", "status": 503, "count": 40},
		)
	}
	w.injectFaults(faults...)
	began := time.Now()
	within := 4 * time.Minute
	if fullFaults() {
		within = 8 * time.Minute
	}
	// Only the engine talks to the simulator until every fault is hit (the test's own reads
	// of the tenant would take some of them).
	eventually(t, within, func() error {
		left, err := w.pendingFaults()
		if err == nil && left > 0 {
			err = fmt.Errorf("%d injected faults not hit yet", left)
		}
		return err
	})
	t.Logf("storm absorbed after %s", time.Since(began).Round(time.Second))
	w.waitSettled(employees, within)
	t.Logf("wave through the storms settled in %s", time.Since(began).Round(time.Second))
}
