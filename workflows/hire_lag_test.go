package workflows

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
)

// lagAfterCreate stands in front of the simulator and answers, for the first
// `reads` requests that name a just-created user by id, what a real tenant
// answers while the user replicates: 404 Request_ResourceNotFound
// (eventual consistency; see docs/entra-behaviour.md).
type lagAfterCreate struct {
	next  http.RoundTripper
	reads int

	mu      sync.Mutex
	created []string
	left    int
	hidden  int
}

func (l *lagAfterCreate) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	for _, id := range l.created {
		if l.left > 0 && strings.Contains(req.URL.Path, id) {
			l.left--
			l.hidden++
			l.mu.Unlock()
			body := `{"error":{"code":"Request_ResourceNotFound","message":"Resource '` + id + `' does not exist or one of its queried reference-property objects are not present."}}`
			return &http.Response{StatusCode: 404, Status: "404 Not Found", Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": []string{"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}, nil
		}
	}
	l.mu.Unlock()
	resp, err := l.next.RoundTrip(req)
	if err == nil && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/users") && resp.StatusCode == http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		var u struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(b, &u)
		l.mu.Lock()
		l.created, l.left = append(l.created, u.ID), l.reads
		l.mu.Unlock()
	}
	return resp, err
}

// A hire whose new account answers 404 for its first reads (Entra replication
// lag) waits and goes on: the activities retry the 404 on the account they
// just created instead of failing the hire for good.
func TestHireRidesOutReplicationLag(t *testing.T) {
	sim := graphsim.New()
	if _, err := sim.SeedWithResult(graphsim.Seed{
		Domains: []string{domain},
		Groups:  []graphsim.SeedGroup{{DisplayName: "All Staff"}},
		Users: []map[string]any{{"displayName": "Maria Manager", "userPrincipalName": managerUPN, "mail": managerMail,
			"accountEnabled": true, "employeeId": managerID}},
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	lag := &lagAfterCreate{next: http.DefaultTransport, reads: 3}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"},
		directory.WithTransport(lag), directory.WithLogger(quiet))
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
	env.SetTestTimeout(time.Minute)
	env.ExecuteWorkflow(Hire, HireInput{
		EmployeeID: "1040",
		Person:     policy.Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", NameUsage: "own"},
		Naming:     policy.Default().Naming, Domain: domain,
		Spec:              activities.AccountSpec{EmployeeID: "1040", Attributes: orgattr.Attributes{JobTitle: "Systeembeheerder", Department: "ICT"}},
		ManagerEmployeeID: managerID,
		Entitlements:      []policy.Entitlement{policy.Group("All Staff")},
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res HireResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Failed || res.ManagerObjectID == "" || len(res.Granted) != 1 {
		t.Fatalf("hire under lag: %+v", res)
	}
	if lag.hidden != 3 {
		t.Fatalf("lagging answers given: %d, want 3", lag.hidden)
	}
	u, ok := sim.User("jan.devries@" + domain)
	if !ok || str(u, "jobTitle") != "Systeembeheerder" {
		t.Fatalf("account after the hire: %v", u)
	}
}
