package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/reconcile"
	"github.com/entralifecycle/engine/internal/testenv"
)

// The reconciliation workflow tests plan with the real activities: the real
// file HR connector over an in-memory document, and the real msgraph-sdk-go
// directory client against the Graph simulator over HTTP. Delivery
// (ApplyReconcilePage, which signals entity workflows through a Temporal
// client) is recorded instead, so the tests see exactly what the workflow
// hands over and when; the end-to-end test runs delivery for real.

const rcPolicyYAML = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, createDaysBeforeStart: 14, leaveTime: "17:00", deleteAfterDays: 30}
guard: {maxDisablePercent: 20, maxDeletePercent: 2}
` + testenv.DepartmentRules

// rcQuietLogger keeps the test environment's own logs out of the output.
type rcQuietLogger struct{}

func (rcQuietLogger) Debug(string, ...any) {}
func (rcQuietLogger) Info(string, ...any)  {}
func (rcQuietLogger) Warn(string, ...any)  {}
func (rcQuietLogger) Error(string, ...any) {}

func rcAmsterdam(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type rcFixture struct {
	t     *testing.T
	world *testenv.Env
	sim   *graphsim.Sim
	acts  *activities.Activities
	env   *testsuite.TestWorkflowEnvironment

	mu        sync.Mutex
	delivered [][]reconcile.PlanAction
	statuses  []RunStatus
}

func rcEmployee(id, dept, end string) hr.Employee {
	c := hr.Contract{ID: id + "-1", Start: hr.MustParseDate("2024-01-01"), JobCode: "J1", JobTitle: "Engineer",
		Department: dept, DepartmentName: dept + " dept", CostCenter: "4100", Company: "Contoso B.V.", EmployeeType: "Employee", FTE: 1}
	if end != "" {
		e := hr.MustParseDate(end)
		c.End = &e
	}
	return hr.Employee{EmployeeID: id, GivenName: "Person", FamilyName: id, Contracts: []hr.Contract{c}}
}

// rcAccount is the Graph JSON of an account in sync with rcEmployee(id, dept).
func rcAccount(id, dept string) map[string]any {
	return map[string]any{
		"displayName": "Person " + id, "userPrincipalName": "p" + id + "@contoso.example", "mailNickname": "p" + id,
		"employeeId": id, "jobTitle": "Engineer", "department": dept, "companyName": "Contoso B.V.", "employeeType": "Employee",
		"employeeOrgData": map[string]any{"costCenter": "4100", "division": dept + " dept"}, "accountEnabled": true,
	}
}

// newRCFixture seeds ten in-sync ICT employees (1..10) and starts a test
// environment at 2026-06-15 12:00 Amsterdam.
func newRCFixture(t *testing.T) *rcFixture {
	t.Helper()
	org := testenv.Fixture{
		Seed: graphsim.Seed{
			Domains: []string{"contoso.example"},
			Groups:  []graphsim.SeedGroup{{DisplayName: "All Staff"}, {DisplayName: "ICT Admins"}, {DisplayName: "Sales"}, {DisplayName: "Unmanaged Club"}},
		},
		Policy: rcPolicyYAML,
	}
	for i := 1; i <= 10; i++ {
		id := strconv.Itoa(i)
		org.Employees = append(org.Employees, rcEmployee(id, "ICT", ""))
		org.Seed.Users = append(org.Seed.Users, rcAccount(id, "ICT"))
		upn := "p" + id + "@contoso.example"
		org.Seed.Memberships = append(org.Seed.Memberships, graphsim.SeedMembership{Group: "All Staff", Member: upn}, graphsim.SeedMembership{Group: "ICT Admins", Member: upn})
	}
	w := testenv.New(t, org)
	f := &rcFixture{t: t, world: w, sim: w.Sim}
	f.acts = &activities.Activities{Identity: "test", Directory: w.Dir, HR: w.Source, Logger: w.Logger, Policy: w.Policy.Load}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(rcQuietLogger{})
	f.env = suite.NewTestWorkflowEnvironment()
	Register(f.env, f.acts)
	f.env.SetStartTime(time.Date(2026, 6, 15, 12, 0, 0, 0, rcAmsterdam(t)))
	f.env.SetTestTimeout(2 * time.Minute)
	// Plans are cached per workflow and run id: give each test its own.
	f.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "reconcile/" + t.Name()})
	// The test environment's client is a mock service: telling hand edits
	// from HR changes by querying entities (SettleMoves, tested on its own
	// and end to end) is left out here; the rest is the real planning.
	f.env.OnActivity(a.PlanReconcilePage, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ReconcilePageInput) (activities.ReconcilePage, error) {
			if in.Entity.StateQuery != QueryState || in.Entity.TaskQueue == "" {
				t.Errorf("planning is not told how to read entity state: %+v", in.Entity)
			}
			in.Entity.StateQuery = ""
			return f.acts.PlanReconcilePage(ctx, in)
		}).Maybe()
	f.env.OnActivity(a.ApplyReconcilePage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApplyReconcileInput) (activities.ApplyReconcileResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if in.Entity.TaskQueue == "" || !strings.HasPrefix(in.Entity.Source, ReconcileWorkflowName+":reconcile/") {
				t.Errorf("entity target %+v does not name the task queue and the run", in.Entity)
			}
			f.delivered = append(f.delivered, slices.Clone(in.Actions))
			return activities.ApplyReconcileResult{Applied: len(in.Actions)}, nil
		}).Maybe()
	f.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if v, ok := sa.GetKeyword(LifecycleStatusKey); ok {
			f.mu.Lock()
			f.statuses = append(f.statuses, RunStatus(v))
			f.mu.Unlock()
		}
	}).Return(nil).Maybe()
	return f
}

// change applies fn to the HR document.
func (f *rcFixture) change(fn func(es []hr.Employee) []hr.Employee) { f.world.HR.Change(fn) }

// deliveredActions lists every delivered action as "action:id", per call.
func (f *rcFixture) deliveredActions() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]string
	for _, page := range f.delivered {
		var p []string
		for _, act := range page {
			p = append(p, act.Action+":"+act.EmployeeID)
		}
		out = append(out, p)
	}
	return out
}

func (f *rcFixture) progress() ReconcileProgress {
	f.t.Helper()
	v, err := f.env.QueryWorkflow(QueryReconcileProgress)
	if err != nil {
		f.t.Fatalf("query progress: %v", err)
	}
	var p ReconcileProgress
	if err := v.Get(&p); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func flatten(pages [][]string) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p...)
	}
	slices.Sort(out)
	return out
}

// guardPlan makes 3 of 10 ICT employees leave (30% > 20%), one join, and
// two drifts: 5 removed from ICT Admins by hand (repair adds), 6 added to
// Sales by hand (repair removes).
func guardPlan(f *rcFixture) {
	f.change(func(es []hr.Employee) []hr.Employee {
		for i := range es[:3] {
			es[i] = rcEmployee(es[i].EmployeeID, "ICT", "2026-05-31")
		}
		return append(es, rcEmployee("11", "Sales", ""))
	})
	gid, _ := f.sim.GroupID("ICT Admins")
	u, _ := f.sim.User("p5@contoso.example")
	req := httptest.NewRequest("DELETE", "/v1.0/groups/"+gid+"/members/"+u["id"].(string)+"/$ref", nil)
	rec := httptest.NewRecorder()
	f.sim.ServeHTTP(rec, req)
	if rec.Code != 204 {
		f.t.Fatalf("remove member by hand: %d %s", rec.Code, rec.Body)
	}
	// And 6 was added to Sales by hand: repairing it removes access.
	if err := f.sim.Seed(graphsim.Seed{Memberships: []graphsim.SeedMembership{{Group: "Sales", Member: "p6@contoso.example"}}}); err != nil {
		f.t.Fatal(err)
	}
}

func TestReconcileGuardTripsThenApproved(t *testing.T) {
	f := newRCFixture(t)
	guardPlan(f)
	var waiting ReconcileProgress
	var beforeApproval [][]string
	f.env.RegisterDelayedCallback(func() {
		waiting = f.progress()
		beforeApproval = f.deliveredActions()
		f.env.SignalWorkflow(SignalApprove, Approval{By: "alice"})
	}, time.Hour)
	f.env.ExecuteWorkflow(ReconcileWorkflowName, ReconcileInput{PageSize: 2})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if waiting.Phase != PhaseAwaitingApproval || waiting.Held != 4 || waiting.Summary == nil || !waiting.Summary.Guard.Tripped {
		t.Errorf("while waiting: %+v, want awaiting-approval with 3 exits and a removal held", waiting)
	}
	// The joiner and the adding repair went out before approval; no exit
	// and no removal did.
	if got, want := flatten(beforeApproval), []string{"hire:11", "repair:5"}; !slices.Equal(got, want) {
		t.Errorf("delivered before approval %v, want %v", got, want)
	}
	if got, want := flatten(f.deliveredActions()), []string{"exit:1", "exit:2", "exit:3", "hire:11", "repair:5", "repair:6"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	var res ReconcileResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	p := res.Progress
	if p.Phase != PhaseDone || p.Decision != DecisionApproved || p.DecidedBy != "alice" || p.Applied != 6 || p.Planned != 6 || p.Held != 0 || p.Counted != 11 {
		t.Errorf("result %+v", p)
	}
	if !slices.Contains(f.statuses, RunAwaitingApproval) || f.statuses[len(f.statuses)-1] != RunDone {
		t.Errorf("LifecycleStatus went %v, want awaiting-approval then done", f.statuses)
	}
	// Planning wrote nothing to the tenant.
	if w := f.sim.Stats().Writes; w != 1 {
		t.Errorf("simulator saw %d writes, want only the test's own hand edit", w)
	}
	if got := f.sim.UserGroups("p6@contoso.example"); !slices.Contains(got, "Sales") {
		t.Errorf("the recorded delivery must not have touched 6: %v", got)
	}
}

func TestReconcileGuardTripsThenRejected(t *testing.T) {
	f := newRCFixture(t)
	guardPlan(f)
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(SignalReject, Approval{By: "bob", Note: "HR export was wrong"})
	}, time.Hour)
	f.env.ExecuteWorkflow(ReconcileWorkflowName, ReconcileInput{})
	var res ReconcileResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if got, want := flatten(f.deliveredActions()), []string{"hire:11", "repair:5"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want no exits and no removals: %v", got, want)
	}
	if p := res.Progress; p.Phase != PhaseRejected || p.Decision != DecisionRejected || p.DecidedBy != "bob" || p.Applied != 2 {
		t.Errorf("result %+v", p)
	}
	if last := f.statuses[len(f.statuses)-1]; last != RunRejected {
		t.Errorf("final LifecycleStatus %q, want rejected", last)
	}
}

func TestReconcileWithinGuardDeliversEverything(t *testing.T) {
	f := newRCFixture(t)
	f.change(func(es []hr.Employee) []hr.Employee {
		es[0] = rcEmployee("1", "ICT", "2026-05-31")
		es[1] = rcEmployee("2", "Sales", "") // transfer
		return es
	})
	f.env.ExecuteWorkflow(ReconcileWorkflowName, ReconcileInput{PageSize: 1})
	var res ReconcileResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	pages := f.deliveredActions()
	if got, want := flatten(pages), []string{"exit:1", "move:2"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if len(pages) != 2 {
		t.Errorf("delivered in %d pages, want 2 of one action", len(pages))
	}
	if res.Progress.Decision != "" || slices.Contains(f.statuses, RunAwaitingApproval) || res.Progress.Phase != PhaseDone {
		t.Errorf("a plan within the guard must not wait: %+v statuses %v", res.Progress, f.statuses)
	}
}

func TestReconcileDryRunWritesNothing(t *testing.T) {
	f := newRCFixture(t)
	guardPlan(f)
	f.sim.ResetStats()
	// An orphan: an enabled account HR does not know.
	if err := f.sim.Seed(graphsim.Seed{Users: []map[string]any{rcAccount("77", "ICT")}}); err != nil {
		t.Fatal(err)
	}
	f.env.ExecuteWorkflow(ReconcileWorkflowName, ReconcileInput{DryRun: true, PageSize: 3})
	var res ReconcileResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(f.deliveredActions()) != 0 {
		t.Errorf("dry run delivered %v", f.deliveredActions())
	}
	var got []string
	for _, act := range res.Actions {
		got = append(got, act.Action+":"+act.EmployeeID)
	}
	slices.Sort(got)
	if want := []string{"exit:1", "exit:2", "exit:3", "hire:11", "orphan:77", "repair:5", "repair:6"}; !slices.Equal(got, want) {
		t.Errorf("dry-run plan %v, want %v", got, want)
	}
	if res.Progress.Summary == nil || !res.Progress.Summary.Guard.Tripped || res.Progress.Decision != "" {
		t.Errorf("dry run should report the tripped guard without waiting: %+v", res.Progress)
	}
	if w := f.sim.Stats().Writes; w != 0 {
		t.Errorf("dry run caused %d Graph writes", w)
	}
}

func TestReconcileHROutageHoldsExits(t *testing.T) {
	f := newRCFixture(t)
	f.change(func([]hr.Employee) []hr.Employee { return []hr.Employee{} })
	f.env.ExecuteWorkflow(ReconcileWorkflowName, ReconcileInput{})
	var res ReconcileResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(f.deliveredActions()) != 0 {
		t.Errorf("an empty snapshot delivered %v", f.deliveredActions())
	}
	s := res.Progress.Summary
	if s == nil || s.Outage == "" || s.Exit != 0 || s.Orphan != 10 || s.Guard.Tripped || res.Progress.Phase != PhaseDone {
		t.Errorf("empty snapshot: %+v", res.Progress)
	}
}

// A long plan continues as new every maxReconcilePagesPerRun pages, carrying
// its cursor and counters, and every action is delivered exactly once.
func TestReconcileContinuesAsNewWithBoundedHistory(t *testing.T) {
	f := newRCFixture(t)
	f.change(func(es []hr.Employee) []hr.Employee {
		for i := 100; i < 100+maxReconcilePagesPerRun+5; i++ {
			es = append(es, rcEmployee(strconv.Itoa(i), "ICT", ""))
		}
		return es
	})
	f.env.ExecuteWorkflow(ReconcileWorkflowName, ReconcileInput{PageSize: 1})
	var can *workflow.ContinueAsNewError
	if err := f.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new after %d pages, got %v", maxReconcilePagesPerRun, err)
	}
	var next ReconcileInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.Cursor == "" || next.State.Progress.Applied != maxReconcilePagesPerRun || next.PageSize != 1 {
		t.Fatalf("carried state %+v", next.State)
	}
	first := len(flatten(f.deliveredActions()))

	// The next run continues after the cursor, with the same plan key.
	f2 := newRCFixture(t)
	f2.change(func([]hr.Employee) []hr.Employee { return f.world.HR.Employees() })
	f2.env.ExecuteWorkflow(ReconcileWorkflowName, next)
	var res ReconcileResult
	if err := f2.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	all := append(flatten(f.deliveredActions()), flatten(f2.deliveredActions())...)
	slices.Sort(all)
	if len(all) != maxReconcilePagesPerRun+5 || len(slices.Compact(slices.Clone(all))) != len(all) || first != maxReconcilePagesPerRun {
		t.Errorf("delivered %d actions (%d in the first run), want %d each once", len(all), first, maxReconcilePagesPerRun+5)
	}
	if res.Progress.Applied != maxReconcilePagesPerRun+5 || res.Progress.Phase != PhaseDone {
		t.Errorf("final progress %+v", res.Progress)
	}
}

// A scheduled run compares the snapshot with the previous run's: 10 of the
// 30 employees seen last time is taken for an HR outage, and the exits of
// the snapshot are held, not delivered.
func TestReconcileScheduledRunUsesPreviousCount(t *testing.T) {
	f := newRCFixture(t)
	f.change(func(es []hr.Employee) []hr.Employee {
		es[0] = rcEmployee("1", "ICT", "2026-05-31")
		return es
	})
	f.env.SetLastCompletionResult(ReconcileResult{Progress: ReconcileProgress{Summary: &reconcile.PlanSummary{Employees: 30}}})
	f.env.ExecuteWorkflow(ReconcileWorkflowName, ReconcileInput{})
	var res ReconcileResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	s := res.Progress.Summary
	if s == nil || s.Outage == "" || s.Held != 1 || s.Exit != 0 || len(f.deliveredActions()) != 0 {
		t.Errorf("summary %+v delivered %v, want the exit held for a suspected outage", s, f.deliveredActions())
	}
}

// Callers outside the workflows start an entity with entityaddr.Start: its
// JSON form must be the entity's own input without carried state.
func TestEntityStartIsEmployeeInput(t *testing.T) {
	want, _ := json.Marshal(EmployeeInput{EmployeeID: "1001"})
	got, _ := json.Marshal(entityaddr.Start{EmployeeID: "1001"})
	if string(got) != string(want) {
		t.Errorf("entityaddr.Start %s, EmployeeInput %s", got, want)
	}
	if EmployeeWorkflowID("1001") != entityaddr.WorkflowID("1001") || EmployeeWorkflowName != entityaddr.WorkflowType {
		t.Error("the workflows' names differ from entityaddr's")
	}
}
