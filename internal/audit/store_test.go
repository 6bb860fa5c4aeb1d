package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testDSNVar names a PostgreSQL database the store tests also run against.
const testDSNVar = "LIFECYCLE_AUDIT_TEST_DSN"

// eachStore runs fn against a fresh SQLite store and, when LIFECYCLE_AUDIT_TEST_DSN is set,
// against a fresh schema in that PostgreSQL database.
func eachStore(t *testing.T, fn func(t *testing.T, s *SQLStore)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s := openTestPostgres(t)
		fn(t, s)
	})
}

// openTestPostgres opens a store in a schema of its own, dropped when the test ends.
func openTestPostgres(t *testing.T) *SQLStore {
	t.Helper()
	dsn := os.Getenv(testDSNVar)
	if dsn == "" {
		t.Skip(testDSNVar + " is not set: the PostgreSQL variant is skipped (.ci/run starts a local server and sets it)")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	schema := fmt.Sprintf("audit_test_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", testDSNVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := OpenPostgres(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func rec(at, emp, obj string, a Action, kind, id, name, reason string) Record {
	return Record{At: day(at), EmployeeID: emp, ObjectID: obj, Action: a, Target: Target{Kind: kind, ID: id, Name: name},
		Reason: reason, WorkflowID: "employee/" + emp + "/hire/1", RunID: "run-" + emp, ActivityID: at}
}

func TestMigrationsAreVersionedAndRepeatable(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		ms, err := Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 || ms[0].Version != 1 {
			t.Fatalf("%s: migrations %+v", d, ms)
		}
	}
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ms, _ := Migrations(s.Dialect())
		if v != ms[len(ms)-1].Version {
			t.Fatalf("schema version %d, want %d", v, ms[len(ms)-1].Version)
		}
		// Migrating again (a restart) applies nothing and fails nothing.
		if err := s.migrate(ctx); err != nil {
			t.Fatalf("second migration: %v", err)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) {
			t.Fatalf("%d migrations recorded, want %d", n, len(ms))
		}
	})
}

func TestRecordIsIdempotentAndAppendOnly(t *testing.T) {
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		var observed []Action
		s.observe = func(r Record) { observed = append(observed, r.Action) }
		r := rec("2026-10-01T09:00:00Z", "1001", "obj-1", GroupAdded, KindGroup, "g-1", "All Staff", "role:Everyone")
		n, err := s.Record(ctx, r, r)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("stored %d of a record given twice, want 1", n)
		}
		// A retry: same workflow, run, activity, account, action and target, a later attempt.
		retry := r
		retry.Attempt, retry.At = 2, day("2026-10-01T09:05:00Z")
		if n, err := s.Record(ctx, retry); err != nil || n != 0 {
			t.Fatalf("retry stored %d (%v), want 0", n, err)
		}
		// Outside an activity nothing identifies a retry: both are kept.
		adhoc := Record{Action: AccountEnabled, ObjectID: "obj-1"}
		if _, err := s.Record(ctx, adhoc, adhoc); err != nil {
			t.Fatal(err)
		}
		all, err := s.Query(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Fatalf("%d records, want 3: %+v", len(all), all)
		}
		if len(observed) != 3 || observed[0] != GroupAdded || observed[2] != AccountEnabled {
			t.Errorf("observed %v, want the 3 stored records", observed)
		}
		if !all[0].At.Equal(r.At) || all[0].Target != r.Target || all[0].Reason != r.Reason || all[0].Attempt != 0 {
			t.Errorf("first record came back as %+v", all[0])
		}
		if _, err := s.db.ExecContext(ctx, "UPDATE audit_records SET reason = 'tampered'"); err == nil {
			t.Error("an UPDATE of audit records succeeded; the table must be append-only")
		}
		if _, err := s.Record(ctx, Record{}); err == nil {
			t.Error("a record without an action was accepted")
		}
	})
}

func TestQueryFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		recs := []Record{
			rec("2026-09-30T08:00:00Z", "1001", "obj-1", AccountCreated, "", "", "", "hire"),
			rec("2026-10-01T08:00:00Z", "1001", "obj-1", GroupAdded, KindGroup, "g-1", "All Staff", "role:Everyone"),
			rec("2026-10-02T08:00:00Z", "1002", "obj-2", GroupAdded, KindGroup, "g-1", "All Staff", "role:Everyone"),
			rec("2026-10-03T08:00:00Z", "1002", "obj-2", LicenseAssigned, KindLicense, "sku-1", "SPE_E3", "role:Sales"),
		}
		recs[0].Changes = []Change{{Field: "department", After: "Sales"}, {Field: "jobTitle", Before: "Junior", After: "Senior", BeforeKnown: true}}
		if _, err := s.Record(ctx, recs...); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			f    Filter
			want []string // employee/action of the records, in order
		}{
			{"employee", Filter{EmployeeID: "1001"}, []string{"1001/account.created", "1001/group.added"}},
			{"object", Filter{ObjectID: "obj-2"}, []string{"1002/group.added", "1002/license.assigned"}},
			{"period", Filter{Since: day("2026-10-01T00:00:00Z"), Until: day("2026-10-03T00:00:00Z")}, []string{"1001/group.added", "1002/group.added"}},
			{"action", Filter{Actions: []Action{LicenseAssigned, AccountCreated}}, []string{"1001/account.created", "1002/license.assigned"}},
			{"target name any case", Filter{TargetKind: KindGroup, TargetName: "all staff"}, []string{"1001/group.added", "1002/group.added"}},
			{"target id", Filter{TargetKind: KindLicense, TargetID: "sku-1"}, []string{"1002/license.assigned"}},
			{"limit", Filter{Limit: 1}, []string{"1001/account.created"}},
			{"nothing", Filter{EmployeeID: "9999"}, nil},
		}
		for _, tc := range cases {
			got, err := s.Query(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.EmployeeID+"/"+string(r.Action))
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s: got %v, want %v", tc.name, ids, tc.want)
			}
		}
		got, _ := s.Query(ctx, Filter{Actions: []Action{AccountCreated}})
		if len(got) != 1 || len(got[0].Changes) != 2 || got[0].Changes[1] != recs[0].Changes[1] {
			t.Errorf("changes did not survive the round trip: %+v", got)
		}
	})
}

func TestHoldersAtADate(t *testing.T) {
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		recs := []Record{
			rec("2026-09-01T08:00:00Z", "1001", "obj-1", GroupAdded, KindGroup, "g-1", "All Staff", "role:Everyone"),
			// A record that knows the group only by id (its name was not resolved).
			rec("2026-09-02T08:00:00Z", "1002", "obj-2", GroupAdded, KindGroup, "g-1", "", "reconcile repair"),
			rec("2026-09-15T08:00:00Z", "1001", "obj-1", GroupRemoved, KindGroup, "g-1", "All Staff", "exit"),
			rec("2026-10-05T08:00:00Z", "1001", "obj-1", GroupAdded, KindGroup, "g-1", "All Staff", "rehire"),
			rec("2026-10-06T08:00:00Z", "1001", "obj-1", GroupAdded, KindGroup, "g-1", "All Staff", "role:Sales"),
			rec("2026-09-03T08:00:00Z", "1003", "obj-3", GroupAdded, KindGroup, "g-2", "Sales", "role:Sales"),
		}
		if _, err := s.Record(ctx, recs...); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			at   string
			want string // objectId@since/reason, comma separated
		}{
			{"2026-08-31T00:00:00Z", ""},
			{"2026-09-10T00:00:00Z", "obj-1@2026-09-01/role:Everyone,obj-2@2026-09-02/reconcile repair"},
			{"2026-10-01T00:00:00Z", "obj-2@2026-09-02/reconcile repair"},
			{"2026-10-07T00:00:00Z", "obj-1@2026-10-05/rehire,obj-2@2026-09-02/reconcile repair"},
		}
		for _, tc := range cases {
			hs, err := s.Holders(ctx, KindGroup, "all staff", day(tc.at))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hs {
				got = append(got, h.ObjectID+"@"+h.Since.Format("2006-01-02")+"/"+h.Reason)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("at %s: got %v, want %s", tc.at, got, tc.want)
			}
		}
		if _, err := s.Holders(ctx, "printer", "x", time.Time{}); err == nil {
			t.Error("an unknown kind was accepted")
		}
	})
}

func TestPruneRemovesOnlyOlderRecords(t *testing.T) {
	eachStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		if _, err := s.Record(ctx,
			rec("2025-01-01T00:00:00Z", "1001", "obj-1", AccountCreated, "", "", "", "hire"),
			rec("2026-01-01T00:00:00Z", "1001", "obj-1", AccountDisabled, "", "", "", "exit"),
		); err != nil {
			t.Fatal(err)
		}
		n, err := s.Prune(ctx, day("2025-06-01T00:00:00Z"))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d (%v), want 1", n, err)
		}
		left, _ := s.Query(ctx, Filter{})
		if len(left) != 1 || left[0].Action != AccountDisabled {
			t.Fatalf("left %+v", left)
		}
		if _, err := s.Prune(ctx, time.Time{}); err == nil {
			t.Error("a prune without cut-off was accepted")
		}
	})
}

func TestOpenPicksTheDialect(t *testing.T) {
	cases := []struct {
		dsn  string
		want bool
	}{
		{"postgres://u@h/db", true},
		{"postgresql://u@h/db?sslmode=disable", true},
		{"host=db dbname=audit user=x", true},
		{".lifecycle/audit.db", false},
		{"sqlite:/var/lib/audit.db", false},
	}
	for _, tc := range cases {
		if got := IsPostgresDSN(tc.dsn); got != tc.want {
			t.Errorf("IsPostgresDSN(%q) = %v", tc.dsn, got)
		}
	}
	if _, err := Open(context.Background(), ""); err != ErrNoStore {
		t.Errorf("empty DSN: %v", err)
	}
	path := filepath.Join(t.TempDir(), "sub", "audit.db")
	s, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Dialect() != SQLite {
		t.Errorf("dialect %s", s.Dialect())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no database file: %v", err)
	}
}

func TestExport(t *testing.T) {
	recs := []Record{{Seq: 7, At: day("2026-10-01T09:00:00Z"), EmployeeID: "1001", ObjectID: "obj-1", Action: AccountUpdated,
		Changes: []Change{{Field: "jobTitle", Before: "A, B", After: "C", BeforeKnown: true}, {Field: "department", After: "Sales"}},
		Reason:  "move", WorkflowID: "employee/1001/move/3"}}
	var b bytes.Buffer
	if err := WriteCSV(&b, recs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rows[1]) != len(CSVHeader) {
		t.Fatalf("rows %v", rows)
	}
	if rows[1][4] != "account.updated" || rows[1][8] != `jobTitle: "A, B" -> "C"; department: ? -> "Sales"` {
		t.Errorf("row %v", rows[1])
	}
	b.Reset()
	if err := WriteJSON(&b, nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty JSON %q (%v)", b.String(), err)
	}
	b.Reset()
	if err := WriteJSON(&b, recs); err != nil {
		t.Fatal(err)
	}
	var back []Record
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back) != 1 || back[0].Changes[0] != recs[0].Changes[0] {
		t.Errorf("JSON round trip %+v (%v)", back, err)
	}
}

func TestNoteTravelsInTheContext(t *testing.T) {
	ctx := WithNote(context.Background(), Note{EmployeeID: "1001", Reason: "hire", Sources: map[string]string{TargetKey(KindGroup, "Sales"): "role:Sales"}})
	n, ok := NoteFrom(ctx)
	if !ok || n.EmployeeID != "1001" || n.Sources["group:Sales"] != "role:Sales" {
		t.Errorf("note %+v %v", n, ok)
	}
	if _, ok := NoteFrom(context.Background()); ok {
		t.Error("a note in an empty context")
	}
}
