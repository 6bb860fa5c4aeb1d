package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/temporalclient"
	"github.com/entralifecycle/engine/workflows"
)

const usage = `usage: starter <command> [arguments]

commands:
  ping                      run a health-check workflow through a worker and print its answer
  status <employeeId>       print the employee's entity workflow state (--json for machines)
  sync <employeeId>         re-read the employee from HR and apply the change
  replace --substitute X --replaced Y [--from D] --until D [--id R]
                            X holds Y's role entitlements from D until D (YYYY-MM-DD or RFC 3339)
  extend <replacementId> --substitute X --until D
                            move the end of a replacement
  end-replacement <replacementId> --substitute X [--at D]
                            end a replacement now (or at D)
  reconcile [--dry-run] [--json] [--wait=false] | approve|reject|progress <workflowId>
                            reconcile HR with Entra ID now (a dry run prints the plan); release or stop held exits
  schedule create [--every 15m] [--dry-run] | describe | pause | unpause | delete
                            the Temporal Schedule of the periodic reconciliation (overlap skip, catch-up window)
  rollout [--interval D] | approve|reject|status <workflowId>
                            roll a changed access policy out to every affected employee, behind the guard
  guard list | approve|reject <employeeId>... | --all
                            exits held by the tenant-wide mass-change guard; release or drop them
  serve                     run the HR webhook server (POST /v1/hr/events, GET /healthz)
  audit [--employee ID | --group NAME [--at D] | --since D ...] [--json|--csv] | prune
                            query or export the audit trail of changes made in Entra ID (audit --help)
  healthcheck [url]         exit 0 when the HTTP endpoint answers 200 (default http://127.0.0.1:8235/healthz)
  hr check [--json] [--show N]
                            read the configured HR source once (the worker's settings) and report what it yields

Settings come from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, LIFECYCLE_TASK_QUEUE, ...).`

// command is one subcommand: it gets a connected client and its own arguments.
type command func(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error

var commands = map[string]command{
	"ping":            cmdPing,
	"status":          cmdStatus,
	"sync":            cmdSync,
	"replace":         cmdReplace,
	"extend":          cmdExtend,
	"end-replacement": cmdEndReplacement,
	"serve":           cmdServe,
	"reconcile":       cmdReconcile,
	"rollout":         cmdRollout,
	"schedule":        cmdSchedule,
	"guard":           cmdGuard,
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(out, usage)
		return nil
	}
	// healthcheck needs no Temporal connection: container health checks run it.
	if args[0] == "healthcheck" {
		return cmdHealthcheck(ctx, args[1:], out)
	}
	if args[0] == "hr" { // reads HR only; no Temporal connection
		return cmdHR(ctx, args[1:], out)
	}
	if args[0] == "audit" { // reads the audit store only
		return cmdAudit(ctx, args[1:], out)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q (run without arguments for help)", args[0])
	}
	cfg, err := config.LoadStarter(args[0] == "serve")
	if err != nil {
		return err
	}
	logger, _, err := cfg.Logging.Logger()
	if err != nil {
		return err
	}
	// The CLI keeps the SDK quiet unless asked: its output is for people and scripts.
	if os.Getenv("LIFECYCLE_LOG_LEVEL") == "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	host, _ := os.Hostname()
	topts, err := cfg.Temporal.ClientOptions("starter@"+host, logger)
	if err != nil {
		return err
	}
	c, err := temporalclient.Dial(ctx, topts, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	return cmd(ctx, c, cfg, args[1:], out)
}

func cmdPing(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ping", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for a worker")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       fmt.Sprintf("ping/%d", time.Now().UnixNano()),
		TaskQueue:                cfg.TaskQueue,
		WorkflowExecutionTimeout: *timeout,
	}, workflows.PingWorkflowName, workflows.PingRequest{Message: "ping"})
	if err != nil {
		return fmt.Errorf("start ping workflow: %w", err)
	}
	var res workflows.PingResult
	if err := run.Get(ctx, &res); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no worker answered on task queue %s within %s", cfg.TaskQueue, *timeout)
		}
		return fmt.Errorf("ping workflow: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(res)
	}
	fmt.Fprintf(out, "ok: worker %s answered on task queue %s (workflow %s)\n", res.Activity.Worker, res.Activity.TaskQueue, res.WorkflowID)
	return nil
}

func cmdStatus(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return errors.New("status needs exactly one employee id")
	}
	id := pos[0]
	wfID := entityaddr.WorkflowID(id)
	resp, err := c.QueryWorkflow(ctx, wfID, "", entityaddr.QueryState)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return fmt.Errorf("no entity workflow for employee %s (%s)", id, wfID)
		}
		return fmt.Errorf("query %s: %w", wfID, err)
	}
	var state any
	if err := resp.Get(&state); err != nil {
		return fmt.Errorf("decode state of %s: %w", wfID, err)
	}
	enc := json.NewEncoder(out)
	if !*asJSON {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(state)
}

// parseArgs parses flags wherever they stand among the positional arguments, so that
// "status 1001 --json" and "extend r-1 --substitute 1021 --until D" both work, and returns
// the positional arguments in order.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func cmdHealthcheck(ctx context.Context, args []string, out io.Writer) error {
	url := "http://127.0.0.1:8235/healthz"
	if len(args) > 0 {
		url = args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: status %d", url, resp.StatusCode)
	}
	fmt.Fprintln(out, "ok")
	return nil
}
