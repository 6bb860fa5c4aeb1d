// Command worker runs the lifecycle engine's Temporal worker. With -dev it first starts,
// in the same process, an embedded Temporal server (SQLite under ./.lifecycle) with its
// Web UI, and then works against it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
