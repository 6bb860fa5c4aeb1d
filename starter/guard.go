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
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/workflows"
)

// cmdGuard is `starter guard list | approve [ids…|--all] [--kind K] | reject
// [ids…|--all] [--kind K]`: the exits and removals of managed access the
// tenant-wide mass-change guard holds, and the decision on them.
func cmdGuard(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("guard needs list, approve or reject")
	}
	d := dispatch.Dispatcher{Client: c, TaskQueue: cfg.TaskQueue}
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("guard list", flag.ContinueOnError)
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseArgs(fs, args[1:]); err != nil {
			return err
		}
		st, err := d.GuardState(ctx)
		if err != nil {
			return err
		}
		return printGuard(out, st, *asJSON)
	case "approve", "reject":
		fs := flag.NewFlagSet("guard "+args[0], flag.ContinueOnError)
		all := fs.Bool("all", false, "decide on everything held (of --kind, when given)")
		kind := fs.String("kind", "", "decide only on held exits (exit) or removals of managed access (removal)")
		by := fs.String("by", defaultApprover(), "who decides (recorded)")
		asJSON := fs.Bool("json", false, "print JSON")
		ids, err := parseArgs(fs, args[1:])
		if err != nil {
			return err
		}
		if *all == (len(ids) > 0) {
			return fmt.Errorf("guard %s needs employee ids or --all (not both)", args[0])
		}
		for _, id := range ids {
			if !hr.ValidID(id) {
				return fmt.Errorf("invalid employee id %q", id)
			}
		}
		if *kind != "" && *kind != workflows.GuardKindExit && *kind != workflows.GuardKindRemoval {
			return fmt.Errorf("guard %s --kind %q: want %s or %s", args[0], *kind, workflows.GuardKindExit, workflows.GuardKindRemoval)
		}
		res, err := d.GuardDecide(ctx, workflows.GuardDecideRequest{Approve: args[0] == "approve", EmployeeIDs: ids, Kind: *kind, By: *by})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(out).Encode(res)
		}
		verb := map[string]string{"approve": "approved", "reject": "rejected"}[args[0]]
		what := "held exit(s) or removal(s)"
		switch *kind {
		case workflows.GuardKindExit:
			what = "held exit(s)"
		case workflows.GuardKindRemoval:
			what = "held removal(s)"
		}
		fmt.Fprintf(out, "%s %d %s", verb, len(res.Decided), what)
		if len(res.Decided) > 0 {
			fmt.Fprintf(out, ": %s", strings.Join(res.Decided, " "))
		}
		fmt.Fprintln(out)
		if len(res.NotHeld) > 0 {
			fmt.Fprintf(out, "not waiting: %s\n", strings.Join(res.NotHeld, " "))
		}
		return nil
	}
	return fmt.Errorf("unknown guard command %q: want list, approve or reject", args[0])
}

func defaultApprover() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}

// printGuard prints the guard's window, both budgets and what is held.
func printGuard(out io.Writer, st workflows.GuardState, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(out).Encode(st)
	}
	window := st.Window
	if window == "" {
		window = "24h"
	}
	fmt.Fprintf(out, "exits granted in the last %s: %d of a budget of %d (%v%% of %d managed accounts)\n",
		window, len(st.Granted), st.Budget, st.MaxDisablePercent, st.Managed+len(st.Granted))
	fmt.Fprintf(out, "removals of managed access granted in the last %s: %d of a budget of %d (%v%% of %d managed accounts)\n",
		window, len(st.Removals), st.RemovalBudget, st.MaxRemovalPercent, st.Managed)
	exits, removals := 0, 0
	for _, h := range st.Held {
		if h.Kind == workflows.GuardKindRemoval {
			removals++
		} else {
			exits++
		}
	}
	if exits == 0 {
		fmt.Fprintln(out, "no exit waits for approval")
	} else {
		fmt.Fprintf(out, "%d exit(s) wait for approval\n", exits)
	}
	if removals == 0 {
		fmt.Fprintln(out, "no removal waits for approval")
	} else {
		fmt.Fprintf(out, "%d removal(s) wait for approval\n", removals)
	}
	if len(st.Held) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EMPLOYEE\tKIND\tHELD SINCE\tREASON")
	for _, h := range st.Held {
		kind := h.Kind
		if kind != workflows.GuardKindRemoval {
			kind = workflows.GuardKindExit
		}
		reason := h.Reason
		if reason == "" {
			reason = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.EmployeeID, kind, h.Since.UTC().Format(time.RFC3339), reason)
	}
	return tw.Flush()
}
