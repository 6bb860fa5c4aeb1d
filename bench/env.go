package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
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

// benchTaskQueue is the task queue of the benchmarks' worker.
const benchTaskQueue = "bench"

// stackOptions configure the embedded stack of one benchmark run.
type stackOptions struct {
	// catalog holds the tenant's domains, groups, SKUs and service
	// principals (seeded when the simulator starts).
	catalog graphsim.Seed
	// tenant holds users, managers, memberships, licences and app role
	// assignments, seeded directly (no Graph request is counted).
	tenant graphsim.Seed
	// policy is the access policy (YAML).
	policy string
	// employees are the HR file's first content.
	employees []hr.Employee
	// latency is the simulator's latency per Graph request.
	latency time.Duration
	// sim is the simulator's realism settings (replication lag, quota).
	sim graphsim.Config
	// writesPerSecond, when positive, puts the tenant's Graph write budget
	// (wrapGraphTransport) under the directory client.
	writesPerSecond float64
	// verbose logs the engine's own lines to stderr.
	verbose bool
}

// stack is a running embedded stack with the engine's worker.
type stack struct {
	dev    *devstack.Stack
	sim    *graphsim.Sim
	client client.Client
	worker worker.Worker
	hr     *hrFile
	acts   *activities.Activities
	logger *slog.Logger
}

// startStack starts Temporal (in memory), the Graph simulator (seeded),
// the engine's activities over msgraph-sdk-go and a worker registered like
// the product's.
func startStack(ctx context.Context, o stackOptions) (_ *stack, err error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	frontend, err := devstack.FreeAddr()
	if err != nil {
		return nil, fmt.Errorf("free address for Temporal: %w", err)
	}
	graphAddr, err := devstack.FreeAddr()
	if err != nil {
		return nil, fmt.Errorf("free address for the simulator: %w", err)
	}
	var sas []devstack.SearchAttribute
	for _, sa := range workflows.SearchAttributes() {
		sas = append(sas, devstack.SearchAttribute{Name: sa.Name, Type: sa.Type})
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	catalog := o.catalog
	dev, err := devstack.Start(sctx, devstack.Options{FrontendAddr: frontend, GraphAddr: graphAddr, SearchAttributes: sas,
		GraphSeed: &catalog, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("start the embedded stack: %w", err)
	}
	s := &stack{dev: dev, sim: dev.Graph(), logger: logger}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if err := s.sim.Seed(o.tenant); err != nil {
		return nil, fmt.Errorf("seed the tenant: %w", err)
	}
	if err := s.sim.SetConfig(o.sim); err != nil {
		return nil, err
	}
	s.sim.SetLatency(o.latency)
	if s.hr, err = newHRFile(o.employees); err != nil {
		return nil, err
	}
	dopts := []directory.Option{directory.WithLogger(logger)}
	if o.writesPerSecond > 0 {
		dopts = append(dopts, directory.WithTransport(wrapGraphTransport(http.DefaultTransport, o.writesPerSecond, time.Duration(o.sim.WriteQuotaWindowSeconds)*time.Second)))
	}
	dir, err := directory.New(ctx, directory.Config{BaseURL: dev.GraphBaseURL()}, dopts...)
	if err != nil {
		return nil, fmt.Errorf("directory client: %w", err)
	}
	pol := o.policy
	if _, err := policy.Parse("bench policy", []byte(pol)); err != nil {
		return nil, fmt.Errorf("bench policy: %w", err)
	}
	s.acts = &activities.Activities{Identity: "bench", Directory: dir, HR: s.hr, Logger: logger,
		Policy: func(context.Context) (*policy.Policy, error) { return policy.Parse("bench policy", []byte(pol)) }}
	s.client, err = client.Dial(client.Options{HostPort: dev.FrontendAddr(), Namespace: dev.Namespace(), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("dial Temporal: %w", err)
	}
	s.worker = worker.New(s.client, benchTaskQueue, worker.Options{MaxConcurrentWorkflowTaskPollers: 8})
	workflows.Register(s.worker, s.acts)
	if err := s.worker.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	return s, nil
}

// stop stops the worker, the client and the stack.
func (s *stack) stop() {
	if s.worker != nil {
		s.worker.Stop()
	}
	if s.client != nil {
		s.client.Close()
	}
	s.dev.Stop()
}

// hrFile is the HR file source of the benchmarks: a JSON document in the
// file connector's format (docs/hr-file.md), parsed by the file connector's
// own parser and validation. It is parsed once per change, where the file
// connector re-reads and re-parses its file on every call: the benchmarks
// measure the engine, not the parse of a 10,000-employee file per
// employee read.
type hrFile struct {
	mu   sync.Mutex
	emps []hr.Employee
	snap hr.Snapshot
	// index maps an employee id to its position in snap.Employees.
	index map[string]int
}

var _ hr.Source = (*hrFile)(nil)

func newHRFile(emps []hr.Employee) (*hrFile, error) {
	f := &hrFile{}
	if err := f.set(emps); err != nil {
		return nil, err
	}
	return f, nil
}

// set replaces the file's employees.
func (f *hrFile) set(emps []hr.Employee) error {
	doc, err := json.Marshal(map[string]any{"employees": emps})
	if err != nil {
		return fmt.Errorf("HR file: %w", err)
	}
	snap, err := file.ParseJSON(doc)
	if err != nil {
		return fmt.Errorf("HR file: %w", err)
	}
	snap = hr.Validate(snap)
	if len(snap.Rejected) > 0 {
		return fmt.Errorf("HR file: %d records rejected, the first %s: %s", len(snap.Rejected), snap.Rejected[0].EmployeeID, snap.Rejected[0].Reason)
	}
	index := make(map[string]int, len(snap.Employees))
	for i, e := range snap.Employees {
		index[e.EmployeeID] = i
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.emps, f.snap, f.index = slices.Clone(emps), snap, index
	return nil
}

// upsert adds or replaces one employee.
func (f *hrFile) upsert(e hr.Employee) error {
	f.mu.Lock()
	emps := slices.Clone(f.emps)
	f.mu.Unlock()
	replaced := false
	for i := range emps {
		if emps[i].EmployeeID == e.EmployeeID {
			emps[i], replaced = e, true
		}
	}
	if !replaced {
		emps = append(emps, e)
	}
	return f.set(emps)
}

// Snapshot implements hr.Source.
func (f *hrFile) Snapshot(context.Context) (hr.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap, nil
}

// Employee implements hr.Source.
func (f *hrFile) Employee(_ context.Context, id string) (hr.Employee, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i, ok := f.index[id]; ok {
		return f.snap.Employees[i], nil
	}
	return hr.Employee{}, fmt.Errorf("bench HR file: employee %q: %w", id, hr.ErrNotFound)
}
