package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/workflows"
)

const scheduleUsage = `usage: starter schedule <create|describe|pause|unpause|delete> [flags]
  create   [--every 15m] [--dry-run] [--catchup-window 1h] [--paused]
  describe [--json]
  pause    [--note TEXT]
  unpause  [--note TEXT]
  delete`

// cmdSchedule manages the Temporal Schedule that starts the periodic reconciliation.
func cmdSchedule(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(scheduleUsage)
	}
	sub, rest := args[0], args[1:]
	h := c.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	switch sub {
	case "create":
		return scheduleCreate(ctx, c, cfg, rest, out)
	case "describe":
		return scheduleDescribe(ctx, h, rest, out)
	case "pause", "unpause":
		fs := flag.NewFlagSet("schedule "+sub, flag.ContinueOnError)
		note := fs.String("note", "", "why (kept on the schedule)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		var err error
		if sub == "pause" {
			err = h.Pause(ctx, client.SchedulePauseOptions{Note: orDefault(*note, "paused from the command line")})
		} else {
			err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: orDefault(*note, "unpaused from the command line")})
		}
		if err != nil {
			return scheduleError(sub, err)
		}
		fmt.Fprintf(out, "schedule %s %sd\n", workflows.ReconcileScheduleID, sub)
		return nil
	case "delete":
		if err := h.Delete(ctx); err != nil {
			return scheduleError("delete", err)
		}
		fmt.Fprintf(out, "schedule %s deleted\n", workflows.ReconcileScheduleID)
		return nil
	}
	return fmt.Errorf("unknown schedule command %q\n%s", sub, scheduleUsage)
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

func scheduleError(what string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("schedule %s: no schedule %s (create it with: starter schedule create)", what, workflows.ReconcileScheduleID)
	}
	return fmt.Errorf("schedule %s: %w", what, err)
}

func scheduleCreate(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("schedule create", flag.ContinueOnError)
	every := fs.Duration("every", 15*time.Minute, "interval between reconciliations")
	catchup := fs.Duration("catchup-window", time.Hour, "how late a missed run may still start")
	dryRun := fs.Bool("dry-run", false, "scheduled runs only plan, never write")
	paused := fs.Bool("paused", false, "create the schedule paused")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *every < time.Minute {
		return fmt.Errorf("--every %s: at least 1m", *every)
	}
	if *catchup < 10*time.Second {
		return fmt.Errorf("--catchup-window %s: at least 10s", *catchup)
	}
	_, err := c.ScheduleClient().Create(ctx, dispatch.ReconcileScheduleOptions(cfg.TaskQueue, *every, *catchup, *dryRun, *paused))
	if err != nil {
		var exists *serviceerror.AlreadyExists
		if errors.As(err, &exists) || strings.Contains(err.Error(), "already") {
			return fmt.Errorf("schedule %s already exists (delete it first to change it)", workflows.ReconcileScheduleID)
		}
		return fmt.Errorf("create schedule: %w", err)
	}
	mode := ""
	if *dryRun {
		mode = " (dry run)"
	}
	fmt.Fprintf(out, "schedule %s created: reconcile every %s%s, overlap skip, catch-up window %s\n",
		workflows.ReconcileScheduleID, *every, mode, *catchup)
	return nil
}

// scheduleSummary is describe's JSON form.
type scheduleSummary struct {
	ID               string      `json:"id"`
	Every            []string    `json:"every"`
	Paused           bool        `json:"paused"`
	Note             string      `json:"note,omitempty"`
	Overlap          string      `json:"overlap"`
	CatchupWindow    string      `json:"catchupWindow"`
	Actions          int         `json:"actions"`
	SkippedOverlap   int         `json:"skippedOverlap"`
	MissedCatchup    int         `json:"missedCatchupWindow"`
	Running          []string    `json:"running,omitempty"`
	Recent           []string    `json:"recent,omitempty"`
	NextActionTimes  []time.Time `json:"nextActionTimes,omitempty"`
	WorkflowType     string      `json:"workflowType,omitempty"`
	WorkflowIDPrefix string      `json:"workflowIdPrefix,omitempty"`
}

func scheduleDescribe(ctx context.Context, h client.ScheduleHandle, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("schedule describe", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := h.Describe(ctx)
	if err != nil {
		return scheduleError("describe", err)
	}
	s := scheduleSummary{ID: h.GetID(), Actions: d.Info.NumActions, SkippedOverlap: d.Info.NumActionsSkippedOverlap,
		MissedCatchup: d.Info.NumActionsMissedCatchupWindow, NextActionTimes: d.Info.NextActionTimes}
	if sp := d.Schedule.Spec; sp != nil {
		for _, iv := range sp.Intervals {
			s.Every = append(s.Every, iv.Every.String())
		}
	}
	if st := d.Schedule.State; st != nil {
		s.Paused, s.Note = st.Paused, st.Note
	}
	if p := d.Schedule.Policy; p != nil {
		s.Overlap = strings.ToLower(strings.TrimPrefix(p.Overlap.String(), "ScheduleOverlapPolicy"))
		s.CatchupWindow = p.CatchupWindow.String()
	}
	if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); ok {
		s.WorkflowIDPrefix = a.ID
		if name, ok := a.Workflow.(string); ok {
			s.WorkflowType = name
		}
	}
	for _, r := range d.Info.RunningWorkflows {
		s.Running = append(s.Running, r.WorkflowID)
	}
	for _, r := range d.Info.RecentActions {
		line := r.ActualTime.UTC().Format(time.RFC3339)
		if r.StartWorkflowResult != nil {
			line += " " + r.StartWorkflowResult.WorkflowID
		}
		s.Recent = append(s.Recent, line)
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(s)
	}
	state := "active"
	if s.Paused {
		state = "paused"
	}
	fmt.Fprintf(out, "schedule:        %s (%s)\n", s.ID, state)
	if s.Note != "" {
		fmt.Fprintf(out, "note:            %s\n", s.Note)
	}
	fmt.Fprintf(out, "every:           %s\n", strings.Join(s.Every, ", "))
	fmt.Fprintf(out, "overlap:         %s, catch-up window %s\n", s.Overlap, s.CatchupWindow)
	fmt.Fprintf(out, "runs:            %d started, %d skipped (overlap), %d missed (catch-up window)\n", s.Actions, s.SkippedOverlap, s.MissedCatchup)
	for _, r := range s.Running {
		fmt.Fprintf(out, "running:         %s\n", r)
	}
	for _, r := range s.Recent {
		fmt.Fprintf(out, "recent:          %s\n", r)
	}
	for _, t := range s.NextActionTimes {
		fmt.Fprintf(out, "next:            %s\n", t.UTC().Format(time.RFC3339))
	}
	return nil
}
