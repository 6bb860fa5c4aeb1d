package audit

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

//go:embed migrations
var migrations embed.FS

// Dialect is the SQL database behind a store.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// sqlTimeLayout is how SQLite stores times: fixed-width UTC text, so text order is time order.
const sqlTimeLayout = "2006-01-02T15:04:05.000000Z"

// SQLStore is the Store on database/sql: SQLite through modernc.org/sqlite or PostgreSQL
// through pgx.
type SQLStore struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
	// observe, when set, sees every record stored (not the duplicates ignored).
	observe func(Record)
	// adhoc numbers the records made outside an activity within this process.
	adhoc func() string
}

var (
	_ Store       = (*SQLStore)(nil)
	_ IntentStore = (*SQLStore)(nil)
)

// Option adjusts a store.
type Option func(*SQLStore)

// WithClock sets the clock used for records without a time (tests).
func WithClock(now func() time.Time) Option { return func(s *SQLStore) { s.now = now } }

// WithObserver calls fn with every record stored, after its transaction committed; records
// ignored as duplicates are not passed. Metrics count records with it.
func WithObserver(fn func(Record)) Option { return func(s *SQLStore) { s.observe = fn } }

// IsPostgresDSN reports whether dsn names a PostgreSQL database (a postgres:// or
// postgresql:// URL, or a libpq key=value string with host= or dbname=).
func IsPostgresDSN(dsn string) bool {
	l := strings.ToLower(strings.TrimSpace(dsn))
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://") ||
		strings.Contains(l, "host=") || strings.Contains(l, "dbname=")
}

// Open opens (and migrates) the store a DSN names: PostgreSQL for a postgres:// URL or
// key=value string, else SQLite at the path (a "sqlite:" or "file:" prefix is allowed).
func Open(ctx context.Context, dsn string, opts ...Option) (*SQLStore, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, ErrNoStore
	}
	if IsPostgresDSN(dsn) {
		return OpenPostgres(ctx, dsn, opts...)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	return OpenSQLite(ctx, path, opts...)
}

// OpenSQLite opens the SQLite file at path, creating it and its directory when missing, and
// brings its schema up to date. WAL journaling and a busy timeout let the worker write while
// the command line reads.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*SQLStore, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("audit store %s: %w", path, err)
		}
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("audit store %s: %w", path, err)
	}
	// One connection: SQLite serialises writers anyway, and this avoids busy errors inside
	// the process.
	db.SetMaxOpenConns(1)
	return open(ctx, db, SQLite, "audit store "+path, opts)
}

// OpenPostgres opens the PostgreSQL database dsn names and brings its schema up to date.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*SQLStore, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("audit store (PostgreSQL): %w", err)
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return open(ctx, db, Postgres, "audit store (PostgreSQL)", opts)
}

func open(ctx context.Context, db *sql.DB, d Dialect, what string, opts []Option) (*SQLStore, error) {
	s := &SQLStore{db: db, dialect: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	var n atomic.Int64
	start := time.Now().UnixNano()
	s.adhoc = func() string {
		return "adhoc/" + strconv.FormatInt(start, 36) + "/" + strconv.FormatInt(n.Add(1), 36)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return s, nil
}

// Dialect tells which database the store uses.
func (s *SQLStore) Dialect() Dialect { return s.dialect }

// Close closes the database.
func (s *SQLStore) Close() error { return s.db.Close() }

// Migration is one versioned schema step, from migrations/<dialect>/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists a dialect's migrations in version order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := "migrations/" + string(d)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", d, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must start with a positive version number and _", dir, name)
		}
		body, err := fs.ReadFile(migrations, dir+"/"+name)
		if err != nil {
			return nil, fmt.Errorf("migration %s/%s: %w", dir, name, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(body)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations of %s: version %d twice", d, out[i].Version)
		}
	}
	return out, nil
}

// migrate applies the migrations not yet recorded in audit_schema_migrations, each in its
// own transaction. On PostgreSQL an advisory lock keeps two workers starting at once from
// applying the same step twice; SQLite's immediate transactions do the same.
func (s *SQLStore) migrate(ctx context.Context) error {
	ms, err := Migrations(s.dialect)
	if err != nil {
		return err
	}
	create := `CREATE TABLE IF NOT EXISTS audit_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`
	if _, err := s.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

func (s *SQLStore) apply(ctx context.Context, m Migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if s.dialect == Postgres {
		// 0x61756474 is "audt": one lock id for this schema's migrations.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(1635083380)`); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.bind(`SELECT COUNT(*) FROM audit_schema_migrations WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO audit_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the highest applied migration.
func (s *SQLStore) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM audit_schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("audit schema version: %w", err)
	}
	return int(v.Int64), nil
}

// bind turns ? placeholders into the dialect's.
func (s *SQLStore) bind(q string) string {
	if s.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeArg is a time as the dialect stores it (microsecond precision, UTC).
func (s *SQLStore) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.dialect == Postgres {
		return t
	}
	return t.Format(sqlTimeLayout)
}

// dbTime scans a time stored by either dialect.
type dbTime struct{ t time.Time }

func (d *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		d.t = time.Time{}
	case string:
		if v == "" {
			d.t = time.Time{}
			return nil
		}
		t, err := time.Parse(sqlTimeLayout, v)
		if err != nil {
			return fmt.Errorf("stored time %q: %w", v, err)
		}
		d.t = t
	case time.Time:
		d.t = v.UTC()
	case []byte:
		return d.Scan(string(v))
	default:
		return fmt.Errorf("stored time of type %T", src)
	}
	return nil
}

const insertSQL = `INSERT INTO audit_records (recorded_at, employee_id, object_id, action, target_kind, target_id,
 target_name, changes, reason, workflow_id, run_id, activity_id, attempt, dedup_key, due_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING`

// dueArg is an optional moment as the dialect stores it: NULL (PostgreSQL) or the empty text
// (SQLite) when zero.
func (s *SQLStore) dueArg(t time.Time) any {
	if t.IsZero() {
		if s.dialect == Postgres {
			return nil
		}
		return ""
	}
	return s.timeArg(t)
}

// Record appends the records in one transaction; a record whose key is stored already is
// skipped. A record without a time gets the store's clock; one made outside an activity
// (no workflow id) and without an explicit key gets a key of its own, so it is never
// taken for another.
func (s *SQLStore) Record(ctx context.Context, recs ...Record) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("record audit entries: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PrepareContext(ctx, s.bind(insertSQL))
	if err != nil {
		return 0, fmt.Errorf("record audit entries: %w", err)
	}
	defer stmt.Close()
	stored := 0
	var fresh []Record
	for _, r := range recs {
		if r.Action == "" {
			return 0, errors.New("record audit entries: a record without an action")
		}
		if r.At.IsZero() {
			r.At = s.now()
		}
		if r.Key == "" && r.WorkflowID == "" {
			r.Key = s.adhoc()
		}
		changes, err := changesText(r.Changes)
		if err != nil {
			return 0, fmt.Errorf("record audit entries: %w", err)
		}
		res, err := stmt.ExecContext(ctx, s.timeArg(r.At), r.EmployeeID, r.ObjectID, string(r.Action), r.Target.Kind,
			r.Target.ID, r.Target.Name, changes, r.Reason, r.WorkflowID, r.RunID, r.ActivityID, r.Attempt, r.DedupKey(),
			s.dueArg(r.Due))
		if err != nil {
			return 0, fmt.Errorf("record audit entry %s of %s: %w", r.Action, r.ObjectID, err)
		}
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			stored += int(n)
			fresh = append(fresh, r)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("record audit entries: %w", err)
	}
	if s.observe != nil {
		for _, r := range fresh {
			s.observe(r)
		}
	}
	return stored, nil
}

const selectSQL = `SELECT seq, recorded_at, employee_id, object_id, action, target_kind, target_id, target_name,
 changes, reason, workflow_id, run_id, activity_id, attempt, due_at FROM audit_records`

// changesText is the stored form of a record's changes: JSON, or "" for none.
func changesText(cs []Change) (string, error) {
	if len(cs) == 0 {
		return "", nil
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// where builds the WHERE clause of a filter.
func (s *SQLStore) where(f Filter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, vals ...any) {
		conds = append(conds, cond)
		args = append(args, vals...)
	}
	if f.EmployeeID != "" {
		add("employee_id = ?", f.EmployeeID)
	}
	if f.ObjectID != "" {
		add("object_id = ?", f.ObjectID)
	}
	if len(f.Actions) > 0 {
		ph := make([]string, len(f.Actions))
		vals := make([]any, len(f.Actions))
		for i, a := range f.Actions {
			ph[i], vals[i] = "?", string(a)
		}
		add("action IN ("+strings.Join(ph, ", ")+")", vals...)
	}
	if f.TargetKind != "" {
		add("target_kind = ?", f.TargetKind)
	}
	switch {
	case f.TargetName != "" && f.TargetID != "":
		add("(lower(target_name) = lower(?) OR target_id = ?)", f.TargetName, f.TargetID)
	case f.TargetName != "":
		add("lower(target_name) = lower(?)", f.TargetName)
	case f.TargetID != "":
		add("target_id = ?", f.TargetID)
	}
	if f.WorkflowID != "" {
		add("workflow_id = ?", f.WorkflowID)
	}
	if !f.Since.IsZero() {
		add("recorded_at >= ?", s.timeArg(f.Since))
	}
	if !f.Until.IsZero() {
		add("recorded_at < ?", s.timeArg(f.Until))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Query returns the records the filter selects, oldest first.
func (s *SQLStore) Query(ctx context.Context, f Filter) ([]Record, error) {
	w, args := s.where(f)
	q := selectSQL + w + " ORDER BY recorded_at, seq"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("query audit records: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at, due dbTime
		var action, changes string
		if err := rows.Scan(&r.Seq, &at, &r.EmployeeID, &r.ObjectID, &action, &r.Target.Kind, &r.Target.ID, &r.Target.Name,
			&changes, &r.Reason, &r.WorkflowID, &r.RunID, &r.ActivityID, &r.Attempt, &due); err != nil {
			return nil, fmt.Errorf("read audit record: %w", err)
		}
		r.At, r.Action, r.Due = at.t, Action(action), due.t
		if changes != "" {
			if err := json.Unmarshal([]byte(changes), &r.Changes); err != nil {
				return nil, fmt.Errorf("read audit record %d: changes: %w", r.Seq, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query audit records: %w", err)
	}
	return out, nil
}

// Holders lists the accounts that hold a group, licence or app role at the moment at (now
// when zero): for each, since when and by which grant. It reads the target's grant and
// removal records, matched by name (case-insensitive) or id: a record that carries only the
// id counts when another record ties that id to the name.
func (s *SQLStore) Holders(ctx context.Context, kind, nameOrID string, at time.Time) ([]Holding, error) {
	grants, removes := grantActions(kind)
	if len(grants) == 0 {
		return nil, fmt.Errorf("holders: unknown target kind %q (want group, license or appRole)", kind)
	}
	actions := append(grants, removes...)
	if at.IsZero() {
		at = s.now()
	}
	// The ids recorded under that name, so records with the id alone are found too.
	ids := []string{nameOrID}
	named, err := s.Query(ctx, Filter{TargetKind: kind, TargetName: nameOrID, Actions: actions, Until: at.Add(time.Microsecond)})
	if err != nil {
		return nil, err
	}
	for _, r := range named {
		if r.Target.ID != "" && !slices.Contains(ids, r.Target.ID) {
			ids = append(ids, r.Target.ID)
		}
	}
	var recs []Record
	seen := map[int64]bool{}
	for _, id := range ids {
		f := Filter{TargetKind: kind, TargetID: id, Actions: actions, Until: at.Add(time.Microsecond)}
		if id == nameOrID {
			f.TargetName = nameOrID
		}
		rs, err := s.Query(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if !seen[r.Seq] {
				seen[r.Seq] = true
				recs = append(recs, r)
			}
		}
	}
	return holdersAt(recs, at), nil
}

// grantActions are the actions that grant and remove a target kind.
func grantActions(kind string) (grants, removes []Action) {
	for _, a := range Actions() {
		if k, grant, ok := grantOf(a); ok && k == kind {
			if grant {
				grants = append(grants, a)
			} else {
				removes = append(removes, a)
			}
		}
	}
	return grants, removes
}

// Prune deletes the records made before the moment before: the retention period's end. It
// is the audit trail's only delete, run on purpose (starter audit prune), never implicitly.
func (s *SQLStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	if before.IsZero() {
		return 0, errors.New("prune audit records: no cut-off moment")
	}
	res, err := s.db.ExecContext(ctx, s.bind(`DELETE FROM audit_records WHERE recorded_at < ?`), s.timeArg(before))
	if err != nil {
		return 0, fmt.Errorf("prune audit records: %w", err)
	}
	// Intents of the same age have long been settled: their activity's retries are over.
	if _, err := s.db.ExecContext(ctx, s.bind(`DELETE FROM audit_intents WHERE recorded_at < ?`), s.timeArg(before)); err != nil {
		return 0, fmt.Errorf("prune audit intents: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune audit records: %w", err)
	}
	return n, nil
}
