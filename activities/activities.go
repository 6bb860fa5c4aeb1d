package activities

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// Activities holds the clients every activity needs. Workflows reference its methods
// through a nil *Activities; the worker registers one populated value.
type Activities struct {
	// Identity names this worker in health-check answers (host and process).
	Identity string
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time

	// Directory is Entra ID (the msgraph-sdk-go client in production).
	Directory Directory
	// HR is the configured HR source.
	HR hr.Source
	// Policy returns the current access policy; it is called on every
	// LoadPolicy, so a changed policy file is picked up without a restart.
	Policy func(ctx context.Context) (*policy.Policy, error)
	// Observer receives HR snapshot reads and reconciliation plans for metrics; nil
	// observes nothing.
	Observer Observer
	// Logger receives the activities' own log lines; nil means slog.Default().
	Logger *slog.Logger
	// TemporaryAccessPassLifetime is how long an issued pass stays usable;
	// zero means DefaultTemporaryAccessPassLifetime.
	TemporaryAccessPassLifetime time.Duration
	// ReplicationLagWindow is how long a 404 on an object the engine knows
	// exists is taken for Entra's replication lag and retried; zero means
	// DefaultReplicationLagWindow.
	ReplicationLagWindow time.Duration

	// plans keeps computed reconciliation plans for their later pages.
	plans planCache
}

// DefaultTemporaryAccessPassLifetime is the lifetime of a Temporary Access
// Pass issued on the first working day: the whole day.
const DefaultTemporaryAccessPassLifetime = 8 * time.Hour

// errNotConfigured is returned by activities whose port is missing.
var errNotConfigured = errors.New("not configured on this worker")

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func (a *Activities) dir() (Directory, error) {
	if a.Directory == nil {
		return nil, permanent("directory", "DirectoryNotConfigured", errNotConfigured)
	}
	return a.Directory, nil
}
