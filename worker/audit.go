package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/metrics"
)

// openAudit opens the audit trail (PostgreSQL when LIFECYCLE_AUDIT_DSN is set, else SQLite at
// LIFECYCLE_AUDIT_FILE, else in dev mode <data>/audit.db) and makes every change the
// activities make in Entra ID go through activities.Audited. Without a store it says the
// trail is off (and returns a nil store). Stored records are counted in m. The returned
// function closes the store.
func openAudit(ctx context.Context, f flags, acts *activities.Activities, logger *slog.Logger, m *metrics.Metrics) (*audit.SQLStore, func(), error) {
	cfg, err := config.LoadAudit()
	if err != nil {
		return nil, nil, err
	}
	dataDir := ""
	if f.dev {
		dataDir = f.data
	}
	target := cfg.Store(dataDir)
	if target == "" {
		logger.Warn("audit trail is off: set LIFECYCLE_AUDIT_DSN (PostgreSQL) or LIFECYCLE_AUDIT_FILE (SQLite) to record every change in Entra ID")
		return nil, func() {}, nil
	}
	store, err := audit.Open(ctx, target, audit.WithObserver(m.AuditRecorded))
	if err != nil {
		return nil, nil, fmt.Errorf("audit trail (%s): %w", cfg.Describe(dataDir), err)
	}
	acts.Directory = activities.Audited(acts.Directory, store)
	logger.Info("audit trail on", "store", cfg.Describe(dataDir))
	return store, func() { _ = store.Close() }, nil
}
