package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/hr"
)

const auditUsage = `usage: starter audit [filters] [--json | --csv]
       starter audit --group NAME | --license SKU | --app-role APP/ROLE [--at DATE] [--history]
       starter audit prune [--days N]

Reads the audit trail directly: PostgreSQL when LIFECYCLE_AUDIT_DSN is set, else the SQLite
file LIFECYCLE_AUDIT_FILE, else <data>/audit.db of the dev worker (--data, default .lifecycle).

filters (combined with AND; none lists everything):
  --employee ID     the employee's history
  --object ID       the account's history (Entra object id)
  --action A[,B]    only these actions (account.created, group.added, ...)
  --workflow ID     only changes made by this workflow
  --since DATE      from DATE (YYYY-MM-DD, UTC, or RFC 3339)
  --until DATE      up to and including DATE
  --limit N         at most N records (default 10000)
holders:
  --group NAME, --license SKU, --app-role APP/ROLE
                    who holds it now, since when and why (--at DATE: at the end of that day;
                    --history: the grant and removal records instead)
prune:
  deletes the records older than LIFECYCLE_AUDIT_RETENTION_DAYS (or --days N) days; the
  audit trail's only delete`

// cmdAudit queries, exports or prunes the audit trail. It needs no Temporal connection.
// Long on purpose: one flag set and its checks, read top to bottom as the command's usage.
func cmdAudit(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(out, auditUsage)
		return nil
	}
	prune := len(args) > 0 && args[0] == "prune"
	if prune {
		args = args[1:]
	}
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", ".lifecycle", "dev data directory holding audit.db")
	employee := fs.String("employee", "", "")
	object := fs.String("object", "", "")
	actions := fs.String("action", "", "")
	workflowID := fs.String("workflow", "", "")
	since := fs.String("since", "", "")
	until := fs.String("until", "", "")
	limit := fs.Int("limit", 10000, "")
	group := fs.String("group", "", "")
	license := fs.String("license", "", "")
	appRole := fs.String("app-role", "", "")
	at := fs.String("at", "", "")
	history := fs.Bool("history", false, "")
	asJSON := fs.Bool("json", false, "")
	asCSV := fs.Bool("csv", false, "")
	days := fs.Int("days", -1, "")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fmt.Errorf("audit: %w (starter audit --help)", err)
	}
	if len(pos) > 0 {
		return fmt.Errorf("audit: unexpected argument %q (starter audit --help)", pos[0])
	}
	if *asJSON && *asCSV {
		return errors.New("audit: --json and --csv exclude each other")
	}
	cfg, err := config.LoadAudit()
	if err != nil {
		return err
	}
	store, err := openAuditStore(ctx, cfg, *data)
	if err != nil {
		return err
	}
	defer store.Close()

	if prune {
		return auditPrune(ctx, store, cfg, *days, out)
	}

	kind, target, err := holderTarget(*group, *license, *appRole)
	if err != nil {
		return err
	}
	f := audit.Filter{EmployeeID: *employee, ObjectID: *object, WorkflowID: *workflowID, Limit: *limit}
	for _, a := range strings.Split(*actions, ",") {
		if a = strings.TrimSpace(a); a != "" {
			f.Actions = append(f.Actions, audit.Action(a))
		}
	}
	if f.Since, err = parseAuditDate("since", *since, false); err != nil {
		return err
	}
	if f.Until, err = parseAuditDate("until", *until, true); err != nil {
		return err
	}
	if kind != "" && !*history {
		moment, err := parseAuditDate("at", *at, true)
		if err != nil {
			return err
		}
		if !moment.IsZero() {
			moment = moment.Add(-time.Microsecond) // the end of that day
		}
		hs, err := store.Holders(ctx, kind, target, moment)
		if err != nil {
			return err
		}
		return printHoldings(out, hs, *asJSON, *asCSV)
	}
	if *at != "" {
		return errors.New("audit: --at goes with --group, --license or --app-role")
	}
	if kind != "" {
		f.TargetKind, f.TargetName, f.TargetID = kind, target, target
	}
	recs, err := store.Query(ctx, f)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return audit.WriteJSON(out, recs)
	case *asCSV:
		return audit.WriteCSV(out, recs)
	}
	return printRecords(out, recs)
}

// openAuditStore opens the configured store for reading; a missing SQLite file is an error,
// not a new empty trail.
func openAuditStore(ctx context.Context, cfg config.Audit, dataDir string) (*audit.SQLStore, error) {
	target := cfg.Store(dataDir)
	if !audit.IsPostgresDSN(target) {
		if _, err := os.Stat(target); err != nil {
			return nil, fmt.Errorf("audit: no audit trail at %s (set LIFECYCLE_AUDIT_DSN or LIFECYCLE_AUDIT_FILE, or --data the dev worker's directory)", filepath.Clean(target))
		}
	}
	s, err := audit.Open(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", cfg.Describe(dataDir), err)
	}
	return s, nil
}

func holderTarget(group, license, appRole string) (kind, name string, err error) {
	n := 0
	for _, v := range []string{group, license, appRole} {
		if v != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return "", "", errors.New("audit: give one of --group, --license and --app-role")
	case group != "":
		return audit.KindGroup, group, nil
	case license != "":
		return audit.KindLicense, license, nil
	case appRole != "":
		if !strings.Contains(appRole, "/") {
			return "", "", errors.New("audit: --app-role wants APP/ROLE")
		}
		return audit.KindAppRole, appRole, nil
	}
	return "", "", nil
}

// parseAuditDate reads YYYY-MM-DD (a UTC day: its start, or with endOfDay the next day's
// start) or an RFC 3339 moment.
func parseAuditDate(name, v string, endOfDay bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := hr.ParseDate(v); err == nil {
		t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("audit: --%s %q: want YYYY-MM-DD or an RFC 3339 date-time", name, v)
}

func auditPrune(ctx context.Context, store audit.Store, cfg config.Audit, days int, out io.Writer) error {
	if days < 0 {
		days = cfg.RetentionDays
	}
	if days == 0 {
		return errors.New("audit prune: retention is 0 (keep everything): set LIFECYCLE_AUDIT_RETENTION_DAYS or --days")
	}
	before := time.Now().UTC().AddDate(0, 0, -days)
	n, err := store.Prune(ctx, before)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "pruned %d audit records older than %s (%d days)\n", n, before.Format(time.RFC3339), days)
	return nil
}

func printRecords(out io.Writer, recs []audit.Record) error {
	if len(recs) == 0 {
		fmt.Fprintln(out, "no audit records")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tEMPLOYEE\tACTION\tTARGET\tCHANGES\tREASON\tWORKFLOW")
	for _, r := range recs {
		target := r.Target.Name
		if target == "" {
			target = r.Target.ID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.At.UTC().Format("2006-01-02 15:04:05"), dash(r.EmployeeID),
			r.Action, dash(target), dash(clip(audit.FormatChanges(r.Changes), maxChangesWidth)), dash(r.Reason), dash(r.WorkflowID))
	}
	return tw.Flush()
}

func printHoldings(out io.Writer, hs []audit.Holding, asJSON, asCSV bool) error {
	switch {
	case asJSON:
		if hs == nil {
			hs = []audit.Holding{}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(hs)
	case asCSV:
		cw := csv.NewWriter(out)
		_ = cw.Write([]string{"employeeId", "objectId", "targetKind", "targetId", "targetName", "since", "reason", "workflowId"})
		for _, h := range hs {
			_ = cw.Write([]string{h.EmployeeID, h.ObjectID, h.Target.Kind, h.Target.ID, h.Target.Name,
				h.Since.UTC().Format(time.RFC3339Nano), h.Reason, h.WorkflowID})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(hs) == 0 {
		fmt.Fprintln(out, "nobody holds it")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMPLOYEE\tACCOUNT\tSINCE\tREASON")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", dash(h.EmployeeID), h.ObjectID, h.Since.UTC().Format("2006-01-02 15:04:05"), dash(h.Reason))
	}
	return tw.Flush()
}

// maxChangesWidth is how much of the changes the table shows; --json and --csv show all.
const maxChangesWidth = 60

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
