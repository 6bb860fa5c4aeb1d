package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/report"
	"github.com/entralifecycle/engine/internal/webhook"
	"github.com/entralifecycle/engine/workflows"
)

// cmdSync asks an employee's entity workflow to re-read the employee from HR and apply it.
func cmdSync(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	if len(args) != 1 || !hr.ValidID(args[0]) {
		return errors.New("sync needs exactly one valid employee id")
	}
	d := dispatch.Dispatcher{Client: c, TaskQueue: cfg.TaskQueue}
	id, err := d.HRChanged(ctx, args[0], entityaddr.HRChanged{Reason: "manual-sync", Source: "cli"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "signalled %s\n", id)
	return nil
}

// checkMoment accepts YYYY-MM-DD (a day in the policy's time zone) or an RFC 3339 moment.
func checkMoment(flagName, v string) error {
	if v == "" {
		return nil
	}
	if _, err := hr.ParseDate(v); err == nil {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, v); err == nil {
		return nil
	}
	return fmt.Errorf("--%s %q: want YYYY-MM-DD or an RFC 3339 date-time", flagName, v)
}

// cmdReplace starts a temporary replacement on the substitute's entity workflow.
func cmdReplace(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("replace", flag.ContinueOnError)
	sub := fs.String("substitute", "", "employee id of the substitute")
	replaced := fs.String("replaced", "", "employee id of the person replaced")
	from := fs.String("from", "", "first day (YYYY-MM-DD) or moment (RFC 3339); default now")
	until := fs.String("until", "", "last day (YYYY-MM-DD, inclusive) or moment (RFC 3339)")
	id := fs.String("id", "", "replacement id (default generated)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !hr.ValidID(*sub) || !hr.ValidID(*replaced) {
		return errors.New("replace needs --substitute and --replaced employee ids")
	}
	if *sub == *replaced {
		return errors.New("--substitute and --replaced are the same person")
	}
	if *until == "" {
		return errors.New("replace needs --until")
	}
	for _, f := range [][2]string{{"from", *from}, {"until", *until}} {
		if err := checkMoment(f[0], f[1]); err != nil {
			return err
		}
	}
	if *id == "" {
		*id = fmt.Sprintf("r-%s-%s-%d", *sub, *replaced, time.Now().Unix())
	}
	var res workflows.ReplacementStatus
	req := workflows.ReplaceRequest{ReplacementID: *id, ReplacedEmployeeID: *replaced, From: *from, Until: *until}
	if err := (dispatch.Dispatcher{Client: c, TaskQueue: cfg.TaskQueue}).Update(ctx, *sub, workflows.UpdateReplace, req, &res); err != nil {
		return err
	}
	return printResult(out, *asJSON, res, fmt.Sprintf("replacement %s: %s replaces %s", *id, *sub, *replaced))
}

// cmdExtend moves a replacement's end.
func cmdExtend(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("extend", flag.ContinueOnError)
	sub := fs.String("substitute", "", "employee id of the substitute (whose entity holds the replacement)")
	until := fs.String("until", "", "new last day (YYYY-MM-DD) or moment (RFC 3339)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("extend needs exactly one replacement id")
	}
	if !hr.ValidID(*sub) || *until == "" {
		return errors.New("extend needs --substitute and --until")
	}
	if err := checkMoment("until", *until); err != nil {
		return err
	}
	var res workflows.ReplacementStatus
	req := workflows.ExtendRequest{ReplacementID: pos[0], Until: *until}
	if err := (dispatch.Dispatcher{Client: c, TaskQueue: cfg.TaskQueue}).Update(ctx, *sub, workflows.UpdateExtend, req, &res); err != nil {
		return err
	}
	return printResult(out, *asJSON, res, fmt.Sprintf("replacement %s now ends %s", pos[0], *until))
}

// cmdEndReplacement ends a replacement now or at a given moment.
func cmdEndReplacement(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("end-replacement", flag.ContinueOnError)
	sub := fs.String("substitute", "", "employee id of the substitute")
	at := fs.String("at", "", "when (YYYY-MM-DD or RFC 3339); default now")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !hr.ValidID(*sub) {
		return errors.New("end-replacement needs one replacement id and --substitute")
	}
	if err := checkMoment("at", *at); err != nil {
		return err
	}
	var res workflows.ReplacementStatus
	req := workflows.EndReplacementRequest{ReplacementID: pos[0], At: *at}
	if err := (dispatch.Dispatcher{Client: c, TaskQueue: cfg.TaskQueue}).Update(ctx, *sub, workflows.UpdateEndReplacement, req, &res); err != nil {
		return err
	}
	return printResult(out, *asJSON, res, fmt.Sprintf("replacement %s ended", pos[0]))
}

func printResult(out io.Writer, asJSON bool, v any, line string) error {
	if asJSON {
		return json.NewEncoder(out).Encode(v)
	}
	_, err := fmt.Fprintln(out, line)
	return err
}

// cmdServe runs the HR webhook server (docs/webhook.md) until interrupted, with the payload codec
// endpoint beside it when LIFECYCLE_PAYLOAD_KEY is set.
func cmdServe(ctx context.Context, c client.Client, cfg config.Starter, args []string, out io.Writer) error {
	if len(args) != 0 {
		return fmt.Errorf("serve takes no arguments (set LIFECYCLE_WEBHOOK_ADDR)")
	}
	logger, _, err := cfg.Logging.Logger()
	if err != nil {
		return err
	}
	var key []byte
	if cfg.PayloadKey != "" {
		if key, err = codec.ParseKey(cfg.PayloadKey); err != nil {
			return fmt.Errorf("LIFECYCLE_PAYLOAD_KEY: %v", err)
		}
	}
	rep, closeReport, err := reportHandler(ctx, c, cfg, logger)
	if err != nil {
		return err
	}
	defer closeReport()
	h, err := dispatch.HTTPHandler(dispatch.Dispatcher{Client: c, TaskQueue: cfg.TaskQueue}, dispatch.HTTPOptions{
		Addr: cfg.Webhook.Addr, Secret: []byte(cfg.Webhook.Secret), PayloadKey: key,
		CodecToken: cfg.Webhook.CodecToken, AcceptRecords: cfg.Webhook.AcceptsRecords(cfg.HRSource),
		CodecOrigins: cfg.Webhook.Origins(), Logger: logger, Report: rep,
	})
	if err != nil {
		return err
	}
	logger.Info("webhook server listening", "addr", cfg.Webhook.Addr)
	return webhook.Run(ctx, cfg.Webhook.Addr, h)
}

// reportHandler builds the report page served by `serve` at /report (docs/report.md): the
// entities from Temporal, the audit trail when LIFECYCLE_AUDIT_DSN or LIFECYCLE_AUDIT_FILE
// names one, and the configured HR source. A part that cannot be opened is left out with a
// warning; the page says which source is missing. The returned function closes the store.
func reportHandler(ctx context.Context, c client.Client, cfg config.Starter, logger *slog.Logger) (*report.Handler, func(), error) {
	rcfg, err := config.LoadReport()
	if err != nil {
		return nil, nil, err
	}
	closeFn := func() {}
	var auditSrc report.Audit
	if acfg, err := config.LoadAudit(); err != nil {
		logger.Warn("report: audit settings", "error", err)
	} else if target := acfg.Store(""); target != "" {
		if st, err := audit.Open(ctx, target); err == nil {
			auditSrc, closeFn = st, func() { _ = st.Close() }
		} else {
			logger.Warn("report: audit store not available", "error", err)
		}
	}
	var hrSrc report.HR
	var hs hrSettings
	if err := config.Load(&hs); err == nil && hs.HR.Validate() == nil {
		if src, err := hs.HR.Open(hs.HRConnectors); err == nil {
			hrSrc = src
		} else {
			logger.Warn("report: HR source not available", "error", err)
		}
	}
	set := report.EngineSettings{Token: rcfg.Token, UIURL: rcfg.TemporalUIURL}
	return report.Engine(c, cfg.Namespace, auditSrc, hrSrc, cfg.Webhook.Addr, "", set, report.WithLogger(logger)), closeFn, nil
}
