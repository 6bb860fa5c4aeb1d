package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/testenv"
)

// The workflow tests run the real activities against the Graph simulator over
// HTTP through the real msgraph-sdk-go directory client, and the real file HR
// connector over an in-memory HR document; Temporal's test environment skips
// time over the durable timers.

// The Contoso fixture's names, as the tests spell them.
const (
	domain      = testenv.ContosoDomain
	senderUPN   = testenv.ContosoSender
	managerID   = testenv.ContosoManagerID
	managerUPN  = testenv.ContosoManagerUPN
	managerMail = testenv.ContosoManagerUPN
)

var ams = mustLoc("Europe/Amsterdam")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// at is a moment in Amsterdam.
func at(day string, hour, minute int) time.Time {
	d := hr.MustParseDate(day)
	return time.Date(d.Year, d.Month, d.Day, hour, minute, 0, 0, ams)
}

type harness struct {
	t     *testing.T
	world *testenv.Env
	sim   *graphsim.Sim
	dir   *directory.Client
	ids   graphsim.SeedResult

	acts *activities.Activities
	env  *testsuite.TestWorkflowEnvironment
	t0   time.Time
	seq  int
	// permit answers the entity's requests to the mass-change guard
	// (the test environment has no guard workflow); nil grants.
	permit func(activities.RequestExitPermitInput) activities.GuardPermitAnswer
}

// newHarness builds the Contoso world (testenv.Contoso) with a transfer
// grace period of graceDays, the real activities over it, and a test
// environment starting at start.
func newHarness(t *testing.T, start time.Time, graceDays int) *harness {
	t.Helper()
	w := testenv.New(t, testenv.Contoso(graceDays))
	h := &harness{t: t, world: w, sim: w.Sim, dir: w.Dir, ids: w.IDs, t0: start}
	h.acts = &activities.Activities{Identity: "test", Directory: w.Dir, HR: w.Source, Logger: w.Logger, Policy: w.Policy.Load}
	h.freshEnv(start)
	return h
}

// freshEnv gives the harness a new test environment starting at start.
func (h *harness) freshEnv(start time.Time) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(testLogger{})
	h.env = suite.NewTestWorkflowEnvironment()
	Register(h.env, h.acts)
	h.env.OnActivity(a.RequestExitPermit, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RequestExitPermitInput) (activities.GuardPermitAnswer, error) {
			if h.permit == nil {
				return activities.GuardPermitAnswer{Granted: true}, nil
			}
			return h.permit(in), nil
		}).Maybe()
	h.env.SetStartTime(start)
	h.env.SetTestTimeout(3 * time.Minute)
	h.t0 = start
}

// runThroughContinueAsNew runs a workflow and, while it continues as new,
// runs the next run in a fresh environment (the test environment does not
// follow continue-as-new itself); setup prepares each environment.
func (h *harness) runThroughContinueAsNew(name string, in any, out any, decode func(*commonpb.Payloads) (any, error), setup func()) error {
	for runs := 0; runs < 100; runs++ {
		setup()
		h.env.ExecuteWorkflow(name, in)
		err := h.env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			if err != nil {
				return err
			}
			return h.env.GetWorkflowResult(out)
		}
		if in, err = decode(can.Input); err != nil {
			return err
		}
		h.freshEnv(h.env.Now())
	}
	return errors.New("too many runs")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// setEmployee puts an employee into HR.
func (h *harness) setEmployee(e hr.Employee) { h.world.HR.Set(e) }

// setPolicy replaces the access policy.
func (h *harness) setPolicy(yml string) { h.world.Policy.Set(yml) }

// policy is the access policy's text now.
func (h *harness) policy() string { return h.world.Policy.YAML() }

// when runs fn at moment m of the test clock.
func (h *harness) when(m time.Time, fn func()) {
	h.env.RegisterDelayedCallback(fn, m.Sub(h.t0))
}

// state queries the entity's state.
func (h *harness) state() entityState {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryState)
	if err != nil {
		h.t.Fatalf("query state: %v", err)
	}
	var st entityState
	if err := v.Get(&st); err != nil {
		h.t.Fatal(err)
	}
	return st
}

// user reads a user from the simulator by UPN or id.
func (h *harness) user(key string) map[string]any {
	u, ok := h.sim.User(key)
	if !ok {
		return nil
	}
	return u
}

// signal sends an HR change; a nil employee makes the entity re-read HR.
func (h *harness) signal(e *hr.Employee) {
	h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: "test", Source: "test", Employee: e})
}

// updateResult is the answer to an update, filled in when it completes.
type updateResult struct {
	done bool
	out  ReplacementStatus
	err  error
}

// update sends a replacement update; the test environment delivers it
// asynchronously, so the answer is read in a later callback.
func (h *harness) update(name string, arg any) *updateResult {
	res := &updateResult{}
	h.seq++
	h.env.UpdateWorkflow(name, name+"-"+itoa(h.seq), &testsuite.TestUpdateCallback{
		OnReject: func(err error) { res.err, res.done = err, true },
		OnComplete: func(v any, err error) {
			res.done, res.err = true, err
			if r, ok := v.(ReplacementStatus); ok {
				res.out = r
			}
		},
	}, arg)
	return res
}

// run starts the entity for employee id and runs the test clock; stop is the
// moment the test ends the entity.
func (h *harness) run(id string, stop time.Time) {
	h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	h.when(stop, func() { h.env.CancelWorkflow() })
	h.env.ExecuteWorkflow(EmployeeWorkflowName, EmployeeInput{EmployeeID: id})
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("entity did not stop")
	}
}

func contract(id, start, end, dept, jobCode, title, manager string) hr.Contract {
	c := hr.Contract{ID: id, Start: hr.MustParseDate(start), Department: dept, DepartmentName: dept + " dept",
		JobCode: jobCode, JobTitle: title, CostCenter: "4130", Company: "Contoso B.V.", ManagerEmployeeID: manager,
		EmployeeType: "Employee", FTE: 1}
	if end != "" {
		d := hr.MustParseDate(end)
		c.End = &d
	}
	return c
}

func person(id, given, prefix, family string, cs ...hr.Contract) hr.Employee {
	return hr.Employee{EmployeeID: id, GivenName: given, PreferredName: given, Prefix: prefix, FamilyName: family,
		NameUsage: "own", Contracts: cs}
}

// hasTimer reports whether the entity has a timer for what at when.
func hasTimer(st entityState, what string, when interface{ Unix() int64 }) bool {
	for _, tm := range st.Timers {
		if tm.What == what && tm.At.Unix() == when.Unix() {
			return true
		}
	}
	return false
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func boolOf(m map[string]any, k string) bool { b, _ := m[k].(bool); return b }

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// testLogger keeps the test environment quiet.
type testLogger struct{}

func (testLogger) Debug(string, ...any) {}
func (testLogger) Info(string, ...any)  {}
func (testLogger) Warn(string, ...any)  {}
func (testLogger) Error(string, ...any) {}
