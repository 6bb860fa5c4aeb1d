package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestAuditStoreChoice(t *testing.T) {
	cases := []struct {
		cfg  Audit
		data string
		want string
		desc string
	}{
		{Audit{DSN: "postgres://u:secret@db/audit", File: "x.db"}, ".lifecycle", "postgres://u:secret@db/audit", "PostgreSQL (LIFECYCLE_AUDIT_DSN)"},
		{Audit{File: "/var/lib/audit.db"}, ".lifecycle", "/var/lib/audit.db", "SQLite /var/lib/audit.db"},
		{Audit{}, ".lifecycle", filepath.Join(".lifecycle", "audit.db"), "SQLite " + filepath.Join(".lifecycle", "audit.db")},
		{Audit{}, "", "", "off"},
	}
	for _, tc := range cases {
		if got := tc.cfg.Store(tc.data); got != tc.want {
			t.Errorf("%+v Store(%q) = %q, want %q", tc.cfg, tc.data, got, tc.want)
		}
		d := tc.cfg.Describe(tc.data)
		if d != tc.desc || strings.Contains(d, "secret") {
			t.Errorf("%+v Describe = %q, want %q", tc.cfg, d, tc.desc)
		}
	}
}

func TestLoadAuditAndMetrics(t *testing.T) {
	cases := []struct {
		env     map[string]string
		wantErr string
	}{
		{map[string]string{}, ""},
		{map[string]string{"LIFECYCLE_AUDIT_RETENTION_DAYS": "-1"}, "LIFECYCLE_AUDIT_RETENTION_DAYS"},
		{map[string]string{"LIFECYCLE_AUDIT_RETENTION_DAYS": "a year"}, "LIFECYCLE_AUDIT_RETENTION_DAYS"},
		{map[string]string{"LIFECYCLE_METRICS_ADDR": "9464"}, "LIFECYCLE_METRICS_ADDR"},
		{map[string]string{"LIFECYCLE_METRICS_ADDR": "off"}, ""},
	}
	for _, tc := range cases {
		for _, v := range []string{"LIFECYCLE_AUDIT_DSN", "LIFECYCLE_AUDIT_FILE", "LIFECYCLE_AUDIT_RETENTION_DAYS", "LIFECYCLE_METRICS_ADDR"} {
			t.Setenv(v, tc.env[v])
		}
		_, errA := LoadAudit()
		m, errM := LoadMetrics()
		err := errA
		if err == nil {
			err = errM
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%v: error %v, want one naming %s", tc.env, err, tc.wantErr)
		}
		if tc.env["LIFECYCLE_METRICS_ADDR"] == "" && errM == nil && m.Addr != "127.0.0.1:9464" {
			t.Errorf("default metrics address %q", m.Addr)
		}
		if tc.env["LIFECYCLE_METRICS_ADDR"] == "off" && !m.Off() {
			t.Error("off is not off")
		}
	}
}
