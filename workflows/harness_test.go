package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
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
	"github.com/entralifecycle/engine/internal/hr/file"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/sample"
)

// The workflow tests run the real activities against the Graph simulator over
// HTTP through the real msgraph-sdk-go directory client, and the real file HR
// connector over an in-memory HR document; Temporal's test environment skips
// time over the durable timers.

const (
	domain        = "contoso.example"
	senderUPN     = "lifecycle@contoso.example"
	managerID     = "2000"
	managerUPN    = "maria.manager@contoso.example"
	managerMail   = "maria.manager@contoso.example"
	testPolicyYML = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle:
  timezone: Europe/Amsterdam
  createDaysBeforeStart: 14
  temporaryAccessPass: true
  transferGraceDays: %GRACE%
  leaveTime: "17:00"
  deleteAfterDays: 30
rules:
  - name: all-staff
    groups: ["All Staff"]
    licenses: ["SPE_E3"]
  - name: ict
    when: {department: ["ICT"]}
    groups: ["ICT Admins"]
  - name: sales
    when: {department: ["Sales"]}
    groups: ["Sales"]
  - name: sales-leads
    when: {department: ["Sales"], jobCode: ["M01"]}
    groups: ["Sales Leadership"]
    appRoles: [{app: "Salesforce", role: "Standard User"}]
`
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
	t   *testing.T
	sim *graphsim.Sim
	dir *directory.Client

	mu     sync.Mutex
	people map[string]hr.Employee
	policy string

	acts *activities.Activities
	env  *testsuite.TestWorkflowEnvironment
	ids  graphsim.SeedResult
	t0   time.Time
	seq  int
	// permit answers the entity's requests to the mass-change guard
	// (the test environment has no guard workflow); nil grants.
	permit func(activities.RequestExitPermitInput) activities.GuardPermitAnswer
}

// newHarness starts the simulator, seeds the tenant with the policy's groups,
// licences and app, a mail sender and a manager, and builds a test
// environment starting at start.
func newHarness(t *testing.T, start time.Time, graceDays int) *harness {
	t.Helper()
	h := &harness{t: t, sim: graphsim.New(), people: map[string]hr.Employee{}, t0: start}
	h.policy = strings.ReplaceAll(testPolicyYML, "%GRACE%", itoa(graceDays))
	srv := httptest.NewServer(h.sim)
	t.Cleanup(srv.Close)
	var groups []graphsim.SeedGroup
	for _, g := range append(sample.Groups(), "Unmanaged Club") {
		groups = append(groups, graphsim.SeedGroup{DisplayName: g})
	}
	ids, err := h.sim.SeedWithResult(graphsim.Seed{
		Domains: []string{domain},
		Groups:  groups,
		SKUs:    []graphsim.SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 100}, {SkuPartNumber: "POWER_BI_PRO", PrepaidUnits: 100}},
		ServicePrincipals: []graphsim.SeedServicePrincipal{{DisplayName: "Salesforce", AppRoles: []graphsim.SeedAppRole{
			{Value: "standard", DisplayName: "Standard User"}}}},
		Users: []map[string]any{
			{"displayName": "Lifecycle", "userPrincipalName": senderUPN, "mail": senderUPN, "accountEnabled": true},
			{"displayName": "Maria Manager", "userPrincipalName": managerUPN, "mail": managerMail, "accountEnabled": true,
				"employeeId": managerID, "givenName": "Maria"},
		},
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	h.ids = ids
	// The manager is in HR too (a link to someone HR does not know is dropped).
	h.people[managerID] = person(managerID, "Maria", "", "Manager", contract(managerID+"-1", "2015-01-01", "", "DIR", "D00", "Directeur", ""))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.dir, err = directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0", MailSender: senderUPN}, directory.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	src, err := file.New(file.Config{}, file.WithLoader("test-hr", h.hrFile))
	if err != nil {
		t.Fatal(err)
	}
	h.acts = &activities.Activities{
		Identity: "test", Directory: h.dir, HR: src, Logger: quiet,
		Policy: func(context.Context) (*policy.Policy, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return policy.Parse("policy.yaml", []byte(h.policy))
		},
	}
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

// hrFile renders the HR document the file connector reads.
func (h *harness) hrFile(context.Context) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	doc := struct {
		Employees []hr.Employee `json:"employees"`
	}{}
	for _, e := range h.people {
		doc.Employees = append(doc.Employees, e)
	}
	return json.Marshal(doc)
}

// setEmployee puts an employee into HR.
func (h *harness) setEmployee(e hr.Employee) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.people[e.EmployeeID] = e
}

func (h *harness) setPolicy(yml string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.policy = yml
}

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
