package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/testenv"
	"github.com/entralifecycle/engine/workflows"
)

// record makes TestRecordHistories write the workflow histories the replay
// test in the workflows package reads: go test ./e2e -run TestRecordHistories -record
var record = flag.Bool("record", false, "record workflow histories into workflows/testdata")

// The lifecycle tests run the engine as deployed, minus the cloud: the
// embedded Temporal server, a worker with the real registration and real
// activities, the msgraph-sdk-go directory client talking HTTP to the Graph
// simulator, the file HR connector reading a document the test edits between
// steps, and the dispatcher the webhook and the CLI use. Every step is
// checked in the simulated tenant and in the entity's state query.

const (
	lcDomain    = "contoso.example"
	lcSender    = "lifecycle@contoso.example"
	lcManagerA  = "2000"
	lcManagerAU = "maria.manager@contoso.example"
	lcManagerB  = "2001"
	lcManagerBU = "piet.verkoop@contoso.example"
	// lcPolicy follows the policy file format (docs/policy.md). Deletion is 30
	// days after the exit: the tests assert the durable timer for it.
	lcPolicy = `
tenant:
  domain: contoso.example
  usageLocation: NL
naming:
  upn: "{given}.{prefix}{family}"
  displayName: "{given} {prefix} {family}"
lifecycle:
  timezone: Europe/Amsterdam
  createDaysBeforeStart: 14
  temporaryAccessPass: true
  transferGraceDays: 0
  leaveTime: "17:00"
  deleteAfterDays: 30
guard:
  maxDisablePercent: 50
  maxDeletePercent: 50
rules:
` + testenv.RuleAllStaffE3 + testenv.RuleICT + `  - name: ict-leads
    when: {department: ["ICT"], jobCode: ["M02"]}
    groups: ["ICT Leadership"]
    licenses: ["POWER_BI_PRO"]
` + testenv.RuleSales + testenv.RuleSalesLeads
)

// lcEnv is one test's world: stack, simulator, HR document, policy, worker.
type lcEnv struct {
	t      *testing.T
	world  *testenv.Env
	stack  *devstack.Stack
	sim    *graphsim.Sim
	simURL string
	ids    graphsim.SeedResult
	c      client.Client
	d      dispatch.Dispatcher
	dir    *directory.Client
	acts   *activities.Activities
	tq     string
	loc    *time.Location
	today  hr.Date

	mu     sync.Mutex
	policy string
}

// newLCEnv starts the embedded Temporal server and the Graph simulator, seeds
// the tenant with a verified domain, the policy's groups, SKUs and app (with
// its role), an unmanaged group, a mail sender mailbox and two managers, and
// builds the real activities. No worker runs yet.
// lcReplicationLagMs is the simulator's replication lag in the lifecycle tests.
const lcReplicationLagMs = 1000

func newLCEnv(t *testing.T) *lcEnv {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	var groups []graphsim.SeedGroup
	for _, g := range []string{"All Staff", "ICT Admins", "ICT Leadership", "Sales", "Sales Leadership", "Unmanaged Club"} {
		groups = append(groups, graphsim.SeedGroup{DisplayName: g})
	}
	w := testenv.New(t, testenv.Fixture{Seed: graphsim.Seed{
		Domains: []string{lcDomain},
		Groups:  groups,
		SKUs:    []graphsim.SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 50}, {SkuPartNumber: "POWER_BI_PRO", PrepaidUnits: 50}},
		ServicePrincipals: []graphsim.SeedServicePrincipal{{DisplayName: "Salesforce", AppRoles: []graphsim.SeedAppRole{
			{Value: "standard", DisplayName: "Standard User"}}}},
		Users: []map[string]any{
			{"displayName": "Lifecycle", "userPrincipalName": lcSender, "mail": lcSender, "accountEnabled": true},
			{"displayName": "Maria Manager", "userPrincipalName": lcManagerAU, "mail": lcManagerAU, "accountEnabled": true,
				"employeeId": lcManagerA, "givenName": "Maria", "surname": "Manager"},
			{"displayName": "Piet Verkoop", "userPrincipalName": lcManagerBU, "mail": lcManagerBU, "accountEnabled": true,
				"employeeId": lcManagerB, "givenName": "Piet", "surname": "Verkoop"},
		},
	}, MailSender: lcSender})
	e := &lcEnv{t: t, world: w, sim: w.Sim, simURL: w.URL, ids: w.IDs, dir: w.Dir, policy: lcPolicy, loc: loc,
		tq: "lifecycle-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))}
	e.today = hr.DateIn(time.Now(), loc)
	// Entra's replication lag is on, as on a real tenant: a new user answers 404 for a
	// while after its creation (seeded users are visible at once).
	if err := e.sim.SetConfig(graphsim.Config{ReplicationLagMs: lcReplicationLagMs}); err != nil {
		t.Fatal(err)
	}
	// The managers are in HR too: a manager HR does not know is not linked.
	e.put(lcPerson(lcManagerA, "Maria", "", "Manager", lcContract(lcManagerA+"-1", e.today.AddDays(-3000), nil, "DIR", "D00", "Directeur", "")))
	e.put(lcPerson(lcManagerB, "Piet", "", "Verkoop", lcContract(lcManagerB+"-1", e.today.AddDays(-2000), nil, "Sales", "D01", "Salesdirecteur", "")))

	e.stack = startStack(t, devstack.Options{})
	e.c = dial(t, e.stack, client.Options{Identity: "e2e-lifecycle-client", Logger: quietSDKLogger()})
	e.d = dispatch.Dispatcher{Client: e.c, TaskQueue: e.tq}

	e.acts = &activities.Activities{
		Identity: "e2e-lifecycle", Directory: e.dir, HR: w.Source, Logger: w.Logger,
		Policy: func(context.Context) (*policy.Policy, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return policy.Parse("policy.yaml", []byte(e.policy))
		},
	}
	return e
}

// quietSDKLogger keeps the SDK's per-task log lines out of the test output
// (warnings and errors still show).
func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// startWorker runs a worker with the production registration and the real
// activities on the test's task queue; the returned function stops it.
func (e *lcEnv) startWorker() func() {
	e.t.Helper()
	w := worker.New(e.c, e.tq, worker.Options{Identity: "e2e-lifecycle-worker"})
	workflows.Register(w, e.acts)
	if err := w.Start(); err != nil {
		e.t.Fatalf("start worker: %v", err)
	}
	var once sync.Once
	stop := func() { once.Do(w.Stop) }
	e.t.Cleanup(stop)
	return stop
}

func (e *lcEnv) put(p hr.Employee) { e.world.HR.Set(p.Clone()) }

// edit changes an employee's HR record in place.
func (e *lcEnv) edit(id string, fn func(*hr.Employee)) { e.world.HR.Edit(id, fn) }

// hrDocument renders the HR file (docs/hr-file.md).
func (e *lcEnv) hrDocument() ([]byte, error) { return e.world.HR.Document(context.Background()) }

// notify tells the employee's entity that HR changed (signal-with-start),
// exactly as the webhook does.
func (e *lcEnv) notify(id, reason string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.d.HRChanged(ctx, id, workflows.HRChanged{Reason: reason, Source: "e2e"}); err != nil {
		e.t.Fatalf("hr-changed %s: %v", id, err)
	}
}

// lcState is the part of the entity's state query answer the tests read.
type lcState struct {
	EmployeeID   string                        `json:"employeeId"`
	Status       workflows.EntityStatus        `json:"status"`
	ObjectID     string                        `json:"objectId"`
	UPN          string                        `json:"userPrincipalName"`
	HRNote       string                        `json:"hrNote"`
	Entitlements []lcHeld                      `json:"entitlements"`
	Replacements []workflows.ReplacementStatus `json:"replacements"`
	Timers       []struct {
		What string    `json:"what"`
		At   time.Time `json:"at"`
	} `json:"pendingTimers"`
	LeftAt    *time.Time `json:"leftAt"`
	LastEvent string     `json:"lastEvent"`
	LastError string     `json:"lastError"`
	Blocked   bool       `json:"blocked"`
	Events    int        `json:"events"`
}

type lcHeld struct {
	policy.Entitlement
	Source string     `json:"source"`
	Until  *time.Time `json:"until"`
}

// state queries the entity of employee id.
func (e *lcEnv) state(id string) (lcState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := e.c.QueryWorkflow(ctx, workflows.EmployeeWorkflowID(id), "", workflows.QueryState)
	if err != nil {
		return lcState{}, fmt.Errorf("query %s: %w", workflows.EmployeeWorkflowID(id), err)
	}
	var st lcState
	if err := v.Get(&st); err != nil {
		return lcState{}, fmt.Errorf("decode state: %w", err)
	}
	return st, nil
}

// waitState waits until the entity of employee id has started its
// `events`-th child workflow, for `event`, that child has completed, and the
// entity's state satisfies done (nil: any state). It fails when the entity
// records an error.
func (e *lcEnv) waitState(id string, events int, event string, within time.Duration, done func(lcState) error) lcState {
	e.t.Helper()
	deadline := time.Now().Add(within)
	var st lcState
	eventually(e.t, within, func() error {
		var err error
		if st, err = e.state(id); err != nil {
			return err
		}
		if st.LastError != "" || st.Blocked {
			return fmt.Errorf("entity blocked: %s", st.LastError)
		}
		if st.Events < events || st.LastEvent != event {
			return fmt.Errorf("entity at event %d (%s), want %d (%s); status %s, note %q",
				st.Events, st.LastEvent, events, event, st.Status, st.HRNote)
		}
		return nil
	})
	childID := fmt.Sprintf("%s/%s/%d", workflows.EmployeeWorkflowID(id), event, events)
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(5*time.Second))
	defer cancel()
	// Wait for the child through its run id: a get without one can answer "not found" for a
	// child that has just started (the current-run lookup), although it exists.
	var runID string
	eventually(e.t, time.Until(deadline)+5*time.Second, func() error {
		d, err := e.c.DescribeWorkflowExecution(ctx, childID, "")
		if err != nil {
			return err
		}
		runID = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		return nil
	})
	if err := e.c.GetWorkflow(ctx, childID, runID).Get(ctx, nil); err != nil {
		e.t.Fatalf("child workflow %s: %v", childID, err)
	}
	eventually(e.t, time.Until(deadline)+5*time.Second, func() error {
		var err error
		if st, err = e.state(id); err != nil {
			return err
		}
		if st.LastError != "" || st.Blocked {
			return fmt.Errorf("entity blocked: %s", st.LastError)
		}
		if st.Events != events {
			return fmt.Errorf("entity went on to event %d (%s), want it to stop at %d", st.Events, st.LastEvent, events)
		}
		if done != nil {
			return done(st)
		}
		return nil
	})
	return st
}

// hasStatus is a waitState condition on the entity's status.
func hasStatus(status workflows.EntityStatus) func(lcState) error {
	return func(st lcState) error {
		if st.Status != status {
			return fmt.Errorf("status %s, want %s", st.Status, status)
		}
		return nil
	}
}

// holds is a waitState condition: the entity holds (or, with not, does not
// hold) every "<entitlement> <source>" entry.
func holds(not bool, entries ...string) func(lcState) error {
	return func(st lcState) error {
		for _, h := range entries {
			if slices.Contains(heldBy(st), h) == not {
				return fmt.Errorf("entitlements %v: want %q held = %v", heldBy(st), h, !not)
			}
		}
		return nil
	}
}

// eventually calls fn until it returns nil or within has passed.
func eventually(t testing.TB, within time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for {
		if err = fn(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// want is what one account must look like in the tenant.
type want struct {
	upn, displayName, jobTitle, department string
	enabled                                bool
	manager                                string // UPN of the manager
	groups, licenses, appRoles             []string
}

// check compares the tenant's account of employee id with w.
func (e *lcEnv) check(id string, w want) error {
	u, ok := e.sim.User(w.upn)
	if !ok {
		return fmt.Errorf("no active user %s", w.upn)
	}
	var errs []error
	eq := func(field string, got any, exp any) {
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			errs = append(errs, fmt.Errorf("%s = %v, want %v", field, got, exp))
		}
	}
	eq("employeeId", u["employeeId"], id)
	eq("accountEnabled", u["accountEnabled"], w.enabled)
	if w.displayName != "" {
		eq("displayName", u["displayName"], w.displayName)
	}
	if w.jobTitle != "" {
		eq("jobTitle", u["jobTitle"], w.jobTitle)
	}
	if w.department != "" {
		eq("department", u["department"], w.department)
	}
	if w.manager != "" {
		mid, _ := e.sim.Manager(w.upn)
		m, _ := e.sim.User(w.manager)
		eq("manager", mid, m["id"])
	}
	eq("groups", e.sim.UserGroups(w.upn), sorted(w.groups))
	eq("licenses", e.sim.UserLicenses(w.upn), sorted(w.licenses))
	var roles []string
	for _, a := range e.sim.UserAppRoleAssignments(w.upn) {
		roles = append(roles, a.ResourceDisplayName+"/"+a.AppRoleValue)
	}
	eq("appRoles", sorted(roles), sorted(w.appRoles))
	return errors.Join(errs...)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// heldBy lists "<entitlement> <source>" of a state, sorted.
func heldBy(st lcState) []string {
	var out []string
	for _, h := range st.Entitlements {
		out = append(out, h.String()+" "+h.Source)
	}
	slices.Sort(out)
	return out
}

// usersWithEmployeeID counts the active accounts carrying an employee id.
func (e *lcEnv) usersWithEmployeeID(id string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, ok, err := e.dir.FindUserByEmployeeID(ctx, id)
	switch {
	case directory.KindOf(err) == directory.KindConflict:
		return 2 // more than one
	case err != nil:
		e.t.Fatalf("find employee %s: %v", id, err)
	case ok:
		return 1
	}
	return 0
}

func lcContract(id string, start hr.Date, end *hr.Date, dept, jobCode, title, manager string) hr.Contract {
	return hr.Contract{ID: id, Start: start, End: end, Department: dept, DepartmentName: dept + " afdeling",
		JobCode: jobCode, JobTitle: title, CostCenter: "4130", Company: "Contoso B.V.", ManagerEmployeeID: manager,
		EmployeeType: "Employee", FTE: 1}
}

func lcPerson(id, given, prefix, family string, cs ...hr.Contract) hr.Employee {
	return hr.Employee{EmployeeID: id, GivenName: given, PreferredName: given, Prefix: prefix, FamilyName: family,
		NameUsage: "own", Contracts: cs}
}

func datePtr(d hr.Date) *hr.Date { return &d }

// childRun names one workflow run whose history TestRecordHistories keeps,
// under testdata/<file>.json; an empty runID means the latest run.
type childRun struct{ file, workflowID, runID string }

// TestLifecycleOneEmployee drives the whole life of one employee through the
// engine: hire, promotion, transfer, name change, temporary replacement,
// exit and deletion, asserting the tenant and the entity after each step.
func TestLifecycleOneEmployee(t *testing.T) {
	e := newLCEnv(t)
	e.startWorker()
	runLifecycle(t, e)
}

// runLifecycle is the one-employee scenario; it returns the workflow runs it
// went through: each step's child workflow, the Delete and the entity itself.
func runLifecycle(t *testing.T, e *lcEnv) []childRun {
	const id = "1001"
	const within = 60 * time.Second
	var runs []childRun
	child := func(file string, st lcState) {
		runs = append(runs, childRun{file: file, workflowID: fmt.Sprintf("%s/%s/%d", workflows.EmployeeWorkflowID(id), st.LastEvent, st.Events)})
	}
	start := e.today.AddDays(-30)
	e.put(lcPerson(id, "Jan", "de", "Vries", lcContract(id+"-1", start, nil, "ICT", "F045", "Systeembeheerder", lcManagerA)))
	// The person Jan will stand in for: an ICT team lead, in HR only.
	e.put(lcPerson("1004", "Sara", "", "Smit", lcContract("1004-1", e.today.AddDays(-400), nil, "ICT", "M02", "Teamleider ICT", lcManagerA)))

	// Hire: the contract started, so the account is created and enabled at once.
	const upn1 = "jan.devries@contoso.example"
	e.notify(id, "contract-created")
	st := e.waitState(id, 1, workflows.EventHire, within, hasStatus(workflows.StatusActive))
	child("Hire", st)
	if st.Status != workflows.StatusActive || st.UPN != upn1 || st.ObjectID == "" {
		t.Fatalf("after the hire: status %s upn %s object %q", st.Status, st.UPN, st.ObjectID)
	}
	objectID := st.ObjectID
	if err := e.check(id, want{upn: upn1, displayName: "Jan de Vries", jobTitle: "Systeembeheerder", department: "ICT", enabled: true,
		manager: lcManagerAU, groups: []string{"All Staff", "ICT Admins"}, licenses: []string{"SPE_E3"}}); err != nil {
		t.Fatalf("tenant after the hire: %v", err)
	}
	if u, _ := e.sim.User(upn1); u["usageLocation"] != "NL" || u["mail"] != upn1 {
		t.Errorf("usageLocation %v mail %v", u["usageLocation"], u["mail"])
	}
	if _, ok := e.sim.TemporaryAccessPass(upn1); !ok {
		t.Error("no Temporary Access Pass issued on the first day")
	}
	if m := mailTo(e.sim, lcManagerAU, "Temporary Access Pass for Jan de Vries"); m == nil {
		t.Error("the manager did not receive the Temporary Access Pass")
	}
	// Access the engine does not manage and must never remove.
	if gid, ok := e.sim.GroupID("Unmanaged Club"); !ok {
		t.Fatal("no Unmanaged Club group")
	} else if err := e.dir.AddGroupMember(t.Context(), gid, objectID); err != nil {
		t.Fatal(err)
	}

	// Promotion: new job code and title; the team lead's access is added.
	e.edit(id, func(p *hr.Employee) { p.Contracts[0].JobCode, p.Contracts[0].JobTitle = "M02", "Teamleider ICT" })
	e.notify(id, "contract-changed")
	st = e.waitState(id, 2, workflows.EventMove, within, holds(false, "group:ICT Leadership role:ict-leads"))
	child("Move-promotion", st)
	if err := e.check(id, want{upn: upn1, jobTitle: "Teamleider ICT", department: "ICT", enabled: true, manager: lcManagerAU,
		groups:   []string{"All Staff", "ICT Admins", "ICT Leadership", "Unmanaged Club"},
		licenses: []string{"POWER_BI_PRO", "SPE_E3"}}); err != nil {
		t.Fatalf("tenant after the promotion: %v", err)
	}

	// Transfer to Sales as a sales lead with a new manager: the new
	// department's access is granted, the old one's removed at once (no
	// grace period), unmanaged access stays.
	e.edit(id, func(p *hr.Employee) {
		c := &p.Contracts[0]
		c.Department, c.DepartmentName, c.JobCode, c.JobTitle, c.ManagerEmployeeID, c.CostCenter = "Sales", "Verkoop", "M01", "Salesmanager", lcManagerB, "5200"
	})
	e.notify(id, "contract-changed")
	st = e.waitState(id, 3, workflows.EventMove, within, holds(false, "group:Sales Leadership role:sales-leads"))
	child("Move-transfer", st)
	if err := e.check(id, want{upn: upn1, jobTitle: "Salesmanager", department: "Sales", enabled: true, manager: lcManagerBU,
		groups: []string{"All Staff", "Sales", "Sales Leadership", "Unmanaged Club"}, licenses: []string{"SPE_E3"},
		appRoles: []string{"Salesforce/standard"}}); err != nil {
		t.Fatalf("tenant after the transfer: %v", err)
	}
	if u, _ := e.sim.User(upn1); fmt.Sprint(u["employeeOrgData"]) != "map[costCenter:5200 division:Verkoop]" {
		t.Errorf("employeeOrgData after the transfer = %v", u["employeeOrgData"])
	}

	// Name change: a new surname gives a new UPN, display name and mail; the
	// old address stays as an alias.
	const upn2 = "jan.bakker@contoso.example"
	e.edit(id, func(p *hr.Employee) { p.Prefix, p.FamilyName = "", "Bakker" })
	e.notify(id, "personal-data-changed")
	st = e.waitState(id, 4, workflows.EventRename, within, func(st lcState) error {
		if st.UPN != upn2 {
			return fmt.Errorf("UPN %s, want %s", st.UPN, upn2)
		}
		return nil
	})
	child("Rename", st)
	if st.UPN != upn2 {
		t.Fatalf("UPN in state after the rename = %s", st.UPN)
	}
	if _, ok := e.sim.User(upn1); ok {
		t.Error("the old UPN still resolves to an active user")
	}
	if err := e.check(id, want{upn: upn2, displayName: "Jan Bakker", enabled: true, manager: lcManagerBU,
		groups: []string{"All Staff", "Sales", "Sales Leadership", "Unmanaged Club"}, licenses: []string{"SPE_E3"},
		appRoles: []string{"Salesforce/standard"}}); err != nil {
		t.Fatalf("tenant after the rename: %v", err)
	}
	u, _ := e.sim.User(upn2)
	if u["id"] != objectID || u["mail"] != upn2 || u["surname"] != "Bakker" || u["givenName"] != "Jan" {
		t.Errorf("renamed account: id %v mail %v surname %v given %v", u["id"], u["mail"], u["surname"], u["givenName"])
	}
	if proxies := fmt.Sprint(u["proxyAddresses"]); !strings.Contains(proxies, "SMTP:"+upn2) || !strings.Contains(proxies, "smtp:"+upn1) {
		t.Errorf("proxyAddresses %s: want the new primary and the old address as alias", proxies)
	}

	// Replacement: Jan stands in for the ICT team lead; he receives her role
	// entitlements, tracked with their source; ending it removes those but
	// keeps what Jan holds himself (All Staff and SPE_E3 come from both).
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var rs workflows.ReplacementStatus
	if err := e.d.Update(ctx, id, workflows.UpdateReplace, workflows.ReplaceRequest{ReplacementID: "r-1", ReplacedEmployeeID: "1004"}, &rs); err != nil {
		t.Fatalf("replace: %v", err)
	}
	if rs.State != workflows.ReplacementActive || rs.Error != "" {
		t.Fatalf("replacement after the update: %+v", rs)
	}
	st = e.waitState(id, 5, workflows.EventReplace, within, holds(false, "group:ICT Leadership replacement:r-1"))
	child("Replace-start", st)
	if err := e.check(id, want{upn: upn2, enabled: true,
		groups:   []string{"All Staff", "ICT Admins", "ICT Leadership", "Sales", "Sales Leadership", "Unmanaged Club"},
		licenses: []string{"POWER_BI_PRO", "SPE_E3"}, appRoles: []string{"Salesforce/standard"}}); err != nil {
		t.Fatalf("tenant during the replacement: %v", err)
	}
	for _, h := range []string{"group:ICT Leadership replacement:r-1", "group:ICT Admins replacement:r-1", "license:POWER_BI_PRO replacement:r-1", "group:All Staff role:all-staff"} {
		if !slices.Contains(heldBy(st), h) {
			t.Errorf("entity does not hold %q: %v", h, heldBy(st))
		}
	}
	if err := e.d.Update(ctx, id, workflows.UpdateEndReplacement, workflows.EndReplacementRequest{ReplacementID: "r-1"}, &rs); err != nil {
		t.Fatalf("end replacement: %v", err)
	}
	if rs.State != workflows.ReplacementEnded {
		t.Fatalf("replacement after ending it: %+v", rs)
	}
	st = e.waitState(id, 6, workflows.EventReplace, within, holds(true, "group:ICT Leadership replacement:r-1"))
	child("Replace-end", st)
	if err := e.check(id, want{upn: upn2, enabled: true, manager: lcManagerBU,
		groups: []string{"All Staff", "Sales", "Sales Leadership", "Unmanaged Club"}, licenses: []string{"SPE_E3"},
		appRoles: []string{"Salesforce/standard"}}); err != nil {
		t.Fatalf("tenant after the replacement ended: %v", err)
	}
	for _, h := range heldBy(st) {
		if strings.Contains(h, "replacement:") {
			t.Errorf("still held through the replacement: %s", h)
		}
	}

	// Exit: the contract ended yesterday, so the leave moment (17:00 on the
	// last day) has passed: disabled, sessions revoked, managed access
	// removed (the unmanaged group stays), leave moment recorded, manager told.
	yesterday := e.today.AddDays(-1)
	e.edit(id, func(p *hr.Employee) { p.Contracts[0].End = datePtr(yesterday) })
	e.notify(id, "contract-ended")
	st = e.waitState(id, 7, workflows.EventExit, within, hasStatus(workflows.StatusLeft))
	child("Exit", st)
	if st.Status != workflows.StatusLeft || len(st.Entitlements) != 0 {
		t.Fatalf("after the exit: status %s entitlements %v", st.Status, heldBy(st))
	}
	if err := e.check(id, want{upn: upn2, enabled: false, groups: []string{"Unmanaged Club"}}); err != nil {
		t.Fatalf("tenant after the exit: %v", err)
	}
	if n := e.sim.SignInRevocations(upn2); n != 1 {
		t.Errorf("sign-in sessions revoked %d times, want 1", n)
	}
	leave := time.Date(yesterday.Year, yesterday.Month, yesterday.Day, 17, 0, 0, 0, e.loc).UTC().Format("2006-01-02T15:04:05Z")
	if u, _ := e.sim.User(upn2); u["employeeLeaveDateTime"] != leave {
		t.Errorf("employeeLeaveDateTime = %v, want %s", u["employeeLeaveDateTime"], leave)
	}
	if m := mailTo(e.sim, lcManagerBU, "Account of Jan Bakker disabled"); m == nil {
		t.Errorf("the manager was not notified of the exit; mail sent: %+v", e.sim.SentMail())
	} else if !strings.Contains(m.Body, "will be deleted on") {
		t.Errorf("exit notice does not announce the deletion: %s", m.Body)
	}

	// Deletion: the entity deletes the account 30 days after the exit on a
	// durable timer, which a test cannot wait for; the timer is asserted,
	// then the Delete workflow the entity will run is run now against the
	// tenant.
	var deleteAt time.Time
	for _, tm := range st.Timers {
		if tm.What == "delete the account" {
			deleteAt = tm.At
		}
	}
	if st.LeftAt == nil || !deleteAt.Equal(st.LeftAt.AddDate(0, 0, 30)) {
		t.Errorf("deletion timer %v, want 30 days after the exit at %v; timers %+v", deleteAt, st.LeftAt, st.Timers)
	}
	if d := time.Until(deleteAt); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("deletion due in %s, want about 30 days", d)
	}
	delID := "delete/" + id
	run, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: delID, TaskQueue: e.tq}, workflows.DeleteWorkflowName,
		workflows.DeleteInput{EmployeeID: id, ObjectID: objectID})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	runs = append(runs, childRun{file: "Delete", workflowID: delID, runID: run.GetRunID()})
	if _, ok := e.sim.User(upn2); ok {
		t.Error("the account is still active after the deletion")
	}
	if d, ok := e.sim.DeletedUser(objectID); !ok || d["employeeId"] != id {
		t.Errorf("the account is not in deleted items (restorable): %v", d)
	}
	if n := e.usersWithEmployeeID(id); n != 0 {
		t.Errorf("%d active accounts carry employee id %s after the deletion", n, id)
	}
	runs = append(runs, childRun{file: "Employee", workflowID: workflows.EmployeeWorkflowID(id)})
	return runs
}

// mailTo returns the last message sent to addr whose subject is subject.
func mailTo(sim *graphsim.Sim, addr, subject string) *graphsim.Mail {
	mails := sim.SentMail()
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].Subject == subject && slices.ContainsFunc(mails[i].To, func(s string) bool { return strings.EqualFold(s, addr) }) {
			return &mails[i]
		}
	}
	return nil
}

// TestLifecycleHireThrough429Bursts injects bursts of 429 Too Many Requests
// (with Retry-After) on users, groups and $batch while a hire runs: the hire
// ends correct, with one account, and the history shows the retried
// activity attempts.
func TestLifecycleHireThrough429Bursts(t *testing.T) {
	e := newLCEnv(t)
	e.startWorker()
	const id = "1002"
	const upn = "eva.jansen@contoso.example"
	e.put(lcPerson(id, "Eva", "", "Jansen", lcContract(id+"-1", e.today, nil, "Sales", "M01", "Salesmanager", lcManagerB)))
	// Retry-After is honoured as the activity's next retry delay
	// (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling).
	e.sim.InjectFault(graphsim.Fault{Path: "/users", Status: 429, RetryAfter: 1, Count: 3})
	e.sim.InjectFault(graphsim.Fault{Path: "/groups", Status: 429, RetryAfter: 1, Count: 3})
	e.sim.InjectFault(graphsim.Fault{Method: "POST", Path: "/$batch", Status: 429, RetryAfter: 1, Count: 2})
	users := e.sim.UserCount()
	began := time.Now()
	e.notify(id, "contract-created")
	st := e.waitState(id, 1, workflows.EventHire, 90*time.Second, hasStatus(workflows.StatusActive))
	t.Logf("hire through 429 bursts took %s", time.Since(began).Round(time.Millisecond))
	if st.Status != workflows.StatusActive {
		t.Fatalf("status %s", st.Status)
	}
	if f := e.sim.Faults(); len(f) != 0 {
		t.Errorf("faults not all hit (the bursts did not land in the hire): %+v", f)
	}
	if err := e.check(id, want{upn: upn, displayName: "Eva Jansen", jobTitle: "Salesmanager", department: "Sales", enabled: true,
		manager: lcManagerBU, groups: []string{"All Staff", "Sales", "Sales Leadership"}, licenses: []string{"SPE_E3"},
		appRoles: []string{"Salesforce/standard"}}); err != nil {
		t.Fatalf("tenant after the hire: %v", err)
	}
	if e.sim.UserCount() != users+1 || e.usersWithEmployeeID(id) != 1 {
		t.Errorf("users %d → %d; want exactly one new account", users, e.sim.UserCount())
	}
	attempts := activityAttempts(t, e.c, fmt.Sprintf("%s/hire/1", workflows.EmployeeWorkflowID(id)), "")
	retried := 0
	for name, n := range attempts {
		if n > 1 {
			retried++
			t.Logf("activity %s: %d attempts", name, n)
		}
	}
	if retried == 0 {
		t.Errorf("no activity of the hire was retried: %v", attempts)
	}
}

// activityAttempts maps "<ActivityType>#<scheduled event id>" to the attempt
// that finished it, from a workflow's history.
func activityAttempts(t testing.TB, c client.Client, workflowID, runID string) map[string]int32 {
	t.Helper()
	hist := history(t, c, workflowID, runID)
	types := map[int64]string{}
	out := map[string]int32{}
	for _, ev := range hist.GetEvents() {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			types[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			out[fmt.Sprintf("%s#%d", types[a.GetScheduledEventId()], a.GetScheduledEventId())] = a.GetAttempt()
		}
	}
	return out
}

// history reads a workflow run's full history.
func history(t testing.TB, c client.Client, workflowID, runID string) *historypb.History {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		hist.Events = append(hist.Events, ev)
	}
	if len(hist.Events) == 0 {
		t.Fatalf("history of %s is empty", workflowID)
	}
	return hist
}

// TestLifecycleWorkerKilledMidHire runs the worker binary, kills it
// (SIGKILL) while the account creation of a hire is on the wire, and starts
// it again. The simulator completes the interrupted create, so the account
// exists but the worker never heard; Temporal retries the activity on the
// new worker once its start-to-close timeout (2 minutes, workflows/options.go)
// has passed, and the retry finds the account instead of creating a second.
// The test therefore takes a little over two minutes.
func TestLifecycleWorkerKilledMidHire(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for an activity's start-to-close timeout (2 minutes)")
	}
	bin := buildBinary(t, "worker")
	e := newLCEnv(t)
	const id = "1003"
	const upn = "kees.dejong@contoso.example"
	e.put(lcPerson(id, "Kees", "de", "Jong", lcContract(id+"-1", e.today, nil, "ICT", "M02", "Teamleider ICT", lcManagerA)))

	dir := t.TempDir()
	policyFile, hrFile := filepath.Join(dir, "policy.yaml"), filepath.Join(dir, "hr.json")
	if err := os.WriteFile(policyFile, []byte(lcPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := e.hrDocument()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hrFile, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(cleanEnv(),
		"TEMPORAL_ADDRESS="+e.stack.FrontendAddr(), "TEMPORAL_NAMESPACE="+e.stack.Namespace(),
		"LIFECYCLE_TASK_QUEUE="+e.tq, "LIFECYCLE_GRAPH_BASE_URL="+e.simURL+"/v1.0",
		"LIFECYCLE_HR_SOURCE=file", "LIFECYCLE_HR_FILE="+hrFile, "LIFECYCLE_POLICY_FILE="+policyFile,
		"LIFECYCLE_MAIL_SENDER="+lcSender, "LIFECYCLE_LOG_LEVEL=debug")

	// The account creation stalls on the wire until the worker dies.
	e.sim.InjectFault(graphsim.Fault{Method: "POST", Path: "/users", LatencyMs: int((10 * time.Minute).Milliseconds()), Count: 1})
	users := e.sim.UserCount()
	first := startWorkerProcess(t, bin, env)
	e.notify(id, "contract-created")
	eventually(t, 90*time.Second, func() error {
		if n := e.sim.Stats().ByRoute["POST /users"]; n == 0 {
			return fmt.Errorf("the hire has not sent the account creation yet; worker output:\n%s", first.output())
		}
		return nil
	})
	first.kill(t)
	killedAt := time.Now()
	// The simulator finishes the create once the connection is gone: the
	// account exists, its creator never learnt its id.
	eventually(t, 10*time.Second, func() error {
		if e.sim.UserCount() != users+1 {
			return fmt.Errorf("users %d, want %d", e.sim.UserCount(), users+1)
		}
		return nil
	})
	if st, err := e.state(id); err == nil && st.Status == workflows.StatusActive {
		t.Fatal("the hire finished although its worker was killed")
	}

	second := startWorkerProcess(t, bin, env)
	st := e.waitState(id, 1, workflows.EventHire, 4*time.Minute, hasStatus(workflows.StatusActive))
	t.Logf("hire finished %s after the kill", time.Since(killedAt).Round(time.Second))
	if st.Status != workflows.StatusActive {
		t.Fatalf("status %s; worker output:\n%s", st.Status, second.output())
	}
	if n := e.usersWithEmployeeID(id); n != 1 || e.sim.UserCount() != users+1 {
		t.Fatalf("%d accounts carry employee id %s (users %d → %d), want exactly one", n, id, users, e.sim.UserCount())
	}
	if err := e.check(id, want{upn: upn, displayName: "Kees de Jong", jobTitle: "Teamleider ICT", department: "ICT", enabled: true,
		manager: lcManagerAU, groups: []string{"All Staff", "ICT Admins", "ICT Leadership"},
		licenses: []string{"POWER_BI_PRO", "SPE_E3"}}); err != nil {
		t.Fatalf("tenant after the hire: %v", err)
	}
	attempts := activityAttempts(t, e.c, fmt.Sprintf("%s/hire/1", workflows.EmployeeWorkflowID(id)), "")
	var create int32
	for name, n := range attempts {
		if strings.HasPrefix(name, "CreateAccount#") {
			create = n
		}
	}
	if create < 2 {
		t.Errorf("CreateAccount finished on attempt %d, want a retry after the kill: %v", create, attempts)
	}
}

// workerProcess is a running worker binary.
type workerProcess struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{} // closed when the process has exited
}

func startWorkerProcess(t *testing.T, bin string, env []string) *workerProcess {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = env
	p := &workerProcess{cmd: cmd, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// kill ends the process with SIGKILL: no graceful shutdown, nothing reported.
func (p *workerProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("killed worker did not exit")
	}
}

func (p *workerProcess) output() string { return p.out.String() }

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRecordHistories records the history of every lifecycle workflow into
// workflows/testdata, where TestReplayRecordedHistories replays them against
// the current workflow code. Run it after a deliberate, versioned change of
// a workflow's commands: go test ./e2e -run TestRecordHistories -record
func TestRecordHistories(t *testing.T) {
	if !*record {
		t.Skip("records only with -record")
	}
	e := newLCEnv(t)
	e.startWorker()
	runs := runLifecycle(t, e)

	// A pre-hire: the account is created disabled ahead of the start date.
	const pre = "1005"
	e.put(lcPerson(pre, "Lotte", "", "Visser", lcContract(pre+"-1", e.today.AddDays(7), nil, "ICT", "F045", "Systeembeheerder", lcManagerA)))
	e.notify(pre, "contract-created")
	st := e.waitState(pre, 1, workflows.EventHire, time.Minute, hasStatus(workflows.StatusPreHire))
	if st.Status != workflows.StatusPreHire {
		t.Fatalf("pre-hire status %s", st.Status)
	}
	if err := e.check(pre, want{upn: "lotte.visser@contoso.example", enabled: false, groups: []string{"All Staff", "ICT Admins"}, licenses: []string{"SPE_E3"}}); err != nil {
		t.Fatalf("tenant after the pre-hire: %v", err)
	}
	runs = append(runs, childRun{file: "Hire-prehire", workflowID: fmt.Sprintf("%s/hire/1", workflows.EmployeeWorkflowID(pre))})
	// Its activation is due on the start date; the Activate workflow the
	// entity will run then is run now.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mgr, _ := e.sim.User(lcManagerAU)
	act, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "activate/" + pre, TaskQueue: e.tq}, workflows.ActivateWorkflowName,
		workflows.ActivateInput{EmployeeID: pre, ObjectID: st.ObjectID, DisplayName: "Lotte Visser", UPN: st.UPN,
			ManagerObjectID: fmt.Sprint(mgr["id"]), TemporaryAccessPass: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := act.Get(ctx, nil); err != nil {
		t.Fatalf("activate: %v", err)
	}
	if u, _ := e.sim.User(st.UPN); u["accountEnabled"] != true {
		t.Fatalf("not enabled by Activate: %v", u["accountEnabled"])
	}
	runs = append(runs, childRun{file: "Activate", workflowID: "activate/" + pre, runID: act.GetRunID()})

	// A policy rollout: every ICT employee also gets Power BI. It reaches the
	// active employees with an account and tells their entities.
	const ict = "1006"
	e.put(lcPerson(ict, "Bram", "", "Kok", lcContract(ict+"-1", e.today.AddDays(-60), nil, "ICT", "F045", "Systeembeheerder", lcManagerA)))
	e.notify(ict, "contract-created")
	ictState := e.waitState(ict, 1, workflows.EventHire, time.Minute, hasStatus(workflows.StatusActive))
	e.mu.Lock()
	e.policy = strings.Replace(lcPolicy, `    groups: ["ICT Admins"]`, `    groups: ["ICT Admins"]`+"\n"+`    licenses: ["POWER_BI_PRO"]`, 1)
	e.mu.Unlock()
	const rolloutID = "policy-rollout/e2e"
	ro, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: rolloutID, TaskQueue: e.tq}, workflows.PolicyRolloutWorkflowName,
		workflows.PolicyRolloutInput{PageSize: 3, Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	firstRun := ro.GetRunID() // Get follows continue-as-new to the last run
	var res workflows.PolicyRolloutResult
	if err := ro.Get(ctx, &res); err != nil {
		t.Fatalf("policy rollout: %v", err)
	}
	if res.Status != workflows.RunDone || res.Signalled < 1 || slices.Contains(res.Skipped, ict) {
		t.Fatalf("policy rollout result %+v, want done with employee %s signalled", res, ict)
	}
	eventually(t, time.Minute, func() error {
		if l := e.sim.UserLicenses(ictState.UPN); !slices.Contains(l, "POWER_BI_PRO") {
			return fmt.Errorf("licences of the ICT employee after the rollout: %v", l)
		}
		return nil
	})
	runs = append(runs,
		childRun{file: "PolicyRollout-plan", workflowID: rolloutID, runID: firstRun},
		childRun{file: "PolicyRollout-apply", workflowID: rolloutID})

	out := filepath.Join(moduleRoot(t), "workflows", "testdata")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		hist := history(t, e.c, r.workflowID, r.runID)
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(out, r.file+".json")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s (%d events) from %s", filepath.Base(path), len(hist.Events), r.workflowID)
	}
}
