package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/workflows"
)

const rolloutUsage = `usage: starter rollout [--page-size N] [--interval D] [--wait=true] [--timeout D] [--json]
       starter rollout approve <workflowId> [--by NAME] [--note TEXT]
       starter rollout reject <workflowId> [--by NAME] [--note TEXT]
       starter rollout status <workflowId> [--json]`

// rolloutView is what the rollout commands print: the run's status and counters.
type rolloutView struct {
	WorkflowID string              `json:"workflowId"`
	Status     workflows.RunStatus `json:"status"`
	Phase      string              `json:"phase,omitempty"`
	Accounts   int                 `json:"accounts"`
	Affected   int                 `json:"affected"`
	Removals   int                 `json:"removals"`
	Signalled  int                 `json:"signalled"`
	Skipped    []string            `json:"skipped,omitempty"`
	Approval   string              `json:"approval,omitempty"`
}

// cmdRollout starts a policy rollout (the access policy changed: every employee whose
// entitlements differ gets the difference, behind the mass-change guard) and follows it
// until it ends or waits for approval; its subcommands approve or reject a rollout the
// guard paused and show a rollout's status.
func cmdRollout(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "approve", "reject":
			return rolloutDecide(ctx, c, args[0], args[1:], out)
		case "status":
			return rolloutStatusCmd(ctx, c, args[1:], out)
		case "help", "-h", "--help":
			fmt.Fprintln(out, rolloutUsage)
			return nil
		}
	}
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	pageSize := fs.Int("page-size", 0, "HR employees per page (default 100)")
	interval := fs.Duration("interval", 0, "pause between two employees (default 200ms): the rollout's pace")
	wait := fs.Bool("wait", true, "follow the rollout until it ends or waits for approval")
	timeout := fs.Duration("timeout", 2*time.Hour, "how long to follow it")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), rolloutUsage)
	}
	if *pageSize < 0 || *interval < 0 {
		return errors.New("rollout: --page-size and --interval must not be negative")
	}
	id := fmt.Sprintf("%s%d", workflows.PolicyRolloutWorkflowIDPrefix, time.Now().UnixNano())
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: cfg.TaskQueue},
		workflows.PolicyRolloutWorkflowName, workflows.PolicyRolloutInput{PageSize: *pageSize, Interval: *interval}); err != nil {
		return fmt.Errorf("start policy rollout: %w", err)
	}
	if !*wait {
		return printRollout(out, rolloutView{WorkflowID: id, Status: workflows.RunRunning}, *asJSON)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	for {
		v, err := rolloutStatus(ctx, c, id)
		if err != nil {
			return err
		}
		if v.Status != workflows.RunRunning {
			return printRollout(out, v, *asJSON)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rollout %s still running after %s: follow it with starter rollout status %s", id, *timeout, id)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// rolloutStatus reads a rollout: its result once closed, else its LifecycleStatus search
// attribute (running or awaiting-approval) and its counters (the state query).
func rolloutStatus(ctx context.Context, c client.Client, id string) (rolloutView, error) {
	v := rolloutView{WorkflowID: id}
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return v, fmt.Errorf("no policy rollout %s", id)
		}
		return v, fmt.Errorf("describe %s: %w", id, err)
	}
	info := d.GetWorkflowExecutionInfo()
	if t := info.GetType().GetName(); t != workflows.PolicyRolloutWorkflowName {
		return v, fmt.Errorf("%s is a %s workflow, not a policy rollout", id, t)
	}
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		v.Status = workflows.RunStatus(keyword(info.GetSearchAttributes(), workflows.SALifecycleStatus))
		if v.Status == "" {
			v.Status = workflows.RunRunning
		}
		q, err := c.QueryWorkflow(ctx, id, "", workflows.QueryState)
		if err != nil {
			return v, fmt.Errorf("query %s: %w", id, err)
		}
		var in workflows.PolicyRolloutInput
		if err := q.Get(&in); err != nil {
			return v, fmt.Errorf("decode the state of %s: %w", id, err)
		}
		v.Phase, v.Accounts, v.Affected, v.Removals = in.Phase, in.Accounts, in.Affected, in.Removals
		v.Signalled, v.Skipped, v.Approval = in.Signalled, in.Skipped, in.Approval
		return v, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		var res workflows.PolicyRolloutResult
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
			return v, fmt.Errorf("result of %s: %w", id, err)
		}
		v.Status, v.Accounts, v.Affected, v.Removals = res.Status, res.Accounts, res.Affected, res.Removals
		v.Signalled, v.Skipped = res.Signalled, res.Skipped
		return v, nil
	}
	return v, fmt.Errorf("policy rollout %s ended %s", id, info.GetStatus())
}

// keyword decodes a Keyword search attribute ("" when absent).
func keyword(sa *common.SearchAttributes, name string) string {
	p, ok := sa.GetIndexedFields()[name]
	if !ok {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}

func printRollout(out io.Writer, v rolloutView, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(out).Encode(v)
	}
	fmt.Fprintf(out, "policy rollout %s: %s\n", v.WorkflowID, v.Status)
	fmt.Fprintf(out, "  %d of %d accounts affected, %d lose access; %d employees told", v.Affected, v.Accounts, v.Removals, v.Signalled)
	if len(v.Skipped) > 0 {
		fmt.Fprintf(out, ", %d not reachable: %v", len(v.Skipped), v.Skipped)
	}
	fmt.Fprintln(out)
	if v.Approval != "" {
		fmt.Fprintf(out, "  %s\n", v.Approval)
	}
	if v.Status == workflows.RunAwaitingApproval {
		fmt.Fprintf(out, "  approval needed: more accounts lose access than guard.maxDisablePercent allows\n")
		fmt.Fprintf(out, "  starter rollout approve %s\n", v.WorkflowID)
		fmt.Fprintf(out, "  starter rollout reject %s\n", v.WorkflowID)
	}
	return nil
}

func rolloutDecide(ctx context.Context, c client.Client, decision string, args []string, out io.Writer) error {
	id, a, err := decisionArgs("rollout", decision, args)
	if err != nil {
		return err
	}
	v, err := rolloutStatus(ctx, c, id)
	if err != nil {
		return err
	}
	if v.Status != workflows.RunAwaitingApproval {
		return fmt.Errorf("policy rollout %s does not wait for approval (%s)", id, v.Status)
	}
	return sendDecision(ctx, c, decision, id, a, out)
}

func rolloutStatusCmd(ctx context.Context, c client.Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rollout status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return fmt.Errorf("rollout status: %w", err)
	}
	v, err := rolloutStatus(ctx, c, id)
	if err != nil {
		return err
	}
	return printRollout(out, v, *asJSON)
}
