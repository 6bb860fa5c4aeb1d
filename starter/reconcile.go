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

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/reconcile"
	"github.com/entralifecycle/engine/workflows"
)

const reconcileUsage = `usage: starter reconcile [--dry-run] [--json] [--wait=true] [--page-size N] [--timeout D]
       starter reconcile approve <workflowId> [--by NAME] [--note TEXT]
       starter reconcile reject <workflowId> [--by NAME] [--note TEXT]
       starter reconcile progress <workflowId> [--json]`

// cmdReconcile starts a reconciliation (or a dry run), shows its progress
// and prints the plan; its subcommands approve or reject a run paused by
// the mass-change guard and show a run's progress.
func cmdReconcile(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "approve", "reject":
			return reconcileDecide(ctx, c, args[0], args[1:], out)
		case "progress":
			return reconcileProgress(ctx, c, args[1:], out)
		case "help", "-h", "--help":
			fmt.Fprintln(out, reconcileUsage)
			return nil
		}
	}
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	dryRun := fs.Bool("dry-run", false, "compute and print the plan, write nothing")
	asJSON := fs.Bool("json", false, "print JSON (docs/cli.md: actions and guard)")
	wait := fs.Bool("wait", true, "wait for the run and show its progress")
	pageSize := fs.Int("page-size", 0, "plan actions per page (default 500)")
	timeout := fs.Duration("timeout", 2*time.Hour, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), reconcileUsage)
	}
	id := fmt.Sprintf("%s%d", workflows.ReconcileWorkflowIDPrefix, time.Now().UnixNano())
	if *dryRun {
		id += "-dry-run"
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: cfg.TaskQueue},
		workflows.ReconcileWorkflowName, workflows.ReconcileInput{DryRun: *dryRun, PageSize: *pageSize})
	if err != nil {
		return fmt.Errorf("start reconciliation: %w", err)
	}
	if !*wait && !*dryRun {
		if *asJSON {
			return json.NewEncoder(out).Encode(map[string]string{"workflowId": id, "runId": run.GetRunID()})
		}
		fmt.Fprintf(out, "started %s\n", id)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return waitReconcile(ctx, c, run, *asJSON, out, os.Stderr)
}

// waitReconcile polls the run's progress, drawing a bar on bar, until it
// ends or pauses for approval; then it prints the outcome on out.
func waitReconcile(ctx context.Context, c client.Client, run client.WorkflowRun, asJSON bool, out, bar io.Writer) error {
	done := make(chan error, 1)
	var res workflows.ReconcileResult
	go func() { done <- run.Get(ctx, &res) }()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	drawn := false
	for {
		select {
		case err := <-done:
			if drawn {
				fmt.Fprintln(bar)
			}
			if err != nil {
				return fmt.Errorf("reconciliation %s: %w", run.GetID(), err)
			}
			return printReconcileResult(out, res, asJSON)
		case <-tick.C:
			p, err := queryProgress(ctx, c, run.GetID())
			if err != nil {
				continue
			}
			fmt.Fprint(bar, "\r"+progressBar(p, 30))
			drawn = true
			if p.Phase == workflows.PhaseAwaitingApproval {
				fmt.Fprintln(bar)
				return printAwaiting(out, p, asJSON)
			}
		case <-ctx.Done():
			return fmt.Errorf("reconciliation %s: still running after the timeout (see: starter reconcile progress %s)", run.GetID(), run.GetID())
		}
	}
}

func queryProgress(ctx context.Context, c client.Client, id string) (workflows.ReconcileProgress, error) {
	var p workflows.ReconcileProgress
	v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryReconcileProgress)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return p, fmt.Errorf("no reconciliation %s", id)
		}
		return p, fmt.Errorf("query %s: %w", id, err)
	}
	if err := v.Get(&p); err != nil {
		return p, fmt.Errorf("decode progress of %s: %w", id, err)
	}
	return p, nil
}

// progressBar renders "[#####.....] 12/40 applied, 1 failed (applying)".
func progressBar(p workflows.ReconcileProgress, width int) string {
	doneN := p.Applied + p.Failed
	total := p.Planned
	filled := 0
	if total > 0 {
		filled = min(width, doneN*width/total)
	} else if p.Phase == workflows.PhaseDone {
		filled = width
	}
	s := fmt.Sprintf("[%s%s] %d/%d applied", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Applied, total)
	if p.Failed > 0 {
		s += fmt.Sprintf(", %d failed", p.Failed)
	}
	if p.Counted > 0 {
		s += fmt.Sprintf(", %d employees counted", p.Counted)
	}
	return s + " (" + p.Phase + ")"
}

// planJSON is the plan's JSON form (docs/cli.md).
type planJSON struct {
	WorkflowID string                 `json:"workflowId"`
	Phase      string                 `json:"phase"`
	Actions    []reconcile.PlanAction `json:"actions"`
	Truncated  bool                   `json:"truncated,omitempty"`
	Guard      policy.GuardResult     `json:"guard"`
	Summary    *reconcile.PlanSummary `json:"summary,omitempty"`
	Applied    int                    `json:"applied"`
	Failed     int                    `json:"failed"`
	Failures   []string               `json:"failures,omitempty"`
	Decision   string                 `json:"decision,omitempty"`
}

func toPlanJSON(p workflows.ReconcileProgress, actions []reconcile.PlanAction, truncated bool) planJSON {
	j := planJSON{WorkflowID: p.WorkflowID, Phase: p.Phase, Actions: actions, Truncated: truncated, Summary: p.Summary,
		Applied: p.Applied, Failed: p.Failed, Failures: p.Failures, Decision: p.Decision}
	if j.Actions == nil {
		j.Actions = []reconcile.PlanAction{}
	}
	if p.Summary != nil {
		j.Guard = p.Summary.Guard
	}
	return j
}

func printReconcileResult(out io.Writer, res workflows.ReconcileResult, asJSON bool) error {
	p := res.Progress
	if asJSON {
		return json.NewEncoder(out).Encode(toPlanJSON(p, res.Actions, res.Truncated))
	}
	if p.DryRun {
		fmt.Fprintf(out, "plan of %s (dry run, nothing written)\n\n", p.WorkflowID)
		if len(res.Actions) == 0 {
			fmt.Fprintln(out, "nothing to do")
		} else {
			fmt.Fprint(out, reconcile.PlanTable(res.Actions))
		}
		if res.Truncated {
			fmt.Fprintln(out, "… the plan is longer; the counts below cover all of it")
		}
		fmt.Fprintln(out)
	}
	printSummary(out, p)
	return nil
}

func printSummary(out io.Writer, p workflows.ReconcileProgress) {
	s := p.Summary
	if s == nil {
		fmt.Fprintf(out, "%s: %s\n", p.WorkflowID, p.Phase)
		return
	}
	fmt.Fprintf(out, "employees %d (rejected %d), accounts %d, managed %d, in sync %d, out of scope %d\n",
		s.Employees, s.Rejected, s.Accounts, s.Managed, s.InSync, s.OutOfScope)
	fmt.Fprintf(out, "plan: %d hire, %d rehire, %d move, %d exit, %d repair, %d orphan (reported only)\n",
		s.Hire, s.Rehire, s.Move, s.Exit, s.Repair, s.Orphan)
	if s.Outage != "" {
		fmt.Fprintf(out, "held: %d exits: %s\n", s.Held, s.Outage)
	}
	if s.Guard.Tripped {
		fmt.Fprintf(out, "guard: %s\n", s.Guard.Reason)
	}
	if !p.DryRun {
		fmt.Fprintf(out, "%s: %s, %d applied, %d failed", p.WorkflowID, p.Phase, p.Applied, p.Failed)
		if p.Decision != "" {
			fmt.Fprintf(out, ", exits %s by %s", p.Decision, orDefault(p.DecidedBy, "unknown"))
		}
		fmt.Fprintln(out)
		for _, f := range p.Failures {
			fmt.Fprintf(out, "  failed: %s\n", f)
		}
	}
}

func printAwaiting(out io.Writer, p workflows.ReconcileProgress, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(out).Encode(toPlanJSON(p, nil, false))
	}
	printSummary(out, p)
	fmt.Fprintf(out, "awaiting approval: %d actions that take access away (exits, removals of managed access) are held; joiners and additions proceed.\n", p.Held)
	fmt.Fprintf(out, "  starter reconcile approve %s\n  starter reconcile reject %s\n", p.WorkflowID, p.WorkflowID)
	return nil
}

func reconcileDecide(ctx context.Context, c client.Client, decision string, args []string, out io.Writer) error {
	id, a, err := decisionArgs("reconcile", decision, args)
	if err != nil {
		return err
	}
	p, err := queryProgress(ctx, c, id)
	if err != nil {
		return err
	}
	if p.Phase != workflows.PhaseAwaitingApproval && !(p.Summary != nil && p.Summary.Guard.Tripped && p.Decision == "") {
		return fmt.Errorf("reconciliation %s does not wait for approval (phase %s)", id, p.Phase)
	}
	return sendDecision(ctx, c, decision, id, a, out)
}

// decisionArgs parses "<workflowId> [--by NAME] [--note TEXT]" of an approve or reject
// command of what (reconcile, rollout).
func decisionArgs(what, decision string, args []string) (string, workflows.Approval, error) {
	fs := flag.NewFlagSet(what+" "+decision, flag.ContinueOnError)
	by := fs.String("by", os.Getenv("USER"), "who decides (kept in the run and named in the approval it passes on)")
	note := fs.String("note", "", "why")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return "", workflows.Approval{}, fmt.Errorf("%s %s: %w", what, decision, err)
	}
	return id, workflows.Approval{By: *by, Note: *note}, nil
}

// sendDecision signals a run paused by its guard to go on (approve) or stop (reject).
func sendDecision(ctx context.Context, c client.Client, decision, id string, a workflows.Approval, out io.Writer) error {
	signal := workflows.SignalApprove
	if decision == "reject" {
		signal = workflows.SignalReject
	}
	if err := c.SignalWorkflow(ctx, id, "", signal, a); err != nil {
		return fmt.Errorf("%s %s: %w", decision, id, err)
	}
	past := map[string]string{"approve": "approved", "reject": "rejected"}[decision]
	fmt.Fprintf(out, "%s %s\n", past, id)
	return nil
}

func reconcileProgress(ctx context.Context, c client.Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reconcile progress", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return fmt.Errorf("reconcile progress: %w", err)
	}
	p, err := queryProgress(ctx, c, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(p)
	}
	fmt.Fprintln(out, progressBar(p, 30))
	printSummary(out, p)
	return nil
}

// idAndFlags parses "<id> [flags]" or "[flags] <id>".
func idAndFlags(fs *flag.FlagSet, args []string) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", err
		}
	}
	if strings.TrimSpace(id) == "" || fs.NArg() > 0 {
		return "", errors.New("needs exactly one reconciliation workflow id")
	}
	return id, nil
}
