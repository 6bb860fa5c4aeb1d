package graphsim

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
)

// store is the durable copy of a tenant in a SQLite database: one JSON row
// per object (user, group, SKU, service principal, app role assignment), one
// row per sent mail and one row of tenant-wide state. A write stores only the
// objects it changed, in one transaction, before its answer is sent.
type store struct {
	db       *sql.DB
	path     string
	mailSeen int // mails already stored
}

const storeSchema = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS mail (n INTEGER PRIMARY KEY, v TEXT NOT NULL);
`

// Stored forms of the tenant's objects. Derived state (indexes, ordering,
// memberOf, direct reports, consumed seats) is rebuilt on load.
type (
	storedMeta struct {
		TenantID  string            `json:"tenantId"`
		Seq       uint64            `json:"seq"`
		Change    uint64            `json:"change"`
		Domains   map[string]string `json:"domains"`
		TAPPolicy tapPolicy         `json:"tapPolicy"`
		Tombs     []storedTomb      `json:"tombs,omitempty"`
	}
	storedTomb struct {
		ID  string `json:"id"`
		Mod uint64 `json:"mod"`
	}
	storedTAP struct {
		ID         string    `json:"id"`
		Pass       string    `json:"pass"`
		Created    time.Time `json:"created"`
		Start      time.Time `json:"start"`
		Lifetime   int       `json:"lifetime"`
		UsableOnce bool      `json:"usableOnce"`
	}
	storedUser struct {
		ID              string            `json:"id"`
		Seq             uint64            `json:"seq"`
		Mod             uint64            `json:"mod"`
		Props           map[string]any    `json:"props"`
		Created         time.Time         `json:"created"`
		Deleted         time.Time         `json:"deleted"`
		PasswordProfile map[string]any    `json:"passwordProfile,omitempty"`
		Proxies         []string          `json:"proxies,omitempty"`
		Licenses        []assignedLicense `json:"licenses,omitempty"`
		ManagerID       string            `json:"managerId,omitempty"`
		TAP             *storedTAP        `json:"tap,omitempty"`
		Revocations     int               `json:"revocations,omitempty"`
		VisibleAt       time.Time         `json:"visibleAt"`
	}
	storedMember struct {
		ID  string `json:"id"`
		Pos uint64 `json:"pos"`
	}
	storedGroup struct {
		ID       string            `json:"id"`
		Seq      uint64            `json:"seq"`
		Created  time.Time         `json:"created"`
		Props    map[string]any    `json:"props"`
		Members  []storedMember    `json:"members,omitempty"`
		Licenses []assignedLicense `json:"licenses,omitempty"`
	}
	storedSKU struct {
		ID      string `json:"id"`
		Part    string `json:"part"`
		Prepaid int    `json:"prepaid"`
		Order   int    `json:"order"`
	}
	storedSP struct {
		ID          string    `json:"id"`
		Seq         uint64    `json:"seq"`
		AppID       string    `json:"appId"`
		DisplayName string    `json:"displayName"`
		Roles       []appRole `json:"roles,omitempty"`
	}
	storedAssignment struct {
		ID        string    `json:"id"`
		Seq       uint64    `json:"seq"`
		Principal string    `json:"principal"`
		Resource  string    `json:"resource"`
		Role      string    `json:"role"`
		Created   time.Time `json:"created"`
	}
)

// PersistTo makes the simulator durable: it opens (or creates) the SQLite
// database at path, replaces the current tenant with the one stored there (or,
// when the database is new, stores the current tenant), and from then on
// stores every acknowledged write before answering it, so a killed process
// loses nothing it acknowledged. Statistics, faults and the Config are not
// stored. Call Close to release the database.
func (s *Sim) PersistTo(path string) error {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(OFF)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("graphsim: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(storeSchema); err != nil {
		db.Close()
		return fmt.Errorf("graphsim: create tables in %s: %w", path, err)
	}
	st := &store{db: db, path: path}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store != nil {
		db.Close()
		return fmt.Errorf("graphsim: already persisting to %s", s.store.path)
	}
	t, found, err := st.load()
	if err != nil {
		db.Close()
		return fmt.Errorf("graphsim: load tenant from %s: %w", path, err)
	}
	if found {
		s.t = t
		st.mailSeen = len(t.mail)
	} else if err := st.saveAll(s.t); err != nil {
		db.Close()
		return fmt.Errorf("graphsim: store tenant in %s: %w", path, err)
	}
	s.t.dirty = map[string]struct{}{}
	s.store = st
	slog.Debug("graphsim: persisting", "path", path, "loaded", found, "users", len(s.t.users))
	return nil
}

// Close stops persisting and closes the database; the tenant stays in memory.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil
	}
	path := s.store.path
	err := s.store.db.Close()
	s.store = nil
	s.t.dirty = nil
	if err != nil {
		return fmt.Errorf("graphsim: close %s: %w", path, err)
	}
	return nil
}

// persist stores what a write changed before its answer is sent; a failure
// turns the answer into a 500 so nothing unsaved is acknowledged. The caller
// holds the write lock.
func (s *Sim) persist(c *call, resp *response) *response {
	if s.store == nil {
		return resp
	}
	if len(s.t.dirty) == 0 && len(s.t.mail) == s.store.mailSeen && resp.status >= 400 {
		return resp
	}
	if err := s.store.flush(s.t); err != nil {
		slog.Error("graphsim: persisting a write failed", "method", c.method, "path", c.path, "error", err)
		return s.fail(c, http.StatusInternalServerError, "InternalServerError", "The change could not be stored durably.")
	}
	return resp
}

// persistAll stores the whole tenant (after a seed or reset); the caller holds the write lock.
func (s *Sim) persistAll() error {
	if s.store == nil {
		return nil
	}
	if err := s.store.saveAll(s.t); err != nil {
		return fmt.Errorf("graphsim: persist tenant: %w", err)
	}
	s.t.dirty = map[string]struct{}{}
	return nil
}

func (t *tenant) storedMeta() storedMeta {
	m := storedMeta{TenantID: t.tenantID, Seq: t.seq, Change: t.change, Domains: t.domains, TAPPolicy: t.tapPolicy}
	for _, tb := range t.tombs {
		m.Tombs = append(m.Tombs, storedTomb{ID: tb.id, Mod: tb.mod})
	}
	return m
}

func storeUser(u *user) storedUser {
	x := storedUser{ID: u.id, Seq: u.seq, Mod: u.mod, Props: u.props, Created: u.created, Deleted: u.deleted,
		PasswordProfile: u.passwordProfile, Proxies: u.proxies, Licenses: u.licenses, ManagerID: u.managerID,
		Revocations: u.revocations, VisibleAt: u.visibleAt}
	if p := u.tap; p != nil {
		x.TAP = &storedTAP{ID: p.id, Pass: p.pass, Created: p.created, Start: p.start, Lifetime: p.lifetime, UsableOnce: p.usableOnce}
	}
	return x
}

func storeGroup(g *group) storedGroup {
	x := storedGroup{ID: g.id, Seq: g.seq, Created: g.created, Props: g.props, Licenses: g.licenses}
	for _, m := range g.members {
		x.Members = append(x.Members, storedMember{ID: m, Pos: g.isMem[m]})
	}
	return x
}

func storeAssignment(a *roleAssignment) storedAssignment {
	return storedAssignment{ID: a.id, Seq: a.seq, Principal: a.principal, Resource: a.resource, Role: a.role, Created: a.created}
}

// execer is what a *sql.Tx offers.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func putRow(ctx context.Context, x execer, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	if _, err := x.ExecContext(ctx, `INSERT INTO objects (kind, id, v) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET v = excluded.v`, kind, id, string(b)); err != nil {
		return fmt.Errorf("store %s %s: %w", kind, id, err)
	}
	return nil
}

func putMeta(ctx context.Context, x execer, t *tenant) error {
	b, err := json.Marshal(t.storedMeta())
	if err != nil {
		return fmt.Errorf("encode tenant state: %w", err)
	}
	if _, err := x.ExecContext(ctx, `INSERT INTO meta (k, v) VALUES ('tenant', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, string(b)); err != nil {
		return fmt.Errorf("store tenant state: %w", err)
	}
	return nil
}

func (st *store) putMail(ctx context.Context, x execer, t *tenant, from int) error {
	for i := from; i < len(t.mail); i++ {
		b, err := json.Marshal(t.mail[i])
		if err != nil {
			return fmt.Errorf("encode mail %d: %w", i, err)
		}
		if _, err := x.ExecContext(ctx, `INSERT OR REPLACE INTO mail (n, v) VALUES (?, ?)`, i, string(b)); err != nil {
			return fmt.Errorf("store mail %d: %w", i, err)
		}
	}
	return nil
}

// flush stores the dirty objects, new mail and the tenant-wide state in one
// transaction.
func (st *store) flush(t *tenant) error {
	if err := st.inTx(func(ctx context.Context, tx *sql.Tx) error { return st.putDirty(ctx, tx, t) }); err != nil {
		return err
	}
	st.mailSeen = len(t.mail)
	clear(t.dirty)
	return nil
}

// inTx runs fn in one transaction, committed when fn succeeds and rolled
// back otherwise.
func (st *store) inTx(fn func(ctx context.Context, tx *sql.Tx) error) error {
	ctx := context.Background()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// putDirty writes the dirty objects, new mail and the tenant-wide state.
func (st *store) putDirty(ctx context.Context, tx *sql.Tx, t *tenant) (err error) {
	keys := make([]string, 0, len(t.dirty))
	for k := range t.dirty {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind, id, _ := strings.Cut(k, ":")
		var v any
		switch kind {
		case "u":
			if u := t.users[id]; u != nil {
				v = storeUser(u)
			}
			kind = "user"
		case "g":
			if g := t.groups[id]; g != nil {
				v = storeGroup(g)
			}
			kind = "group"
		case "a":
			if a := t.assignments[id]; a != nil {
				v = storeAssignment(a)
			}
			kind = "assignment"
		}
		if v == nil {
			if _, err = tx.ExecContext(ctx, `DELETE FROM objects WHERE kind = ? AND id = ?`, kind, id); err != nil {
				return fmt.Errorf("delete %s %s: %w", kind, id, err)
			}
			continue
		}
		if err = putRow(ctx, tx, kind, id, v); err != nil {
			return err
		}
	}
	if err = putMeta(ctx, tx, t); err != nil {
		return err
	}
	return st.putMail(ctx, tx, t, st.mailSeen)
}

// saveAll replaces the stored tenant with t.
func (st *store) saveAll(t *tenant) error {
	if err := st.inTx(func(ctx context.Context, tx *sql.Tx) error { return st.putAll(ctx, tx, t) }); err != nil {
		return err
	}
	st.mailSeen = len(t.mail)
	if t.dirty != nil {
		clear(t.dirty)
	}
	return nil
}

// putAll writes every object of t, after clearing what was stored.
func (st *store) putAll(ctx context.Context, tx *sql.Tx, t *tenant) (err error) {
	for _, q := range []string{`DELETE FROM objects`, `DELETE FROM mail`, `DELETE FROM meta`} {
		if _, err = tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
	}
	for _, u := range t.users {
		if err = putRow(ctx, tx, "user", u.id, storeUser(u)); err != nil {
			return err
		}
	}
	for _, g := range t.groupOrder {
		if err = putRow(ctx, tx, "group", g.id, storeGroup(g)); err != nil {
			return err
		}
	}
	for i, k := range t.skuOrder {
		if err = putRow(ctx, tx, "sku", k.id, storedSKU{ID: k.id, Part: k.part, Prepaid: k.prepaid, Order: i}); err != nil {
			return err
		}
	}
	for _, sp := range t.spOrder {
		if err = putRow(ctx, tx, "sp", sp.id, storedSP{ID: sp.id, Seq: sp.seq, AppID: sp.appID, DisplayName: sp.displayName, Roles: sp.roles}); err != nil {
			return err
		}
	}
	for _, a := range t.assignments {
		if err = putRow(ctx, tx, "assignment", a.id, storeAssignment(a)); err != nil {
			return err
		}
	}
	if err = putMeta(ctx, tx, t); err != nil {
		return err
	}
	return st.putMail(ctx, tx, t, 0)
}

// load reads the stored tenant; found is false when the database is empty.
func (st *store) load() (t *tenant, found bool, err error) {
	t, found, err = st.loadMeta()
	if err != nil || !found {
		return nil, found, err
	}
	if err := st.loadObjects(t); err != nil {
		return nil, false, err
	}
	t.rebuildIndexes()
	if err := st.loadMail(t); err != nil {
		return nil, false, err
	}
	return t, true, nil
}

// loadMeta reads the tenant's meta row into a new tenant; found is false
// when the database is empty.
func (st *store) loadMeta() (t *tenant, found bool, err error) {
	var metaJSON string
	switch err := st.db.QueryRow(`SELECT v FROM meta WHERE k = 'tenant'`).Scan(&metaJSON); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read tenant state: %w", err)
	}
	var meta storedMeta
	if err := json.Unmarshal([]byte(metaJSON), &meta); err != nil {
		return nil, false, fmt.Errorf("decode tenant state: %w", err)
	}
	t = newTenant()
	t.tenantID, t.seq, t.change, t.tapPolicy = meta.TenantID, meta.Seq, meta.Change, meta.TAPPolicy
	if meta.Domains != nil {
		t.domains = meta.Domains
	}
	for _, tb := range meta.Tombs {
		t.tombs = append(t.tombs, tombstone{id: tb.ID, mod: tb.Mod})
	}
	return t, true, nil
}

// loadObjects reads the stored objects into t, SKUs in their stored order.
func (st *store) loadObjects(t *tenant) error {
	rows, err := st.db.Query(`SELECT kind, id, v FROM objects`)
	if err != nil {
		return fmt.Errorf("read objects: %w", err)
	}
	defer rows.Close()
	var skus []storedSKU
	for rows.Next() {
		var kind, id, v string
		if err := rows.Scan(&kind, &id, &v); err != nil {
			return fmt.Errorf("read object: %w", err)
		}
		if err := t.loadObject(kind, []byte(v), &skus); err != nil {
			return fmt.Errorf("decode %s %s: %w", kind, id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read objects: %w", err)
	}
	sort.Slice(skus, func(i, j int) bool { return skus[i].Order < skus[j].Order })
	for _, k := range skus {
		x := &sku{id: k.ID, part: k.Part, prepaid: k.Prepaid}
		t.skus[k.ID] = x
		t.skuOrder = append(t.skuOrder, x)
	}
	return nil
}

// rebuildIndexes derives what is not stored: object orders, group
// memberships by member, direct reports, user indexes and counts.
func (t *tenant) rebuildIndexes() {
	sort.Slice(t.spOrder, func(i, j int) bool { return t.spOrder[i].seq < t.spOrder[j].seq })
	sort.Slice(t.groupOrder, func(i, j int) bool { return t.groupOrder[i].seq < t.groupOrder[j].seq })
	for _, g := range t.groupOrder {
		for _, m := range g.members {
			set := t.memberOf[m]
			if set == nil {
				set = map[string]struct{}{}
				t.memberOf[m] = set
			}
			set[g.id] = struct{}{}
		}
	}
	for _, u := range t.users {
		if u.deleted.IsZero() {
			t.order = append(t.order, u)
			t.indexUser(u)
		} else {
			t.deletedOr = append(t.deletedOr, u)
		}
		if u.managerID != "" {
			set := t.reports[u.managerID]
			if set == nil {
				set = map[string]struct{}{}
				t.reports[u.managerID] = set
			}
			set[u.id] = struct{}{}
		}
	}
	sort.Slice(t.order, func(i, j int) bool { return t.order[i].seq < t.order[j].seq })
	sort.Slice(t.deletedOr, func(i, j int) bool {
		a, b := t.deletedOr[i], t.deletedOr[j]
		if !a.deleted.Equal(b.deleted) {
			return a.deleted.Before(b.deleted)
		}
		return a.seq < b.seq
	})
	for _, u := range t.order {
		t.recount(u)
	}
}

// loadMail reads the sent mail, oldest first.
func (st *store) loadMail(t *tenant) error {
	mrows, err := st.db.Query(`SELECT v FROM mail ORDER BY n`)
	if err != nil {
		return fmt.Errorf("read mail: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var v string
		if err := mrows.Scan(&v); err != nil {
			return fmt.Errorf("read mail: %w", err)
		}
		var m Mail
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return fmt.Errorf("decode mail: %w", err)
		}
		t.mail = append(t.mail, m)
	}
	if err := mrows.Err(); err != nil {
		return fmt.Errorf("read mail: %w", err)
	}
	return nil
}

// loadObject decodes one stored object into t (without derived state).
func (t *tenant) loadObject(kind string, v []byte, skus *[]storedSKU) error {
	switch kind {
	case "user":
		var x storedUser
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		u := &user{id: x.ID, seq: x.Seq, mod: x.Mod, props: x.Props, created: x.Created, deleted: x.Deleted,
			passwordProfile: x.PasswordProfile, proxies: x.Proxies, licenses: x.Licenses, managerID: x.ManagerID,
			revocations: x.Revocations, visibleAt: x.VisibleAt}
		if u.props == nil {
			u.props = map[string]any{}
		}
		if p := x.TAP; p != nil {
			u.tap = &tapMethod{id: p.ID, pass: p.Pass, created: p.Created, start: p.Start, lifetime: p.Lifetime, usableOnce: p.UsableOnce}
		}
		t.users[u.id] = u
	case "group":
		var x storedGroup
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		g := &group{id: x.ID, seq: x.Seq, created: x.Created, props: x.Props, isMem: map[string]uint64{}, licenses: x.Licenses}
		if g.props == nil {
			g.props = map[string]any{}
		}
		for _, m := range x.Members {
			g.members = append(g.members, m.ID)
			g.isMem[m.ID] = m.Pos
		}
		t.groups[g.id] = g
		t.groupOrder = append(t.groupOrder, g)
	case "sku":
		var x storedSKU
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		*skus = append(*skus, x)
	case "sp":
		var x storedSP
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		sp := &servicePrincipal{id: x.ID, seq: x.Seq, appID: x.AppID, displayName: x.DisplayName, roles: x.Roles}
		t.sps[sp.id] = sp
		t.spOrder = append(t.spOrder, sp)
	case "assignment":
		var x storedAssignment
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		a := &roleAssignment{id: x.ID, seq: x.Seq, principal: x.Principal, resource: x.Resource, role: x.Role, created: x.Created}
		t.assignments[a.id] = a
		if t.byPrincipal[a.principal] == nil {
			t.byPrincipal[a.principal] = map[string]*roleAssignment{}
		}
		t.byPrincipal[a.principal][a.id] = a
		if t.byResource[a.resource] == nil {
			t.byResource[a.resource] = map[string]*roleAssignment{}
		}
		t.byResource[a.resource][a.id] = a
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	return nil
}
