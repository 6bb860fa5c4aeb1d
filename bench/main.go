// Command bench measures the engine on the embedded stack: the Temporal
// server (in memory), the Graph simulator with a fixed latency per request,
// the real worker registration and the real activities over msgraph-sdk-go.
//
// Subcommands (docs/benchmarks.md):
//
//	go run ./bench [reconcile] -n 10000 -drift 0.01   one reconciliation of a drifted tenant
//	go run ./bench wave -n 1000                       a wave of new hires within Graph's write quota
//	go run ./bench latency -n 50                      hire and transfer latency at 100 ms per Graph request
//	go run ./bench adopt -n 10000                     the first start against a tenant already in line
//
// Without a subcommand (the first argument is a flag or absent) the
// reconciliation benchmark runs. Each benchmark prints its figures and exits
// non-zero when a target is missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
)

// progress receives the benchmarks' progress lines (stderr; tests silence it).
var progress io.Writer = os.Stderr

// benchmarks maps each subcommand to its runner. A runner parses its own
// flags from args, prints its report to out and returns an error when the
// run failed or missed a target.
var benchmarks = map[string]func(ctx context.Context, args []string, out io.Writer) error{
	"reconcile": runReconcile,
	"wave":      runWave,
	"latency":   runLatency,
	"adopt":     runAdopt,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	name, args := pick(os.Args[1:])
	bench, ok := benchmarks[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown benchmark %q (reconcile, wave, latency, adopt)\n", name)
		os.Exit(2)
	}
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		// The profile covers the whole process: the embedded Temporal server,
		// the simulator and the worker share it.
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: cpu profile:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench: cpu profile:", err)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	if err := bench(ctx, args, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// pick splits the command line into the benchmark's name and its flags; a
// command line that starts with a flag (or is empty) is the reconciliation
// benchmark's.
func pick(args []string) (string, []string) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "reconcile", args
	}
	return args[0], args[1:]
}
