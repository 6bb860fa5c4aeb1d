// The adoption benchmark: the engine's first start against a tenant where
// every employee already has an account in line with the policy.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/workflows"
)

// adoptReport is what the adoption benchmark prints.
type adoptReport struct {
	Employees int    `json:"employees"`
	Latency   string `json:"latency"`
	// SignalSeconds is how long the start took to signal every entity.
	SignalSeconds float64 `json:"signalSeconds"`
	// WallSeconds runs from the start until every entity is active (it found
	// and adopted the account) or failed.
	WallSeconds float64 `json:"wallSeconds"`
	// InPlace entities found their account in line and adopted it in their
	// own workflow task; Hires counts the Hire child workflows started.
	InPlace   int            `json:"adoptedInPlace"`
	Hires     int            `json:"hireWorkflows"`
	PerSecond float64        `json:"employeesPerSecond"`
	Settled   int            `json:"settled"`
	Failed    int            `json:"failed"`
	Reads     int            `json:"reads"`
	Writes    int            `json:"writes"`
	ByRoute   map[string]int `json:"byRoute"`
	// Checked entities were queried after the run: active, their account's
	// object id known, nothing blocked.
	Checked    int     `json:"checked"`
	NotActive  int     `json:"notActive"`
	MaxSeconds float64 `json:"maxSeconds"`
	// Load is the machine's load average (1, 5, 15 minutes) at the start
	// and at the end of the run, as /proc/loadavg gives it (empty elsewhere):
	// the figures depend on what else the machine runs.
	LoadBefore string   `json:"loadBefore,omitempty"`
	LoadAfter  string   `json:"loadAfter,omitempty"`
	OK         bool     `json:"ok"`
	Problems   []string `json:"problems,omitempty"`
}

// check lists the missed targets and sets OK.
func (r *adoptReport) check() {
	r.Problems = nil
	if r.WallSeconds > 0 {
		r.PerSecond = float64(r.Settled) / r.WallSeconds
	}
	if r.Writes > 0 {
		r.Problems = append(r.Problems, problemf("%d Graph writes to accounts already in line (want 0)", r.Writes))
	}
	if r.WallSeconds > r.MaxSeconds {
		r.Problems = append(r.Problems, problemf("took %.1f s, limit %.0f s", r.WallSeconds, r.MaxSeconds))
	}
	if r.Settled < r.Employees {
		r.Problems = append(r.Problems, problemf("%d of %d entities settled", r.Settled, r.Employees))
	}
	if r.Failed > 0 {
		r.Problems = append(r.Problems, problemf("%d entities failed", r.Failed))
	}
	if r.NotActive > 0 {
		r.Problems = append(r.Problems, problemf("%d of %d checked entities not active", r.NotActive, r.Checked))
	}
	r.OK = len(r.Problems) == 0
}

// entityStatus is the part of the entity's state query the check reads.
type entityStatus struct {
	Status    string `json:"status"`
	ObjectID  string `json:"objectId"`
	Blocked   bool   `json:"blocked"`
	LastError string `json:"lastError"`
}

// runAdopt seeds N employees whose accounts (found by employeeId) already
// hold what the policy gives them, with their managers, then starts the
// engine the way `worker -dev` first syncs HR (every employee of the
// snapshot signalled to its entity, dispatch.SyncAll) and waits until every
// entity's hire has completed.
func runAdopt(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("adopt", flag.ContinueOnError)
	n := fs.Int("n", 10000, "employees, each with an account in line")
	latency := fs.Duration("latency", 5*time.Millisecond, "simulated Graph latency per HTTP request")
	limit := fs.Duration("max", 10*time.Minute, "fail when the first start takes longer")
	check := fs.Int("check", 500, "entities whose state is queried afterwards (spread over the organisation)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log the engine's own lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return errors.New("-n must be positive")
	}
	o := synthesize(*n, 0)
	withManagers(&o)
	fmt.Fprintf(progress, "adopt: %d employees with accounts in line, %s Graph latency; starting the embedded stack…\n", *n, *latency)
	st, err := startStack(ctx, stackOptions{catalog: catalogOf(o, 0), tenant: tenantOf(o), policy: benchPolicy(),
		employees: o.employees, latency: *latency, verbose: *verbose})
	if err != nil {
		return err
	}
	defer st.stop()

	r := adoptReport{Employees: *n, Latency: latency.String(), MaxSeconds: limit.Seconds(), LoadBefore: loadAverage()}
	st.sim.ResetStats()
	// Give up well after the limit, so a slow run still reports its figures.
	rctx, cancel := context.WithTimeout(ctx, 2**limit+time.Minute)
	defer cancel()
	began := time.Now()
	snap, err := st.hr.Snapshot(rctx)
	if err != nil {
		return fmt.Errorf("HR snapshot: %w", err)
	}
	d := dispatch.Dispatcher{Client: st.client, TaskQueue: benchTaskQueue}
	if _, err := d.SyncAll(rctx, snap, "dev-start"); err != nil {
		return fmt.Errorf("first sync: %w", err)
	}
	r.SignalSeconds = time.Since(began).Seconds()
	// An entity has settled once its LifecycleStatus search attribute says
	// where it stands: active (its account adopted, in place or through a
	// Hire child) or failed.
	count := func(query string) (int, error) {
		resp, err := st.client.CountWorkflow(rctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return 0, fmt.Errorf("count %q: %w", query, err)
		}
		return int(resp.GetCount()), nil
	}
	entities := func(statuses ...workflows.EntityStatus) (int, error) {
		quoted := make([]string, len(statuses))
		for i, s := range statuses {
			quoted[i] = "'" + string(s) + "'"
		}
		return count(fmt.Sprintf("WorkflowType = '%s' AND %s IN (%s)", workflows.EmployeeWorkflowName, workflows.SALifecycleStatus, strings.Join(quoted, ", ")))
	}
	// One visibility query a second: the count scans the visibility table,
	// which shares the embedded server's SQLite with the work measured.
	lastNote := time.Now()
	for rctx.Err() == nil {
		settled, err := entities(workflows.StatusActive, workflows.StatusFailed)
		if err != nil {
			return err
		}
		r.Settled = settled
		if settled >= *n {
			break
		}
		if time.Since(lastNote) > 10*time.Second {
			lastNote = time.Now()
			s := st.sim.Stats()
			fmt.Fprintf(progress, "  %5.0f s: %d of %d settled, %d writes, %d reads\n", time.Since(began).Seconds(), settled, *n, s.Writes, s.Reads)
		}
		select {
		case <-time.After(time.Second):
		case <-rctx.Done():
		}
	}
	r.WallSeconds = time.Since(began).Seconds()
	r.LoadAfter = loadAverage()
	if r.Failed, err = entities(workflows.StatusFailed); err != nil {
		return err
	}
	r.Settled -= r.Failed
	if r.InPlace, err = count(fmt.Sprintf("WorkflowType = '%s' AND %s = '%s'", workflows.EmployeeWorkflowName, workflows.SALifecycleEvent, workflows.EventAdopt)); err != nil {
		return err
	}
	if r.Hires, err = count(fmt.Sprintf("WorkflowType = '%s'", workflows.HireWorkflowName)); err != nil {
		return err
	}
	stats := st.sim.Stats()
	r.Reads, r.Writes, r.ByRoute = stats.Reads, stats.Writes, stats.ByRoute

	// Spot check: the entities say they adopted their account.
	step := max(1, *n/max(1, *check))
	for i := 0; i < *n && r.Checked < *check; i += step {
		id := o.employees[i].EmployeeID
		v, err := st.client.QueryWorkflow(ctx, workflows.EmployeeWorkflowID(id), "", workflows.QueryState)
		var es entityStatus
		if err == nil {
			err = v.Get(&es)
		}
		r.Checked++
		if err != nil || es.Status != string(workflows.StatusActive) || es.ObjectID == "" || es.Blocked {
			r.NotActive++
		}
	}
	r.check()
	if err := printAdopt(out, r, *asJSON); err != nil {
		return err
	}
	if !r.OK {
		return fmt.Errorf("adopt: %v", r.Problems)
	}
	return nil
}

func printAdopt(out io.Writer, r adoptReport, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(out).Encode(r)
	}
	fmt.Fprintf(out, "employees:             %d, every account in line (found by employeeId)\n", r.Employees)
	fmt.Fprintf(out, "graph latency:         %s per request\n", r.Latency)
	fmt.Fprintf(out, "wall time:             %.2f s (every entity signalled at %.2f s; limit %.0f s)\n", r.WallSeconds, r.SignalSeconds, r.MaxSeconds)
	fmt.Fprintf(out, "employees/s:           %.1f (%.0f s extrapolated to 10,000)\n", r.PerSecond, 10000/max(r.PerSecond, 1e-9))
	if r.LoadBefore != "" {
		fmt.Fprintf(out, "load average:          %s at the start, %s at the end\n", r.LoadBefore, r.LoadAfter)
	}
	fmt.Fprintf(out, "graph writes:          %d (want 0)\n", r.Writes)
	fmt.Fprintf(out, "graph reads:           %d (%.2f per employee)\n", r.Reads, float64(r.Reads)/float64(max(1, r.Employees)))
	fmt.Fprintf(out, "settled:               %d of %d entities active, %d failed; %d of %d checked entities active\n",
		r.Settled, r.Employees, r.Failed, r.Checked-r.NotActive, r.Checked)
	fmt.Fprintf(out, "adopted:               %d in place, %d Hire workflows\n", r.InPlace, r.Hires)
	printRoutes(out, r.ByRoute)
	printResult(out, r.OK, r.Problems)
	return nil
}

// loadAverage returns the 1, 5 and 15 minute load averages from
// /proc/loadavg, or "" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
