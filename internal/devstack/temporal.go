package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
)

const clusterName = "active"

// temporalServer is the embedded Temporal server: all four services in this process on
// SQLite, bound to loopback.
type temporalServer struct {
	server temporal.Server
}

// startTemporal starts the embedded server. dbFile empty means an in-memory database.
func startTemporal(frontend string, dbFile, namespace string, attrs []SearchAttribute, logger *slog.Logger, level slog.Level) (*temporalServer, error) {
	host, portStr, err := net.SplitHostPort(frontend)
	if err != nil {
		return nil, fmt.Errorf("frontend address %q: %w", frontend, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("frontend address %q: bad port", frontend)
	}
	// The three internal services and the frontend's HTTP API get free loopback ports.
	ports, err := freePorts(host, 4)
	if err != nil {
		return nil, err
	}
	sqlConf, err := sqliteConfig(dbFile, namespace, attrs)
	if err != nil {
		return nil, err
	}
	conf := serverConfig(frontend, host, port, ports, sqlConf)

	local := func(p int) static.Hosts { return static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(p))) }
	// The dev server's settings (temporalio/cli internal/devserver), with a mutable state cache
	// of 16,384 instead of 8,096: every employee has a long-lived entity workflow, and an
	// organisation of 10,000 whose entities do not all fit reloads them from SQLite on every
	// task. One partition per task queue: a single worker process polls them all, and tasks
	// forwarded between partitions only add hops.
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 16384,
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():           1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key():          1,
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: local(port),
			primitives.HistoryService:  local(ports[0]),
			primitives.MatchingService: local(ports[1]),
			primitives.WorkerService:   local(ports[2]),
		}),
		temporal.WithLogger(newServerLogger(logger, level)),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return nil, fmt.Errorf("build Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start Temporal server: %w", err)
	}
	return &temporalServer{server: srv}, nil
}

// serverConfig is the single-host, SQLite-backed server configuration: the
// frontend on host:port, the other services and the frontend's HTTP API on
// ports[0..3].
func serverConfig(frontend, host string, port int, ports []int, sqlConf *config.SQL) *config.Config {
	svc := func(p int, httpPort int) config.Service {
		var s config.Service
		s.RPC.GRPCPort = p
		s.RPC.BindOnIP = host
		s.RPC.HTTPPort = httpPort
		return s
	}
	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30_000_000_000 // 30 s
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence.DefaultStore = "sqlite-default"
	conf.Persistence.VisibilityStore = "sqlite-default"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite-default": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            net.JoinHostPort(host, strconv.Itoa(ports[3])),
				ClusterID:              "lifecycle-dev",
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		"frontend": svc(port, ports[3]),
		"history":  svc(ports[0], 0),
		"matching": svc(ports[1], 0),
		"worker":   svc(ports[2], 0),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return conf
}

func (t *temporalServer) stop() error { return t.server.Stop() }

// sqliteConfig returns the SQLite persistence settings, creating the schema only when the
// database file is new, and making sure the namespace exists.
// A new namespace gets the search attributes right away; for an existing one they are added
// through the OperatorService once the server runs (RegisterSearchAttributes).
func sqliteConfig(dbFile, namespace string, attrs []SearchAttribute) (*config.SQL, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if dbFile == "" {
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		conf.DatabaseName = "lifecycle-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(nextMemID(), 10)
	} else {
		conf.ConnectAttributes = fileConnectAttributes()
		conf.DatabaseName = dbFile
	}
	// In memory mode the SQLite plugin creates the schema itself.
	isNew := false
	if dbFile != "" {
		if _, err := os.Stat(dbFile); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(dbFile), 0o700); err != nil {
				return nil, fmt.Errorf("state directory: %w", err)
			}
			isNew = true
		} else if err != nil {
			return nil, fmt.Errorf("database file %s: %w", dbFile, err)
		}
	}
	if isNew {
		if err := sqliteschema.SetupSchema(conf); err != nil {
			return nil, fmt.Errorf("create Temporal schema in %s: %w", dbFile, err)
		}
	}
	sas := make(map[string]enumspb.IndexedValueType, len(attrs))
	for _, a := range attrs {
		sas[a.Name] = a.Type
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, sas)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	return conf, nil
}

// fileConnectAttributes are the connection settings of the on-disk database. Temporal's
// SQLite plugin passes every key that is not a URI parameter (mode, cache, ...) to the
// driver as "_pragma=<key>=<value>", so the keys are plain pragma names, as the Temporal
// CLI's --sqlite-pragma takes them (go.temporal.io/server common/persistence/sql/sqlplugin/
// sqlite/plugin.go, buildDSNAttr; temporalio/cli internal/devserver/server.go). A key with a
// leading underscore becomes "PRAGMA _journal_mode=...", which SQLite ignores silently.
//
// WAL lets readers run beside the one writer and writes each change once to the log instead
// of a rollback journal plus the page; synchronous=normal skips the fsync on every commit in
// WAL mode (a power loss may lose the last commits, never corrupts the file:
// https://www.sqlite.org/pragma.html#pragma_synchronous); busy_timeout waits for a lock
// instead of failing at once.
func fileConnectAttributes() map[string]string {
	return map[string]string{
		"mode":         "rwc",
		"journal_mode": "wal",
		"synchronous":  "normal",
		"busy_timeout": "10000",
	}
}

// SearchAttribute is a custom search attribute to register: name and indexed type.
type SearchAttribute struct {
	Name string
	Type enumspb.IndexedValueType
}

// operatorClient is the part of Temporal's OperatorService that registration needs.
type operatorClient interface {
	ListSearchAttributes(ctx context.Context, in *operatorservice.ListSearchAttributesRequest, opts ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error)
	AddSearchAttributes(ctx context.Context, in *operatorservice.AddSearchAttributesRequest, opts ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error)
}

// RegisterSearchAttributes adds the attributes the namespace lacks. It works on a fresh
// database and on one that already holds some or all of them; a name registered with a
// different type is an error naming it.
func RegisterSearchAttributes(ctx context.Context, op operatorClient, namespace string, attrs []SearchAttribute) error {
	resp, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, a := range attrs {
		if have, ok := resp.GetCustomAttributes()[a.Name]; ok {
			if have != a.Type {
				return fmt.Errorf("search attribute %s exists with type %s, want %s", a.Name, have, a.Type)
			}
			continue
		}
		missing[a.Name] = a.Type
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("register search attributes in %s: %w", namespace, err)
	}
	return nil
}

// visibilityClient is the part of the WorkflowService the readiness probe needs.
type visibilityClient interface {
	ListWorkflowExecutions(ctx context.Context, in *workflowservice.ListWorkflowExecutionsRequest, opts ...grpc.CallOption) (*workflowservice.ListWorkflowExecutionsResponse, error)
}

// WaitSearchAttributes waits until the frontend accepts queries on every attribute: a newly
// added attribute is usable only after the server's namespace cache refreshes.
func WaitSearchAttributes(ctx context.Context, wf visibilityClient, namespace string, attrs []SearchAttribute) error {
	var clauses []string
	for _, a := range attrs {
		switch a.Type {
		case enumspb.INDEXED_VALUE_TYPE_DATETIME:
			clauses = append(clauses, a.Name+" > '2000-01-01T00:00:00Z'")
		case enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_DOUBLE:
			clauses = append(clauses, a.Name+" > 0")
		case enumspb.INDEXED_VALUE_TYPE_BOOL:
			clauses = append(clauses, a.Name+" = true")
		default:
			clauses = append(clauses, a.Name+" = 'probe'")
		}
	}
	if len(clauses) == 0 {
		return nil
	}
	query := strings.Join(clauses, " AND ")
	for {
		_, err := wf.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, PageSize: 1, Query: query})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes not usable in %s: %w", namespace, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
