package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/report"
	"github.com/entralifecycle/engine/internal/temporalclient"
	"github.com/entralifecycle/engine/workflows"
)

// flags are the command-line options; the environment holds everything else.
type flags struct {
	dev            bool
	data           string
	frontend       string
	ui             string
	graph          string
	hrFile         string
	policy         string
	serverLogLevel slog.Level
	graphLag       time.Duration
}

func parseFlags(args []string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.BoolVar(&f.dev, "dev", false, "start an embedded Temporal server, UI and Graph simulator and work against them")
	fs.StringVar(&f.data, "data", ".lifecycle", "dev mode: state directory (Temporal's SQLite database)")
	fs.StringVar(&f.frontend, "frontend", devstack.DefaultFrontendAddr, "dev mode: Temporal frontend address")
	fs.StringVar(&f.ui, "ui", devstack.DefaultUIAddr, "dev mode: Temporal Web UI address (empty: no UI)")
	fs.StringVar(&f.graph, "graph", devstack.DefaultGraphAddr, "dev mode: Microsoft Graph simulator address (base URL http://<addr>/v1.0)")
	fs.StringVar(&f.hrFile, "hr", "", "dev mode: HR file (default: the bundled sample)")
	fs.StringVar(&f.policy, "policy", "", "dev mode: access policy file (default: the bundled sample)")
	fs.DurationVar(&f.graphLag, "graph-lag", time.Second, "dev mode: the Graph simulator's replication lag, how long a new user stays invisible to reads as in Entra ID (0 disables it)")
	f.serverLogLevel = slog.LevelWarn
	fs.TextVar(&f.serverLogLevel, "server-log-level", &f.serverLogLevel, "dev mode: lowest level of the embedded Temporal server's own logs (debug, info, warn, error)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

func run(ctx context.Context, args []string) error {
	f, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := config.LoadWorker(f.dev)
	if err != nil {
		return err
	}
	logger, _, err := cfg.Logging.Logger()
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	host, _ := os.Hostname()
	identity := fmt.Sprintf("worker@%s/%d", host, os.Getpid())

	var payloadKey []byte
	if cfg.PayloadKey != "" {
		if payloadKey, err = codec.ParseKey(cfg.PayloadKey); err != nil {
			return fmt.Errorf("LIFECYCLE_PAYLOAD_KEY: %v", err)
		}
	}

	var stack *devstack.Stack
	if f.dev {
		stack, err = startDev(ctx, f, &cfg, logger, payloadKey != nil)
		if err != nil {
			return err
		}
		defer stack.Stop()
	}
	m, stopMetrics, err := startMetrics(logger)
	if err != nil {
		return err
	}
	defer stopMetrics()
	budget, pollers := newGraphBudget(cfg, identity, m, logger)
	acts, err := buildActivities(ctx, cfg, f, stack, identity, budget, logger)
	if err != nil {
		return err
	}
	if m != nil {
		acts.Observer = m // HR snapshot reads and reconciliation drift
	}
	auditStore, closeAudit, err := openAudit(ctx, f, acts, logger, m)
	if err != nil {
		return err
	}
	defer closeAudit()

	topts, err := cfg.Temporal.ClientOptions(identity, logger)
	if err != nil {
		return err
	}
	topts.MetricsHandler = m.TemporalHandler()
	c, err := temporalclient.Dial(ctx, topts, 15*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	// The write budget's share follows the workers polling the task queue from now on.
	pollers.Client = c
	go budget.Run(ctx)

	d := dispatch.Dispatcher{Client: c, TaskQueue: cfg.TaskQueue}
	var onStart func()
	if f.dev {
		// In dev mode the HTTP side (HR webhook, health, codec) runs in this process.
		stopHTTP, err := serveDevHTTP(ctx, c, d, cfg, acts, auditStore, stack, payloadKey, logger)
		if err != nil {
			return err
		}
		defer stopHTTP()
		onStart = devOnStart(ctx, c, d, cfg, acts, logger)
	}
	return runWorker(ctx, c, cfg, acts, identity, logger, workerReadiness(c, cfg, identity, f.dev, stack), onStart)
}

// serveDevHTTP serves, in dev mode, the HR webhook, health, codec and the
// report page; the returned func shuts the server down.
func serveDevHTTP(ctx context.Context, c client.Client, d dispatch.Dispatcher, cfg config.Worker, acts *activities.Activities,
	auditStore *audit.SQLStore, stack *devstack.Stack, payloadKey []byte, logger *slog.Logger) (func(), error) {
	secret, err := cfg.Webhook.DevSecret(cfg.HasCredentials())
	if err != nil {
		return nil, err
	}
	// The report page at /report (docs/report.md): entities, audit trail, HR source.
	var auditSrc report.Audit
	if auditStore != nil {
		auditSrc = auditStore
	}
	loc := time.UTC
	if p, err := acts.Policy(ctx); err == nil {
		loc = p.Location()
	}
	rcfg, err := config.LoadReport()
	if err != nil {
		return nil, err
	}
	rep := report.Engine(c, cfg.Namespace, auditSrc, acts.HR, cfg.Webhook.Addr, stack.UIURL(),
		report.EngineSettings{Token: rcfg.Token, UIURL: rcfg.TemporalUIURL},
		report.WithLocation(loc), report.WithLogger(logger))
	h, err := dispatch.HTTPHandler(d, dispatch.HTTPOptions{
		Addr: cfg.Webhook.Addr, Secret: []byte(secret), PayloadKey: payloadKey,
		CodecToken: cfg.Webhook.CodecToken, AcceptRecords: cfg.Webhook.AcceptsRecords(cfg.HR.Source),
		CodecOrigins: cfg.Webhook.Origins(), Logger: logger, Report: rep,
	})
	if err != nil {
		return nil, err
	}
	srv, err := serveHTTP(cfg.Webhook.Addr, h, logger)
	if err != nil {
		return nil, err
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// workerReadiness is what the worker checks before it reports ready: that it
// polls and, in dev mode, that every part of the stack answers.
func workerReadiness(c client.Client, cfg config.Worker, identity string, dev bool, stack *devstack.Stack) readiness {
	ready := []readyCheck{pollingReady(c, cfg.TaskQueue, identity)}
	readyAttrs := []any{"taskQueue", cfg.TaskQueue, "namespace", cfg.Namespace, "frontend", cfg.Address}
	if dev {
		ready = append(ready, httpReady("webhook", "http://"+cfg.Webhook.Addr+"/healthz"))
		if u := stack.GraphBaseURL(); u != "" {
			ready = append(ready, httpReady("Graph simulator", strings.TrimSuffix(u, "/v1.0")+"/_sim/stats"))
		}
		if u := stack.UIURL(); u != "" {
			ready = append(ready, httpReady("Temporal UI", u+"/"))
		}
		readyAttrs = append(readyAttrs, "ui", stack.UIURL(), "graph", stack.GraphBaseURL(), "webhook", "http://"+cfg.Webhook.Addr)
	}
	return readiness{checks: ready, attrs: readyAttrs, required: dev}
}

// devOnStart is what dev mode does once the worker polls. It applies the
// whole HR snapshot at every start (entities ignore what is already
// applied), so the sample organisation is provisioned on the first run.
func devOnStart(ctx context.Context, c client.Client, d dispatch.Dispatcher, cfg config.Worker, acts *activities.Activities, logger *slog.Logger) func() {
	return func() {
		// The safety net (docs/dev-mode.md): a reconciliation every 15 minutes.
		created, err := dispatch.EnsureReconcileSchedule(ctx, c, cfg.TaskQueue, 15*time.Minute)
		switch {
		case err != nil:
			logger.Error("reconciliation schedule", "error", err)
		case created:
			logger.Info("reconciliation schedule created", "every", "15m")
		}
		syncAll(ctx, d, acts, logger)
	}
}

// readiness is what the worker checks, once started, before it logs ReadyMessage. When
// required (dev mode) a failed check stops the worker; otherwise (a production worker may
// lack the permission to describe its task queue) it is logged and the worker goes on.
type readiness struct {
	checks   []readyCheck
	attrs    []any
	required bool
}

// syncAll signals every employee of the HR snapshot to their entity workflow.
func syncAll(ctx context.Context, d dispatch.Dispatcher, acts *activities.Activities, logger *slog.Logger) {
	start := time.Now()
	snap, err := acts.HR.Snapshot(ctx)
	if acts.Observer != nil {
		acts.Observer.HRSnapshot(len(snap.Employees), len(snap.Rejected), time.Since(start), err)
	}
	if err != nil {
		logger.Error("initial HR sync: read snapshot", "error", err)
		return
	}
	for _, r := range snap.Rejected {
		logger.Warn("HR record rejected", "employeeId", r.EmployeeID, "reason", r.Reason)
	}
	n, err := d.SyncAll(ctx, snap, "dev-start")
	if err != nil {
		logger.Error("initial HR sync", "signalled", n, "error", err)
		return
	}
	logger.Info("initial HR sync", "employees", n, "rejected", len(snap.Rejected))
	if len(snap.Replacements) > 0 {
		n, err := d.SyncReplacements(ctx, snap, hr.DateOf(time.Now()), 2*time.Minute)
		if err != nil {
			logger.Error("initial replacement sync", "applied", n, "error", err)
			return
		}
		logger.Info("initial replacement sync", "replacements", n)
	}
}

// runWorker registers everything and polls until ctx ends.
func runWorker(ctx context.Context, c client.Client, cfg config.Worker, acts *activities.Activities, identity string, logger *slog.Logger, ready readiness, onStart func()) error {
	// On SIGINT / SIGTERM in-flight activities get a moment to finish, so their results are
	// recorded instead of being retried only after their start-to-close timeout.
	w := worker.New(c, cfg.TaskQueue, worker.Options{Identity: identity, WorkerStopTimeout: 15 * time.Second})
	workflows.Register(w, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", cfg.TaskQueue, err)
	}
	logger.Info("worker started", "taskQueue", cfg.TaskQueue, "namespace", cfg.Namespace, "address", cfg.Address)
	if err := waitReady(ctx, ready.checks, logger, ready.attrs...); err != nil {
		if ready.required && ctx.Err() == nil {
			w.Stop()
			return err
		}
		if ctx.Err() == nil {
			logger.Warn("could not confirm readiness; working on", "error", err)
		}
	}
	if onStart != nil {
		go onStart()
	}
	<-ctx.Done()
	logger.Info("stopping worker")
	w.Stop()
	return nil
}

func startDev(ctx context.Context, f flags, cfg *config.Worker, logger *slog.Logger, withCodec bool) (*devstack.Stack, error) {
	searchAttrs := make([]devstack.SearchAttribute, 0)
	for _, sa := range workflows.SearchAttributes() {
		searchAttrs = append(searchAttrs, devstack.SearchAttribute{Name: sa.Name, Type: sa.Type})
	}
	opts := devstack.Options{
		DataDir:          f.data,
		FrontendAddr:     f.frontend,
		UIAddr:           f.ui,
		Namespace:        cfg.Namespace,
		SearchAttributes: searchAttrs,
		GraphAddr:        f.graph,
		GraphLag:         f.graphLag,
		OtherAddrs:       map[string]string{"webhook": cfg.Webhook.Addr},
		Logger:           logger,
		ServerLogLevel:   &f.serverLogLevel,
	}
	if !cfg.HasCredentials() {
		// The simulator holds what the dev policy names (the bundled sample's by default).
		pol, err := devPolicy(devPolicyPath(f, *cfg))(ctx)
		if err != nil {
			return nil, err
		}
		seed := devstack.PolicySeed(pol)
		opts.GraphSeed = &seed
		opts.GraphDatabase = filepath.Join(f.data, devstack.GraphDatabaseFileName)
		opts.GraphImportFile = filepath.Join(f.data, "graph.json")
	} else {
		opts.GraphAddr = ""
	}
	if withCodec {
		opts.CodecEndpoint = "http://" + cfg.Webhook.Addr + "/codec"
	}
	logger.Info("starting dev stack", "data", f.data, "frontend", f.frontend, "ui", f.ui)
	stack, err := devstack.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	cfg.Address = stack.FrontendAddr()
	logger.Info("dev stack started", "ui", stack.UIURL(), "frontend", stack.FrontendAddr(), "namespace", stack.Namespace(), "graph", stack.GraphBaseURL())
	return stack, nil
}

// serveHTTP binds addr now (so a taken port fails start-up) and serves in the background.
func serveHTTP(addr string, h http.Handler, logger *slog.Logger) (*http.Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("webhook address %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server stopped", "addr", addr, "error", err)
		}
	}()
	return srv, nil
}
