package workflows

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/policy"
)

// filterLag answers every $filter lookup of users with an empty page, as a
// real tenant does for users created a moment ago (the lookups are
// eventually consistent; see docs/entra-behaviour.md), while the simulator
// behind it still refuses a taken UPN on create.
type filterLag struct{ next http.RoundTripper }

func (f filterLag) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/users") && strings.Contains(req.URL.RawQuery, "filter") {
		body := `{"value":[]}`
		return &http.Response{StatusCode: 200, Status: "200 OK", Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": []string{"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}, nil
	}
	return f.next.RoundTrip(req)
}

// namesakeWave hires n namesakes at the same moment, as child workflows.
func namesakeWave(ctx workflow.Context, n int) ([]HireResult, error) {
	futures := make([]workflow.ChildWorkflowFuture, n)
	for i := range n {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: fmt.Sprintf("hire-%d", i)})
		futures[i] = workflow.ExecuteChildWorkflow(cctx, Hire, HireInput{
			EmployeeID: fmt.Sprintf("%d", 3000+i),
			Person:     policy.Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", NameUsage: "own"},
			Naming:     policy.Default().Naming, Domain: domain,
			Spec: activities.AccountSpec{EmployeeID: fmt.Sprintf("%d", 3000+i)},
		})
	}
	out := make([]HireResult, n)
	for i, f := range futures {
		if err := f.Get(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Twenty namesakes hired at once, with lookups that cannot see each other's
// new accounts yet: every hire ends with its own account and a distinct UPN,
// none fails and none waits for a later retry.
func TestTwentyNamesakesHiredAtOnceAllSucceed(t *testing.T) {
	sim := graphsim.New()
	if err := sim.Seed(graphsim.Seed{Domains: []string{domain}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"},
		directory.WithTransport(filterLag{next: http.DefaultTransport}), directory.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(testLogger{})
	env := suite.NewTestWorkflowEnvironment()
	// The test environment hashes the test binary on the first activity; on a busy machine
	// that takes longer than the default deadlock detection allows.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	Register(env, &activities.Activities{Identity: "test", Directory: dir, Logger: quiet})
	env.RegisterWorkflow(namesakeWave)
	env.SetTestTimeout(2 * time.Minute)
	const n = 20
	env.ExecuteWorkflow(namesakeWave, n)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res []HireResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, r := range res {
		if r.Failed || r.Account.ObjectID == "" {
			t.Fatalf("hire %d failed: %s", i, r.Reason)
		}
		if seen[strings.ToLower(r.Account.UPN)] {
			t.Fatalf("UPN %s given twice", r.Account.UPN)
		}
		seen[strings.ToLower(r.Account.UPN)] = true
	}
	for i := 1; i <= n; i++ {
		upn := "jan.devries@" + domain
		if i > 1 {
			upn = fmt.Sprintf("jan.devries%d@%s", i, domain)
		}
		if !seen[upn] {
			t.Errorf("%s not given: the names are not the lowest free ones (%v)", upn, seen)
		}
	}
}
