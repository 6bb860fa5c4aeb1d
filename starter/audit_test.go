package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
)

// seedAudit writes a small trail into <dir>/audit.db, as the dev worker would.
func seedAudit(t *testing.T) string {
	t.Helper()
	for _, v := range []string{"LIFECYCLE_AUDIT_DSN", "LIFECYCLE_AUDIT_FILE", "LIFECYCLE_AUDIT_RETENTION_DAYS"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	s, err := audit.OpenSQLite(context.Background(), filepath.Join(dir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := func(v string) time.Time { x, _ := time.Parse(time.RFC3339, v); return x }
	recs := []audit.Record{
		{At: at("2026-09-01T08:00:00Z"), EmployeeID: "1001", ObjectID: "o1", Action: audit.AccountCreated, Reason: "hire", WorkflowID: "employee/1001/hire/1", ActivityID: "5"},
		{At: at("2026-09-01T08:00:01Z"), EmployeeID: "1001", ObjectID: "o1", Action: audit.GroupAdded, Target: audit.Target{Kind: audit.KindGroup, ID: "g1", Name: "All Staff"}, Reason: "hire", WorkflowID: "employee/1001/hire/1", ActivityID: "7"},
		{At: at("2026-09-20T08:00:00Z"), EmployeeID: "1002", ObjectID: "o2", Action: audit.GroupAdded, Target: audit.Target{Kind: audit.KindGroup, ID: "g1", Name: "All Staff"}, Reason: "hire", WorkflowID: "employee/1002/hire/1", ActivityID: "7"},
		{At: at("2026-10-15T17:00:00Z"), EmployeeID: "1001", ObjectID: "o1", Action: audit.GroupRemoved, Target: audit.Target{Kind: audit.KindGroup, ID: "g1", Name: "All Staff"}, Reason: "exit", WorkflowID: "employee/1001/exit/2", ActivityID: "3"},
	}
	if _, err := s.Record(context.Background(), recs...); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runAudit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"audit"}, args...), &out)
	return out.String(), err
}

func TestAuditCommandQueries(t *testing.T) {
	dir := seedAudit(t)
	cases := []struct {
		name string
		args []string
		want []string // substrings, in order
		not  []string
	}{
		{"employee history", []string{"--employee", "1001"}, []string{"account.created", "group.added", "All Staff", "group.removed", "exit"}, []string{"1002"}},
		{"holders at a date", []string{"--group", "all staff", "--at", "2026-10-01"}, []string{"1001", "2026-09-01 08:00:01", "1002", "2026-09-20"}, nil},
		{"holders now", []string{"--group", "All Staff"}, []string{"1002"}, []string{"1001"}},
		{"holders before anyone", []string{"--group", "All Staff", "--at", "2026-08-01"}, []string{"nobody holds it"}, nil},
		{"group history", []string{"--group", "All Staff", "--history"}, []string{"group.added", "group.added", "group.removed"}, []string{"account.created"}},
		{"period", []string{"--since", "2026-09-02", "--until", "2026-09-30"}, []string{"1002"}, []string{"1001"}},
		{"action", []string{"--action", "account.created"}, []string{"account.created"}, []string{"group."}},
	}
	for _, tc := range cases {
		out, err := runAudit(t, append(tc.args, "--data", dir)...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		rest := out
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: %q missing (in order) from\n%s", tc.name, w, out)
				break
			}
			rest = rest[i+len(w):]
		}
		for _, n := range tc.not {
			if strings.Contains(out, n) {
				t.Errorf("%s: %q should not appear in\n%s", tc.name, n, out)
			}
		}
	}
}

func TestAuditCommandExports(t *testing.T) {
	dir := seedAudit(t)
	out, err := runAudit(t, "--employee", "1001", "--json", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 3 || recs[2].Action != audit.GroupRemoved {
		t.Fatalf("JSON %v: %s", err, out)
	}
	out, err = runAudit(t, "--csv", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][0] != "seq" {
		t.Fatalf("CSV %v: %q", err, out)
	}
	out, err = runAudit(t, "--group", "All Staff", "--at", "2026-10-01", "--csv", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][0] != "1001" || rows[1][6] != "hire" {
		t.Fatalf("holders CSV %v: %q", err, out)
	}
}

func TestAuditCommandRefusals(t *testing.T) {
	dir := seedAudit(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--data", t.TempDir()}, "no audit trail at"},
		{[]string{"--json", "--csv", "--data", dir}, "exclude each other"},
		{[]string{"--group", "a", "--license", "b", "--data", dir}, "one of"},
		{[]string{"--app-role", "NoSlash", "--data", dir}, "APP/ROLE"},
		{[]string{"--since", "yesterday", "--data", dir}, "--since"},
		{[]string{"--at", "2026-10-01", "--data", dir}, "--at goes with"},
		{[]string{"prune", "--data", dir}, "retention is 0"},
		{[]string{"stray", "--data", dir}, "unexpected argument"},
	}
	for _, tc := range cases {
		_, err := runAudit(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestAuditCommandPrune(t *testing.T) {
	dir := seedAudit(t)
	// Everything seeded is older than a day from now.
	out, err := runAudit(t, "prune", "--days", "1", "--data", dir)
	if err != nil || !strings.Contains(out, "pruned 4 audit records") {
		t.Fatalf("prune: %v %q", err, out)
	}
	t.Setenv("LIFECYCLE_AUDIT_RETENTION_DAYS", "36500")
	out, err = runAudit(t, "prune", "--data", dir)
	if err != nil || !strings.Contains(out, "pruned 0 audit records") {
		t.Fatalf("prune by retention: %v %q", err, out)
	}
}
