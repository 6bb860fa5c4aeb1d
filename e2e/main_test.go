package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
