package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/hr"
)

// hrSettings are the worker's HR settings, read from the same variables.
type hrSettings struct {
	config.HR
	config.HRConnectors
}

// HRCheckReport is what `starter hr check` prints (--json gives it as is).
type HRCheckReport struct {
	Source string `json:"source"`
	// Employees is the number of employees read and accepted.
	Employees int `json:"employees"`
	// Rejected are the refused records with their reasons.
	Rejected []hr.Rejection `json:"rejected"`
	// Warnings are records kept with a correction (e.g. a dropped manager link).
	Warnings []hr.Rejection `json:"warnings"`
	// ManagersResolved counts employees with a manager on at least one contract.
	ManagersResolved int `json:"managersResolved"`
	// ManagerLinksDropped counts manager links validation had to drop.
	ManagerLinksDropped int `json:"managerLinksDropped"`
	// Replacements is the number of accepted temporary replacements.
	Replacements int `json:"replacements"`
	// Sample holds the first employees as mapped (sorted as the source gave them).
	Sample []hr.Employee `json:"sample"`
	// Took is how long the read took.
	Took string `json:"took"`
}

// cmdHR runs `starter hr check`: it reads the configured HR source once,
// with the worker's settings, and reports what the engine would get. It
// needs no Temporal connection and writes nothing.
func cmdHR(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: starter hr check [--json] [--show N]")
	}
	fs := flag.NewFlagSet("hr check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print JSON")
	show := fs.Int("show", 5, "how many mapped employees to print")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if _, err := parseArgs(fs, args[1:]); err != nil {
		return fmt.Errorf("hr check: %w", err)
	}
	var s hrSettings
	if err := config.Load(&s); err != nil {
		return err
	}
	if err := s.HR.Validate(); err != nil {
		return err
	}
	src, err := s.HR.Open(s.HRConnectors)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	began := time.Now()
	snap, err := src.Snapshot(ctx)
	if err != nil {
		if errors.Is(err, hr.ErrUntrustedSnapshot) {
			return fmt.Errorf("HR source %s: the read cannot be trusted, nothing would be reconciled from it: %w", s.HR.Source, err)
		}
		return fmt.Errorf("HR source %s: %w", s.HR.Source, err)
	}
	rep := Check(s.HR.Source, snap, *show)
	rep.Took = time.Since(began).Round(time.Millisecond).String()
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printHRCheck(out, rep)
	return nil
}

// Check summarises a validated snapshot.
func Check(source string, snap hr.Snapshot, show int) HRCheckReport {
	rep := HRCheckReport{Source: source, Employees: len(snap.Employees), Rejected: snap.Rejected, Warnings: snap.Warnings,
		Replacements: len(snap.Replacements)}
	if rep.Rejected == nil {
		rep.Rejected = []hr.Rejection{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []hr.Rejection{}
	}
	for _, e := range snap.Employees {
		for _, c := range e.Contracts {
			if c.ManagerEmployeeID != "" {
				rep.ManagersResolved++
				break
			}
		}
	}
	for _, w := range snap.Warnings {
		if strings.Contains(w.Reason, "manager") {
			rep.ManagerLinksDropped++
		}
	}
	rep.Sample = snap.Employees[:min(max(show, 0), len(snap.Employees))]
	if rep.Sample == nil {
		rep.Sample = []hr.Employee{}
	}
	return rep
}

func printHRCheck(out io.Writer, rep HRCheckReport) {
	fmt.Fprintf(out, "HR source %s read in %s\n", rep.Source, rep.Took)
	fmt.Fprintf(out, "  employees read:     %d\n", rep.Employees)
	fmt.Fprintf(out, "  rejected:           %d\n", len(rep.Rejected))
	fmt.Fprintf(out, "  warnings:           %d\n", len(rep.Warnings))
	fmt.Fprintf(out, "  managers resolved:  %d of %d employees (%d links dropped)\n", rep.ManagersResolved, rep.Employees, rep.ManagerLinksDropped)
	if rep.Replacements > 0 {
		fmt.Fprintf(out, "  replacements:       %d\n", rep.Replacements)
	}
	if len(rep.Rejected) > 0 {
		fmt.Fprintln(out, "\nrejected:")
		for _, r := range rep.Rejected {
			fmt.Fprintf(out, "  %s\n", r)
		}
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintln(out, "\nwarnings:")
		for _, r := range rep.Warnings {
			fmt.Fprintf(out, "  %s\n", r)
		}
	}
	if len(rep.Sample) == 0 {
		return
	}
	fmt.Fprintf(out, "\nfirst %d employees as mapped:\n", len(rep.Sample))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tNAME\tWORK E-MAIL\tCONTRACT\tPERIOD\tDEPARTMENT\tJOB\tMANAGER")
	for _, e := range rep.Sample {
		if len(e.Contracts) == 0 {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t-\t\t\t\t\n", e.EmployeeID, e.FullName(), dash(e.WorkEmail))
		}
		for i, c := range e.Contracts {
			id, name, mail := e.EmployeeID, e.FullName(), dash(e.WorkEmail)
			if i > 0 {
				id, name, mail = "", "", ""
			}
			end := "open"
			if c.End != nil {
				end = c.End.String()
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s..%s\t%s\t%s\t%s\n", id, name, mail, c.ID, c.Start, end,
				dash(c.Department), dash(strings.TrimSpace(c.JobCode+" "+c.JobTitle)), dash(c.ManagerEmployeeID))
		}
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
