package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/workflows"
)

// binDir holds the worker and starter binaries built once for the tests that run them.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lifecycle-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the repository root (this file's parent's parent).
func moduleRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Dir(filepath.Dir(file))
}

// buildBinary builds ./<name> once and returns its path.
func buildBinary(t testing.TB, name string) string {
	t.Helper()
	out := filepath.Join(binDir, name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	cmd := exec.Command("go", "build", "-o", out, "./"+name)
	cmd.Dir = moduleRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", name, err, b)
	}
	return out
}

// startStack starts an in-memory dev stack on free ports, stopped at the end of the test.
func startStack(t testing.TB, opts devstack.Options) *devstack.Stack {
	t.Helper()
	if opts.FrontendAddr == "" {
		addr, err := devstack.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		opts.FrontendAddr = addr
	}
	if opts.SearchAttributes == nil {
		for _, sa := range workflows.SearchAttributes() {
			opts.SearchAttributes = append(opts.SearchAttributes, devstack.SearchAttribute{Name: sa.Name, Type: sa.Type})
		}
	}
	if opts.Logger == nil {
		opts.Logger = failureLog(t, "dev stack")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := devstack.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start dev stack: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// dial connects a client with the given options (address and namespace filled in).
func dial(t testing.TB, s *devstack.Stack, opts client.Options) client.Client {
	t.Helper()
	opts.HostPort = s.FrontendAddr()
	opts.Namespace = s.Namespace()
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// startWorker runs the production registration on a fresh task queue.
func startWorker(t testing.TB, c client.Client, taskQueue string) {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	workflows.Register(w, &activities.Activities{Identity: "e2e-worker"})
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)
}

// failureLog is a logger for warnings and errors that stay out of a passing test's output:
// when the test fails, the first of them are printed (the embedded Temporal server can log
// thousands of warnings while a test runs; the first lines name the cause).
func failureLog(t testing.TB, what string) *slog.Logger {
	fl := &firstLines{max: 40}
	t.Cleanup(func() {
		if t.Failed() {
			if out, n := fl.get(); n > 0 {
				t.Logf("first %d of %d warning/error lines of the %s:\n%s", min(n, fl.max), n, what, out)
			}
		}
	})
	return slog.New(slog.NewTextHandler(fl, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// firstLines keeps the first max lines written to it and counts all of them.
type firstLines struct {
	mu    sync.Mutex
	max   int
	n     int
	lines strings.Builder
}

func (f *firstLines) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		if f.n < f.max {
			f.lines.WriteString(line)
		}
		if strings.HasSuffix(line, "\n") {
			f.n++
		}
	}
	return len(p), nil
}

func (f *firstLines) get() (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lines.String(), f.n
}
