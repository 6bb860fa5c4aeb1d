// The wave benchmark: N new hires delivered by one reconciliation while the
// simulator enforces Graph's write quota.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/workflows"
)

// waveManagers is how many existing employees (one per department, each in
// line with the policy) manage the new hires.
var waveManagers = len(departments)

// waveStall is how long a wave may show no progress at all before it is
// given up.
const waveStall = 2 * time.Minute

// waveLimits are the wave's targets.
type waveLimits struct {
	maxWritesPerHire float64
	maxRatio         float64
}

// waveReport is what the wave benchmark prints.
type waveReport struct {
	Hires  int `json:"hires"`
	Future int `json:"futureHires"`
	// Quota is the simulator's write quota per window.
	Quota         int     `json:"quota"`
	WindowSeconds int     `json:"windowSeconds"`
	QuotaPerSec   float64 `json:"quotaPerSecond"`
	// BudgetPerSec is the engine's write pace (wrapGraphTransport).
	BudgetPerSec float64 `json:"budgetPerSecond"`
	Latency      string  `json:"latency"`
	LagMs        int     `json:"replicationLagMs"`
	// WallSeconds runs from the reconciliation's start until every hire is
	// provisioned and the reconciliation has finished.
	WallSeconds float64 `json:"wallSeconds"`
	// ProvisionedSeconds is when the last hire was seen provisioned.
	ProvisionedSeconds float64 `json:"provisionedSeconds"`
	HiresPerSec        float64 `json:"hiresPerSecond"`
	Reads              int     `json:"reads"`
	// Writes are the writes under Entra ID's identity write quota; MailWrites
	// (sendMail, governed by Outlook's per-mailbox limits) are counted apart.
	Writes            int     `json:"writes"`
	MailWrites        int     `json:"mailWrites"`
	ReadsPerHire      float64 `json:"readsPerHire"`
	WritesPerHire     float64 `json:"writesPerHire"`
	MaxWritesInWindow int     `json:"maxWritesInWindow"`
	Throttled         int     `json:"throttled"`
	// QuotaBoundSeconds is the least time the writes take at the quota's
	// pace: writes ÷ (quota ÷ window).
	QuotaBoundSeconds float64        `json:"quotaBoundSeconds"`
	Ratio             float64        `json:"wallToBound"`
	Provisioned       int            `json:"provisioned"`
	Applied           int            `json:"applied"`
	Failed            int            `json:"failed"`
	ByRoute           map[string]int `json:"byRoute"`
	OK                bool           `json:"ok"`
	Problems          []string       `json:"problems,omitempty"`
}

// derive computes the per-hire figures, the quota bound and the ratio.
func (r *waveReport) derive() {
	if r.Hires > 0 {
		r.ReadsPerHire = float64(r.Reads) / float64(r.Hires)
		r.WritesPerHire = float64(r.Writes) / float64(r.Hires)
	}
	if r.WallSeconds > 0 {
		r.HiresPerSec = float64(r.Hires) / r.WallSeconds
	}
	if r.WindowSeconds > 0 && r.Quota > 0 {
		r.QuotaPerSec = float64(r.Quota) / float64(r.WindowSeconds)
		r.QuotaBoundSeconds = float64(r.Writes) / r.QuotaPerSec
	}
	if r.QuotaBoundSeconds > 0 {
		r.Ratio = r.WallSeconds / r.QuotaBoundSeconds
	}
}

// check lists the missed targets and sets OK.
func (r *waveReport) check(l waveLimits) {
	r.Problems = nil
	if r.Throttled > 0 {
		r.Problems = append(r.Problems, problemf("%d writes throttled with 429 (the engine exceeded the quota)", r.Throttled))
	}
	if r.Quota > 0 && r.MaxWritesInWindow > r.Quota {
		r.Problems = append(r.Problems, problemf("%d writes in one window, quota %d", r.MaxWritesInWindow, r.Quota))
	}
	if r.Ratio > l.maxRatio {
		r.Problems = append(r.Problems, problemf("wall time %.2f × the quota bound, limit %.2f", r.Ratio, l.maxRatio))
	}
	if r.WritesPerHire > l.maxWritesPerHire {
		r.Problems = append(r.Problems, problemf("%.2f writes per hire, limit %.2f", r.WritesPerHire, l.maxWritesPerHire))
	}
	if r.Provisioned < r.Hires {
		r.Problems = append(r.Problems, problemf("%d of %d hires provisioned", r.Provisioned, r.Hires))
	}
	if r.Failed > 0 {
		r.Problems = append(r.Problems, problemf("%d reconciliation actions failed", r.Failed))
	}
	r.OK = len(r.Problems) == 0
}

// waveHires builds n new hires in the departments in turn, each managed by
// the existing first employee of the department; one in every 1/future
// starts 7 days ahead (created disabled), the rest started 0–4 days ago.
func waveHires(n int, future float64, day hr.Date) (emps []hr.Employee, want []wantAccount) {
	for i := range n {
		id := fmt.Sprintf("W%06d", i+1)
		dept := departments[i%len(departments)]
		ahead := future > 0 && int(float64(i+1)*future) > int(float64(i)*future)
		start := day.AddDays(-(i % 5))
		if ahead {
			start = day.AddDays(7)
		}
		emps = append(emps, newHire(id, dept, fmt.Sprintf("E%06d", i%len(departments)+1), start))
		want = append(want, wantAccount{employeeID: id, upn: hireUPN(id), enabled: !ahead, groups: []string{"All Staff", groupOf(dept)}})
	}
	return emps, want
}

// runWave seeds a tenant (the reconcile benchmark's policy, catalog and
// managers), writes N new hires into the HR file, delivers them with one
// Reconcile while the simulator enforces the write quota, and waits until
// the simulator holds every account as wanted.
func runWave(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("wave", flag.ContinueOnError)
	n := fs.Int("n", 1000, "new hires")
	future := fs.Float64("future", 0.1, "share of the hires starting in 7 days (created disabled ahead of the start)")
	quota := fs.Int("quota", 3000, "Graph writes the simulator allows per window; 429 with Retry-After beyond (Entra ID: 3,000 per 150 s)")
	window := fs.Duration("window", 150*time.Second, "the quota's sliding window, whole seconds; shrink it with -quota for short runs (e.g. -quota 200 -window 10s)")
	budget := fs.Float64("budget", 1, "the engine's Graph write budget as a share of quota ÷ window (the budget keeps its burst inside the window)")
	latency := fs.Duration("latency", 5*time.Millisecond, "simulated Graph latency per HTTP request")
	lag := fs.Duration("graph-lag", 0, "the simulator's replication lag for new users (dev mode uses 1s)")
	maxWPH := fs.Float64("max-writes-per-hire", 5, "fail above this many Graph writes per hire")
	maxRatio := fs.Float64("max-ratio", 1.2, "fail when wall time exceeds this multiple of the quota bound")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: three times the bound at 10 writes per hire, plus 5 minutes)")
	pageSize := fs.Int("page-size", 500, "plan actions per page")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log the engine's own lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *quota < 1 || *future < 0 || *future >= 1 || *budget <= 0 || *budget > 1 {
		return errors.New("-n and -quota must be positive, -future in [0, 1), -budget in (0, 1]")
	}
	if *window < time.Second || *window%time.Second != 0 {
		return errors.New("-window must be whole seconds")
	}
	winSecs := int(*window / time.Second)
	perSec := float64(*quota) / float64(winSecs)
	if *timeout == 0 {
		*timeout = 3*time.Duration(float64(*n*10)/perSec*float64(time.Second)) + 5*time.Minute
	}

	mgrs := synthesize(waveManagers, 0)
	hires, want := waveHires(*n, *future, today())
	fmt.Fprintf(progress, "wave: %d hires, quota %d writes per %s, %s Graph latency; starting the embedded stack…\n", *n, *quota, *window, *latency)
	st, err := startStack(ctx, stackOptions{
		catalog: catalogOf(mgrs, *n), tenant: tenantOf(mgrs), policy: benchPolicy(),
		employees: append(slices.Clone(mgrs.employees), hires...),
		latency:   *latency,
		sim:       graphsim.Config{ReplicationLagMs: int(*lag / time.Millisecond), WriteQuota: *quota, WriteQuotaWindowSeconds: winSecs},
		// The engine's tenant write budget (LIFECYCLE_GRAPH_WRITES_PER_SECOND), at the quota.
		writesPerSecond: perSec * *budget,
		verbose:         *verbose,
	})
	if err != nil {
		return err
	}
	defer st.stop()

	r := waveReport{Hires: *n, Quota: *quota, WindowSeconds: winSecs, BudgetPerSec: perSec * *budget,
		Latency: latency.String(), LagMs: int(*lag / time.Millisecond)}
	for _, w := range want {
		if !w.enabled {
			r.Future++
		}
	}
	st.sim.ResetStats()
	rctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	began := time.Now()
	we, err := st.client.ExecuteWorkflow(rctx, client.StartWorkflowOptions{ID: workflows.ReconcileWorkflowIDPrefix + "wave", TaskQueue: benchTaskQueue},
		workflows.ReconcileWorkflowName, workflows.ReconcileInput{PageSize: *pageSize})
	if err != nil {
		return fmt.Errorf("start reconciliation: %w", err)
	}
	type outcome struct {
		res workflows.ReconcileResult
		err error
		at  time.Time
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		o.err = we.Get(rctx, &o.res)
		o.at = time.Now()
		done <- o
	}()
	pending := slices.Clone(want)
	var provisionedAt, finishedAt time.Time
	var res workflows.ReconcileResult
	var runErr error
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastNote := time.Now()
	// A run where nothing moves (no hire provisioned, no Graph request) for
	// waveStall is reported instead of waiting out the timeout.
	lastMove, lastCount, lastRequests := time.Now(), len(pending), 0
	stalled := false
	for (len(pending) > 0 || finishedAt.IsZero()) && rctx.Err() == nil && !stalled {
		select {
		case o := <-done:
			res, runErr, finishedAt = o.res, o.err, o.at
			if runErr != nil {
				cancel()
			}
		case <-tick.C:
		case <-rctx.Done():
		}
		pending = slices.DeleteFunc(pending, func(w wantAccount) bool { return provisioned(st.sim, w) })
		if len(pending) == 0 && provisionedAt.IsZero() {
			provisionedAt = time.Now()
		}
		if s := st.sim.Stats(); len(pending) != lastCount || s.Reads+s.Writes != lastRequests {
			lastMove, lastCount, lastRequests = time.Now(), len(pending), s.Reads+s.Writes
		} else if time.Since(lastMove) > waveStall {
			stalled = true
		}
		if time.Since(lastNote) > 10*time.Second {
			lastNote = time.Now()
			s := st.sim.Stats()
			fmt.Fprintf(progress, "  %5.0f s: %d of %d provisioned, %d writes, %d reads, %d throttled\n",
				time.Since(began).Seconds(), *n-len(pending), *n, s.Writes, s.Reads, s.Throttled)
		}
	}
	end := time.Now()
	if !finishedAt.IsZero() && !provisionedAt.IsZero() {
		end = finishedAt
		if provisionedAt.After(end) {
			end = provisionedAt
		}
	}
	stats := st.sim.Stats()
	r.WallSeconds = end.Sub(began).Seconds()
	if !provisionedAt.IsZero() {
		r.ProvisionedSeconds = provisionedAt.Sub(began).Seconds()
	}
	r.Provisioned = *n - len(pending)
	r.Reads, r.Writes, r.MaxWritesInWindow, r.Throttled, r.ByRoute = stats.Reads, stats.QuotaWrites, stats.MaxWritesInWindow, stats.Throttled, stats.ByRoute
	r.MailWrites = stats.Writes - stats.QuotaWrites - stats.Throttled
	r.Applied, r.Failed = res.Progress.Applied, res.Progress.Failed
	r.derive()
	r.check(waveLimits{maxWritesPerHire: *maxWPH, maxRatio: *maxRatio})
	switch {
	case runErr != nil:
		r.Problems = append(r.Problems, problemf("reconciliation: %v", runErr))
		r.OK = false
	case stalled:
		r.Problems = append(r.Problems, problemf("stalled: no hire provisioned and no Graph request for %s", waveStall))
		r.OK = false
	case finishedAt.IsZero():
		r.Problems = append(r.Problems, problemf("reconciliation still running after %s", *timeout))
		r.OK = false
	}
	if err := printWave(out, r, *asJSON); err != nil {
		return err
	}
	if !r.OK {
		return fmt.Errorf("wave: %v", r.Problems)
	}
	return nil
}

func printWave(out io.Writer, r waveReport, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(out).Encode(r)
	}
	fmt.Fprintf(out, "hires:                 %d (%d starting in 7 days, created disabled)\n", r.Hires, r.Future)
	fmt.Fprintf(out, "quota:                 %d writes per %d s (%.2f/s); engine budget %.2f/s\n", r.Quota, r.WindowSeconds, r.QuotaPerSec, r.BudgetPerSec)
	fmt.Fprintf(out, "graph latency:         %s per request, replication lag %d ms\n", r.Latency, r.LagMs)
	fmt.Fprintf(out, "wall time:             %.2f s (all provisioned at %.2f s)\n", r.WallSeconds, r.ProvisionedSeconds)
	fmt.Fprintf(out, "hires/s:               %.2f\n", r.HiresPerSec)
	fmt.Fprintf(out, "graph writes:          %d (%.2f per hire) under the identity quota; %d mails sent\n", r.Writes, r.WritesPerHire, r.MailWrites)
	fmt.Fprintf(out, "graph reads:           %d (%.2f per hire)\n", r.Reads, r.ReadsPerHire)
	fmt.Fprintf(out, "max writes in window:  %d (quota %d)\n", r.MaxWritesInWindow, r.Quota)
	fmt.Fprintf(out, "429s received:         %d\n", r.Throttled)
	fmt.Fprintf(out, "quota bound:           %.2f s (writes ÷ %.2f/s)\n", r.QuotaBoundSeconds, r.QuotaPerSec)
	fmt.Fprintf(out, "wall / bound:          %.2f\n", r.Ratio)
	fmt.Fprintf(out, "provisioned:           %d of %d; reconciliation %d applied, %d failed\n", r.Provisioned, r.Hires, r.Applied, r.Failed)
	printRoutes(out, r.ByRoute)
	printResult(out, r.OK, r.Problems)
	return nil
}

// printRoutes prints request counts by route, sorted.
func printRoutes(out io.Writer, byRoute map[string]int) {
	fmt.Fprintln(out, "requests by route:")
	routes := make([]string, 0, len(byRoute))
	for k := range byRoute {
		routes = append(routes, k)
	}
	slices.Sort(routes)
	for _, k := range routes {
		fmt.Fprintf(out, "  %-50s %d\n", k, byRoute[k])
	}
}

// printResult prints the verdict line.
func printResult(out io.Writer, ok bool, problems []string) {
	if ok {
		fmt.Fprintln(out, "result:                ok")
		return
	}
	fmt.Fprintf(out, "result:                FAILED %v\n", problems)
}
