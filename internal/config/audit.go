package config

import (
	"errors"
	"path/filepath"
	"strings"
)

// Audit holds where the audit trail is kept and for how long (docs/audit.md).
type Audit struct {
	// DSN names a PostgreSQL database (postgres://… or key=value); it wins over File.
	DSN string `envconfig:"LIFECYCLE_AUDIT_DSN"`
	// File is a SQLite database file.
	File string `envconfig:"LIFECYCLE_AUDIT_FILE"`
	// RetentionDays is how long records are kept by `starter audit prune`; 0 keeps them all.
	RetentionDays int `envconfig:"LIFECYCLE_AUDIT_RETENTION_DAYS" default:"0"`
}

// AuditFileName is the SQLite file of the audit trail in a dev data directory.
const AuditFileName = "audit.db"

// LoadAudit reads and validates the audit settings.
func LoadAudit() (Audit, error) {
	var a Audit
	if err := Load(&a); err != nil {
		return a, err
	}
	return a, a.Validate()
}

// Validate checks the audit settings beyond their types.
func (a Audit) Validate() error {
	if a.RetentionDays < 0 {
		return errors.New("LIFECYCLE_AUDIT_RETENTION_DAYS: malformed value, want 0 (keep) or a positive number of days")
	}
	return nil
}

// Store returns the audit store to open: the DSN, else the file, else the file in dataDir
// (dev mode), else "" (no audit trail).
func (a Audit) Store(dataDir string) string {
	switch {
	case strings.TrimSpace(a.DSN) != "":
		return a.DSN
	case a.File != "":
		return a.File
	case dataDir != "":
		return filepath.Join(dataDir, AuditFileName)
	}
	return ""
}

// Describe names the store for logs without printing a DSN (which may hold a password).
func (a Audit) Describe(dataDir string) string {
	if strings.TrimSpace(a.DSN) != "" {
		return "PostgreSQL (LIFECYCLE_AUDIT_DSN)"
	}
	if s := a.Store(dataDir); s != "" {
		return "SQLite " + s
	}
	return "off"
}
