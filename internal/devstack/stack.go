// Package devstack runs the whole engine's surroundings in one process for development and
// tests: the Temporal server (SQLite in a state directory, so workflows and timers survive a
// restart), the Temporal Web UI, the custom search attributes the engine needs, and the
// Microsoft Graph simulator seeded with what the sample policy names.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/graphsim"
)

// Default addresses of the dev stack (docs/dev-mode.md).
const (
	DefaultFrontendAddr = "127.0.0.1:7233"
	DefaultUIAddr       = "127.0.0.1:8233"
	DefaultNamespace    = "default"
	// DatabaseFileName is Temporal's SQLite file inside the state directory.
	DatabaseFileName = "temporal.db"
	// GraphDatabaseFileName is the Graph simulator's SQLite file inside the state directory.
	GraphDatabaseFileName = "graph.db"
)

// Options configure the dev stack.
type Options struct {
	// DataDir holds the SQLite database; empty keeps everything in memory (tests).
	DataDir string
	// Namespace is created when missing; default "default".
	Namespace string
	// FrontendAddr is the Temporal gRPC frontend, default 127.0.0.1:7233.
	FrontendAddr string
	// UIAddr is the Temporal Web UI; empty runs no UI.
	UIAddr string
	// CodecEndpoint, when set, is given to the UI as its remote codec (e.g. http://127.0.0.1:8235/codec).
	CodecEndpoint string
	// SearchAttributes are registered in the namespace, on a new and on an existing database.
	SearchAttributes []SearchAttribute
	// GraphAddr, when set, serves the Microsoft Graph simulator there (base URL
	// http://<GraphAddr>/v1.0), seeded with GraphSeed.
	GraphAddr string
	// GraphSeed is the simulator's initial tenant; nil leaves it empty.
	GraphSeed *graphsim.Seed
	// GraphLag is the simulator's replication lag: how long a new user stays invisible to
	// reads, as in Entra ID (graphsim.Config.ReplicationLagMs). 0 disables it.
	GraphLag time.Duration
	// GraphDatabase, when set, keeps the simulated tenant in this SQLite file: loaded at
	// start (GraphSeed only fills a new file) and every acknowledged write stored before it
	// is answered, so the tenant survives a restart and a killed process alike.
	GraphDatabase string
	// GraphImportFile is a JSON tenant written by an older dev stack: imported instead of
	// GraphSeed when GraphDatabase is new, then renamed to <file>.imported.
	GraphImportFile string
	// OtherAddrs are further addresses the caller will bind (name → address); they are checked
	// before anything starts so a taken port is reported up front.
	OtherAddrs map[string]string
	// Logger receives everything; nil means slog.Default().
	Logger *slog.Logger
	// ServerLogLevel filters the Temporal server's own logs; default Warn.
	ServerLogLevel *slog.Level
}

// Stack is a running dev stack.
type Stack struct {
	opts     Options
	temporal *temporalServer
	ui       *uiserver.Server
	uiDone   chan error
	graph    *graphServer
}

// Start checks every port, then starts the Temporal server and the UI, waits until the
// frontend answers and registers the search attributes.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.FrontendAddr == "" {
		o.FrontendAddr = DefaultFrontendAddr
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	level := slog.LevelWarn
	if o.ServerLogLevel != nil {
		level = *o.ServerLogLevel
	}
	if err := checkFree(o.FrontendAddr, "Temporal frontend"); err != nil {
		return nil, err
	}
	if o.UIAddr != "" {
		if err := checkFree(o.UIAddr, "Temporal UI"); err != nil {
			return nil, err
		}
	}
	if o.GraphAddr != "" {
		if err := checkFree(o.GraphAddr, "Graph simulator"); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(o.OtherAddrs) {
		if err := checkFree(o.OtherAddrs[name], name); err != nil {
			return nil, err
		}
	}
	dbFile := ""
	if o.DataDir != "" {
		dbFile = filepath.Join(o.DataDir, DatabaseFileName)
	}
	ts, err := startTemporal(o.FrontendAddr, dbFile, o.Namespace, o.SearchAttributes, o.Logger, level)
	if err != nil {
		return nil, err
	}
	s := &Stack{opts: o, temporal: ts}
	if err := s.waitAndRegister(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	// The simulator starts before the UI, so that a client that sees the UI answer finds
	// every other part answering too.
	if o.GraphAddr != "" {
		g, err := startGraph(o.GraphAddr, o.GraphSeed, graphStore{database: o.GraphDatabase, importFile: o.GraphImportFile}, o.GraphLag, o.Logger)
		if err != nil {
			s.Stop()
			return nil, err
		}
		s.graph = g
		if err := WaitHTTP(ctx, "http://"+o.GraphAddr+"/_sim/stats", 30*time.Second); err != nil {
			s.Stop()
			return nil, fmt.Errorf("Graph simulator on %s: %w", o.GraphAddr, err)
		}
	}
	if o.UIAddr != "" {
		if err := s.startUI(ctx); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// WaitHTTP polls url with GET until it answers 200 OK, ctx ends or within has passed. The
// error names the last failure (connection refused, a status).
func WaitHTTP(ctx context.Context, url string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("GET %s did not answer 200 within %s: %w", url, within, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Stack) waitAndRegister(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	var c client.Client
	var err error
	for {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err = client.DialContext(dctx, client.Options{
			HostPort:  s.opts.FrontendAddr,
			Namespace: s.opts.Namespace,
			Logger:    quietSDKLogger{},
		})
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("Temporal frontend %s did not become ready: %w", s.opts.FrontendAddr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	defer c.Close()
	if len(s.opts.SearchAttributes) == 0 {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := RegisterSearchAttributes(rctx, c.OperatorService(), s.opts.Namespace, s.opts.SearchAttributes); err != nil {
		return err
	}
	return WaitSearchAttributes(rctx, c.WorkflowService(), s.opts.Namespace, s.opts.SearchAttributes)
}

func (s *Stack) startUI(ctx context.Context) error {
	host, portStr, err := net.SplitHostPort(s.opts.UIAddr)
	if err != nil {
		return fmt.Errorf("UI address %q: %w", s.opts.UIAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("UI address %q: bad port", s.opts.UIAddr)
	}
	cfg := &uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: s.opts.FrontendAddr,
		EnableUI:            true,
		DefaultNamespace:    s.opts.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}
	if s.opts.CodecEndpoint != "" {
		cfg.Codec = uiconfig.Codec{Endpoint: s.opts.CodecEndpoint}
	}
	// NewServer panics on a configuration it dislikes; turn that into an error.
	var ui *uiserver.Server
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("Temporal UI configuration: %v", r)
			}
		}()
		ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(cfg))
	}()
	if err != nil {
		return err
	}
	s.ui = ui
	s.uiDone = make(chan error, 1)
	go func() { s.uiDone <- ui.Start() }()
	// Wait until it answers, or report why it stopped.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan error, 1)
	go func() {
		select {
		case err := <-s.uiDone:
			stopped <- err
			cancel()
		case <-wctx.Done():
		}
	}()
	err = WaitHTTP(wctx, "http://"+s.opts.UIAddr+"/", 30*time.Second)
	select {
	case serr := <-stopped:
		s.ui = nil
		return fmt.Errorf("Temporal UI on %s stopped: %w", s.opts.UIAddr, serr)
	default:
	}
	if err != nil {
		return fmt.Errorf("Temporal UI on %s: %w", s.opts.UIAddr, err)
	}
	return nil
}

// FrontendAddr is the Temporal gRPC address clients dial.
func (s *Stack) FrontendAddr() string { return s.opts.FrontendAddr }

// Namespace is the namespace the stack created.
func (s *Stack) Namespace() string { return s.opts.Namespace }

// UIURL is the Web UI's address, or "" when no UI runs.
func (s *Stack) UIURL() string {
	if s.opts.UIAddr == "" {
		return ""
	}
	return "http://" + s.opts.UIAddr
}

// Graph is the running Graph simulator, or nil when none was asked for.
func (s *Stack) Graph() *graphsim.Sim {
	if s.graph == nil {
		return nil
	}
	return s.graph.sim
}

// GraphBaseURL is the simulator's Graph v1.0 base URL, or "" when none runs.
func (s *Stack) GraphBaseURL() string {
	if s.opts.GraphAddr == "" {
		return ""
	}
	return "http://" + s.opts.GraphAddr + "/v1.0"
}

// Stop stops the UI and the server. It is safe to call more than once.
func (s *Stack) Stop() {
	if s.graph != nil {
		if err := s.graph.stop(); err != nil {
			s.opts.Logger.Error("Graph simulator stop", "error", err)
		}
		s.graph = nil
	}
	if s.ui != nil {
		s.ui.Stop()
		s.ui = nil
	}
	if s.temporal != nil {
		if err := s.temporal.stop(); err != nil && !errors.Is(err, context.Canceled) {
			s.opts.Logger.Warn("Temporal server stop", "error", err)
		}
		s.temporal = nil
	}
}
