// Package testenv builds the world the engine's tests run against, once for
// every package: the Graph simulator behind an HTTP server, the real
// msgraph-sdk-go directory client over it, the real file HR connector over a
// mutable in-memory HR document, and a mutable access policy. Named fixtures
// (Contoso, SmallOrg) give the tenant, the people and the policy.
//
// It imports no package above the ports (not activities, not workflows), so
// the tests of those packages, including in-package ones, can use it; each
// package wraps the environment in its own Activities.
package testenv

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/file"
	"github.com/entralifecycle/engine/internal/policy"
)

// Quiet is a logger that discards everything, for the engine's own lines.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// HR is a mutable HR document (docs/hr-file.md), read through the real file
// connector. Employees keep the order they were first put in.
type HR struct {
	mu        sync.Mutex
	employees []hr.Employee
}

// NewHR is an HR document holding employees.
func NewHR(employees ...hr.Employee) *HR {
	h := &HR{}
	for _, e := range employees {
		h.Set(e)
	}
	return h
}

// Set puts an employee into HR, replacing the record with the same id.
func (h *HR) Set(e hr.Employee) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.employees {
		if h.employees[i].EmployeeID == e.EmployeeID {
			h.employees[i] = e
			return
		}
	}
	h.employees = append(h.employees, e)
}

// Get returns the employee with id.
func (h *HR) Get(id string) (hr.Employee, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.employees {
		if e.EmployeeID == id {
			return e, true
		}
	}
	return hr.Employee{}, false
}

// Edit changes an employee's record in place (on a copy of it).
func (h *HR) Edit(id string, fn func(*hr.Employee)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.employees {
		if h.employees[i].EmployeeID == id {
			e := h.employees[i].Clone()
			fn(&e)
			h.employees[i] = e
			return
		}
	}
}

// Change replaces the whole list with what fn makes of it.
func (h *HR) Change(fn func([]hr.Employee) []hr.Employee) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.employees = fn(h.employees)
}

// Employees returns a copy of the list.
func (h *HR) Employees() []hr.Employee {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hr.Employee{}, h.employees...)
}

// Document renders the HR file: {"employees": [...]}.
func (h *HR) Document(context.Context) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return json.Marshal(map[string]any{"employees": append([]hr.Employee{}, h.employees...)})
}

// Source is the real file connector reading the document.
func (h *HR) Source(t testing.TB, name string) *file.Source {
	t.Helper()
	src, err := file.New(file.Config{}, file.WithLoader(name, h.Document))
	if err != nil {
		t.Fatalf("file HR source: %v", err)
	}
	return src
}

// Policy is a mutable access policy (docs/policy.md).
type Policy struct {
	mu  sync.Mutex
	yml string
}

// NewPolicy holds the policy yml.
func NewPolicy(yml string) *Policy { return &Policy{yml: yml} }

// Set replaces the policy.
func (p *Policy) Set(yml string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.yml = yml
}

// YAML is the policy's text now.
func (p *Policy) YAML() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.yml
}

// Load parses the policy now; it has the signature of activities.Activities.Policy.
func (p *Policy) Load(context.Context) (*policy.Policy, error) {
	return policy.Parse("policy.yaml", []byte(p.YAML()))
}

// Directory is the real directory client over a Graph root (".../v1.0"),
// logging nowhere; mailSender may be empty.
func Directory(t testing.TB, baseURL, mailSender string, opts ...directory.Option) *directory.Client {
	t.Helper()
	opts = append([]directory.Option{directory.WithLogger(Quiet())}, opts...)
	dir, err := directory.New(context.Background(), directory.Config{BaseURL: baseURL, MailSender: mailSender}, opts...)
	if err != nil {
		t.Fatalf("directory client: %v", err)
	}
	return dir
}

// Fixture is a named world: what the simulator is seeded with, the HR
// document's first content, the policy and the mailbox mail is sent from.
type Fixture struct {
	Seed       graphsim.Seed
	Employees  []hr.Employee
	Policy     string
	MailSender string
}

// Env is a running world. Everything in it is closed when the test ends.
type Env struct {
	// Sim is the Graph simulator; URL the root its server answers on.
	Sim *graphsim.Sim
	URL string
	// IDs are the object ids the seed created.
	IDs graphsim.SeedResult
	// Dir is the real directory client over the simulator.
	Dir *directory.Client
	// HR is the HR document and Source the file connector reading it.
	HR     *HR
	Source *file.Source
	// Policy is the access policy the activities read.
	Policy *Policy
	// Logger discards.
	Logger *slog.Logger
}

type options struct {
	handler   func(http.Handler) http.Handler
	transport http.RoundTripper
}

// Option changes how New builds the world.
type Option func(*options)

// WithHandler puts wrap in front of the simulator in the HTTP server (to
// answer some requests as a real tenant configured otherwise would).
func WithHandler(wrap func(http.Handler) http.Handler) Option {
	return func(o *options) { o.handler = wrap }
}

// WithTransport has the directory client send its requests through rt.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// New starts the simulator behind an HTTP server, seeds it with the
// fixture and builds the directory client, the HR document and source, and
// the policy.
func New(t testing.TB, f Fixture, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	e := &Env{Sim: graphsim.New(), HR: NewHR(f.Employees...), Policy: NewPolicy(f.Policy), Logger: Quiet()}
	var h http.Handler = e.Sim
	if o.handler != nil {
		h = o.handler(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	ids, err := e.Sim.SeedWithResult(f.Seed)
	if err != nil {
		t.Fatalf("seed the simulator: %v", err)
	}
	e.IDs = ids
	var dirOpts []directory.Option
	if o.transport != nil {
		dirOpts = append(dirOpts, directory.WithTransport(o.transport))
	}
	e.Dir = Directory(t, srv.URL+"/v1.0", f.MailSender, dirOpts...)
	e.Source = e.HR.Source(t, "test HR")
	return e
}
