package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphbudget"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/file"
	"github.com/entralifecycle/engine/internal/metrics"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/sample"
)

// buildActivities wires the activities' ports: Entra through msgraph-sdk-go (the simulator in
// dev mode) with every write paced by budget, the configured HR source (the bundled sample
// in dev mode unless -hr is given), and the access policy, which is checked against the
// tenant before the worker starts.
func buildActivities(ctx context.Context, cfg config.Worker, f flags, stack *devstack.Stack, identity string, budget *graphbudget.Budget, logger *slog.Logger) (*activities.Activities, error) {
	dcfg := directory.Config{
		BaseURL:             cfg.GraphBaseURL,
		TenantID:            cfg.TenantID,
		ClientID:            cfg.ClientID,
		ClientSecret:        cfg.ClientSecret,
		CertificatePath:     cfg.CertificatePath,
		CertificatePassword: cfg.CertificatePassword,
		FederatedTokenFile:  cfg.FederatedTokenFile,
		ManagedIdentity:     cfg.UseManagedIdentity,
		MailSender:          cfg.MailSender,
	}
	var (
		source     hr.Source
		loadPolicy func(ctx context.Context) (*policy.Policy, error)
		err        error
	)
	if f.dev {
		if !cfg.HasCredentials() {
			// Dev mode talks to the embedded simulator unless real credentials are configured.
			dcfg.BaseURL = stack.GraphBaseURL()
		}
		// A configured HR source or policy file wins over the bundled sample; -hr / -policy win over both.
		if f.hrFile == "" && (cfg.HR.Source != "file" || cfg.HR.File != "") {
			source, err = cfg.HR.Open(cfg.HRConnectors)
		} else {
			source, err = devHRSource(f.hrFile)
		}
		if err != nil {
			return nil, err
		}
		loadPolicy = devPolicy(devPolicyPath(f, cfg))
	} else {
		if cfg.PolicyFile == "" {
			return nil, errors.New("LIFECYCLE_POLICY_FILE: required but not set")
		}
		if source, err = cfg.HR.Open(cfg.HRConnectors); err != nil {
			return nil, err
		}
		path := cfg.PolicyFile
		loadPolicy = func(context.Context) (*policy.Policy, error) { return policy.Load(path) }
	}
	pol, err := loadPolicy(ctx)
	if err != nil {
		return nil, err
	}
	if f.dev && dcfg.MailSender == "" {
		// The dev tenant's notification mailbox (devstack.PolicySeed creates it).
		dcfg.MailSender = devstack.MailSender + "@" + pol.Tenant.Domain
	}
	base := graphTransport
	if base == nil {
		base = pooledTransport()
	}
	// The budget waits outside the metrics transport, so Graph latency is measured without it.
	dir, err := directory.New(ctx, dcfg, directory.WithLogger(logger.With("component", "directory")), directory.WithTransport(budget.Wrap(base)))
	if err != nil {
		return nil, fmt.Errorf("Microsoft Graph client: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := pol.CheckTenant(cctx, catalog{dir}); err != nil {
		return nil, fmt.Errorf("policy %s does not fit the tenant: %w", pol.Source(), err)
	}
	return &activities.Activities{
		Identity:  identity,
		Directory: dir,
		HR:        source,
		Policy:    loadPolicy,
		Logger:    logger.With("component", "activities"),
	}, nil
}

// newGraphBudget is the worker's share of the tenant's Graph write budget
// (LIFECYCLE_GRAPH_WRITES_PER_SECOND, docs/configuration.md): the budget divided by the
// workers polling the task queue, counted through the returned Pollers once its Client is
// set and Budget.Run runs. Dev mode uses the same budget as a real tenant. Its share, pauses
// and waits are exported through m (nil: metrics off).
func newGraphBudget(cfg config.Worker, identity string, m *metrics.Metrics, logger *slog.Logger) (*graphbudget.Budget, *graphbudget.Pollers) {
	pollers := &graphbudget.Pollers{TaskQueue: cfg.TaskQueue, Self: identity}
	budget := graphbudget.New(cfg.GraphWritesPerSecond, pollers, graphbudget.WithLogger(logger.With("component", "graphbudget")))
	m.GraphBudget(budget)
	return budget, pollers
}

// pooledTransport is http.DefaultTransport keeping enough idle connections for the worker's
// concurrent Graph requests: the default keeps 2 per host and dials (with a TLS handshake)
// every other request once more than two are in flight.
func pooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// devHRSource is the -hr file, or the bundled sample with its dates shifted to today on every read.
func devHRSource(path string) (hr.Source, error) {
	if path != "" {
		return file.New(file.Config{Path: path})
	}
	return file.New(file.Config{}, file.WithLoader("bundled sample", func(context.Context) ([]byte, error) {
		return sample.HR(time.Now())
	}))
}

// devPolicyPath is the -policy flag, else LIFECYCLE_POLICY_FILE, else "" (the bundled sample).
func devPolicyPath(f flags, cfg config.Worker) string {
	if f.policy != "" {
		return f.policy
	}
	return cfg.PolicyFile
}

// devPolicy is the -policy file, or the bundled sample policy.
func devPolicy(path string) func(context.Context) (*policy.Policy, error) {
	if path != "" {
		return func(context.Context) (*policy.Policy, error) { return policy.Load(path) }
	}
	return func(context.Context) (*policy.Policy, error) {
		return policy.Parse("sample policy.yaml", sample.Policy())
	}
}

// catalog answers the policy's tenant check through the directory's cached resolvers.
type catalog struct{ dir *directory.Client }

var _ policy.Catalog = catalog{}

func (c catalog) MissingGroups(ctx context.Context, names []string) ([]string, error) {
	_, err := c.dir.ResolveGroups(ctx, names)
	return missingNames(err)
}

func (c catalog) MissingSKUs(ctx context.Context, skus []string) ([]string, error) {
	_, err := c.dir.ResolveSKUs(ctx, skus)
	return missingNames(err)
}

func (c catalog) MissingAppRoles(ctx context.Context, roles []policy.AppRole) ([]policy.AppRole, error) {
	var missing []policy.AppRole
	for _, r := range roles {
		_, err := c.dir.ResolveAppRoles(ctx, []directory.AppRole{{App: r.App, Role: r.Role}})
		names, err := missingNames(err)
		if err != nil {
			return nil, err
		}
		if len(names) > 0 {
			missing = append(missing, r)
		}
	}
	return missing, nil
}

// missingNames extracts the names a resolver did not find; other errors pass through.
func missingNames(err error) ([]string, error) {
	if err == nil {
		return nil, nil
	}
	var un *directory.UnknownNamesError
	if errors.As(err, &un) {
		return un.Names, nil
	}
	return nil, err
}
