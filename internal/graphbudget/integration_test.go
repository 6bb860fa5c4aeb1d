package graphbudget_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphbudget"
	"github.com/entralifecycle/engine/internal/graphsim"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Many concurrent writes through the real Graph client against a simulator that enforces a
// write quota: the budget keeps every write within it (none throttled), and the writes take
// as long as the budget's rate says, not less.
func TestBudgetKeepsSimulatorQuota(t *testing.T) {
	const (
		perSecond = 100.0
		burst     = 100 * time.Millisecond
		window    = 2 * time.Second
		users     = 10
		rounds    = 20 // each user: 20 PATCHes, and 10 $batch adds of 3 groups
	)
	sim := graphsim.New()
	res, err := sim.SeedWithResult(graphsim.Seed{
		Domains: []string{"contoso.example"},
		Groups:  []graphsim.SeedGroup{{DisplayName: "G1"}, {DisplayName: "G2"}, {DisplayName: "G3"}},
		Users:   seedUsers(users),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The quota is the budget's 200 writes per 2 s window, and 50 % (1 s) for the jitter
	// between the limiter releasing a write and the simulator stamping it: goroutines that
	// wake late on a busy two-core machine arrive together with the next ones, measured at
	// up to 20 writes (200 ms) while the limiter itself released at most 199 in any 2 s, and
	// more under the race detector with other tests running. Graph's window is 150 s, where
	// that jitter is lost in the noise. Without the budget these 500 writes arrive within
	// about a second and some 200 are throttled.
	if err := sim.SetConfig(graphsim.Config{WriteQuota: 300, WriteQuotaWindowSeconds: 2}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()

	budget := graphbudget.New(perSecond, graphbudget.Fixed(1), graphbudget.WithBurst(burst), graphbudget.WithQuotaWindow(window), graphbudget.WithLogger(quiet()))
	// Folding of concurrent group additions is off: each addition stays one write inside a
	// $batch, which is what this test counts.
	dir, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0", GroupAddWindow: -1},
		directory.WithTransport(budget.Wrap(pooled())), directory.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	groups := []string{res.Groups["G1"], res.Groups["G2"], res.Groups["G3"]}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, users*rounds)
	for u := range users {
		id := res.Users[fmt.Sprintf("u%d@contoso.example", u)]
		for r := range rounds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				title := fmt.Sprintf("title %d", r)
				if err := dir.PatchUser(ctx, id, directory.UserAttributes{JobTitle: &title}); err != nil {
					errs <- err
				}
				if r%2 == 0 { // adding again is success: each add is one write in a $batch
					if err := dir.AddToGroups(ctx, id, groups); err != nil {
						errs <- err
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	stats := sim.Stats()
	writes := users*rounds + users*rounds/2*len(groups) // 200 PATCHes + 300 adds
	if stats.Writes != writes {
		t.Errorf("simulator saw %d writes, want %d", stats.Writes, writes)
	}
	if stats.Throttled != 0 {
		t.Errorf("%d writes throttled, want 0 (most in one window: %d)", stats.Throttled, stats.MaxWritesInWindow)
	}
	// The bucket's bound: the burst at once, the rest at the sustained rate (90/s).
	rate := perSecond * (1 - burst.Seconds()/window.Seconds())
	bound := time.Duration((float64(writes) - perSecond*burst.Seconds()) / rate * float64(time.Second))
	if elapsed < bound-50*time.Millisecond {
		t.Errorf("%d writes took %v, faster than the budget allows (%v)", writes, elapsed, bound)
	}
	t.Logf("%d writes in %v (bound %v), most in a %v window: %d, throttled %d", writes, elapsed.Round(time.Millisecond), bound.Round(time.Millisecond), window, stats.MaxWritesInWindow, stats.Throttled)
}

// pooled is the default transport keeping enough idle connections for many concurrent
// requests (http.DefaultTransport keeps 2 per host and redials the rest), as the worker's.
func pooled() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

func seedUsers(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"userPrincipalName": fmt.Sprintf("u%d@contoso.example", i), "displayName": fmt.Sprintf("U %d", i)}
	}
	return out
}

// Pollers counts the workers a real Temporal server lists as polling the task queue, the
// server takes the partition names, and a worker that stopped polling stops counting once
// its last poll is older than the window. (The server keeps a stopped worker's activity
// poller listed: measured with the default 90 s window, it dropped out after 90 s.)
func TestPollersCountsRealWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded Temporal server")
	}
	addr, err := devstack.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lvl := slog.LevelError
	stack, err := devstack.Start(ctx, devstack.Options{FrontendAddr: addr, Logger: quiet(), ServerLogLevel: &lvl})
	if err != nil {
		t.Fatalf("start dev stack: %v", err)
	}
	defer stack.Stop()
	c, err := client.Dial(client.Options{HostPort: stack.FrontendAddr(), Namespace: stack.Namespace(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const tq = "budget-test"
	start := func(identity string) worker.Worker {
		w := worker.New(c, tq, worker.Options{Identity: identity})
		w.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "noop-" + identity})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	a := start("worker-a")
	defer a.Stop()
	b := start("worker-b")
	// A short window, so the stopped worker drops out quickly; worker-a is Self and always
	// counts, whatever the age of its long poll.
	p := &graphbudget.Pollers{Client: c, TaskQueue: tq, Self: "worker-a", Window: 3 * time.Second}
	for i := range graphbudget.DefaultPartitions {
		if _, err := c.DescribeTaskQueue(ctx, graphbudget.PartitionName(tq, i), enumspb.TASK_QUEUE_TYPE_ACTIVITY); err != nil {
			t.Errorf("describe partition %d (%s): %v", i, graphbudget.PartitionName(tq, i), err)
		}
	}
	began := time.Now()
	if err := waitWorkers(ctx, p, 2); err != nil {
		t.Fatal(err)
	}
	t.Logf("two workers counted after %v", time.Since(began))
	began = time.Now()
	b.Stop()
	if err := waitWorkers(ctx, p, 1); err != nil {
		t.Fatal(err)
	}
	t.Logf("one worker counted %v after the other stopped", time.Since(began))
}

// waitWorkers asks until the count is want, or ctx ends.
func waitWorkers(ctx context.Context, p *graphbudget.Pollers, want int) error {
	last := -1
	var lastErr error
	for {
		n, err := p.Workers(ctx)
		if err == nil && n == want {
			return nil
		}
		last, lastErr = n, err
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("workers: last count %d, want %d", last, want), lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
