package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/directory"
)

// Audited returns dir with every successful change recorded in store: account created,
// enabled, disabled, deleted or restored, attributes patched (before and after where the
// account was read just before), manager set or cleared, sign-in sessions revoked, group /
// licence / app role granted or removed (one record per target), Temporary Access Pass
// issued (never its value) and mail sent (recipients and subject, never the body). Reads
// pass through untouched.
//
// Each record is written in the activity attempt that made the change, after the change
// succeeded, and carries the activity's workflow id, run id, activity id and attempt; the
// store ignores a record whose workflow, run, activity, account, action and target it holds
// already, so a retried activity does not record twice. A record that cannot be written
// fails the call with a retryable error: the change is repeated on retry (every write of
// the Directory is idempotent) and recorded then, so no change goes unrecorded.
//
// The employee a change is about comes, in order, from an audit.Note in the context; from
// the user objects that passed through this decorator (object id → employeeId, learnt from
// finds, reads, creations and restores); from the workflow id (employee/<id> and
// employee/<id>/<event>/<n>, the entity and its children); and, failing those (a
// reconciliation repair), from one read of the account. The reason is the Note's, else the
// lifecycle event of the child workflow id (hire, move, exit, replace, ...), "reconcile
// repair" for a reconciliation, else the workflow type; a Note's Sources add the granting
// rule or replacement per target.
//
// Write-ahead intents. A retry of an activity repeats its Graph calls, which are
// idempotent, and records again under the same key; but three changes are not repeated, so
// their record would be lost with an attempt that died between Graph's answer and the
// audit write: CreateUser answers "it exists" (created false), UpdateAccount reads the
// account and finds nothing left to patch, and FindAccount finds the restored account and
// restores nothing. When the store keeps intents (audit.IntentStore), the decorator appends
// the record it means to write before each CreateUser, PatchUser and RestoreUser made in an
// activity, and a retry of that activity (attempt > 1) that finds the change made while
// the intent has no record writes the intended record then, once, with "confirmed on retry"
// in its reason: CreateUser answering false, an account read (GetUser, FindUserBy*) that
// shows the restored account or every patched value. An intent whose change was not made
// (the account existed already, the directory refused the change for good) is voided.
//
// The optional bulk listings of the inner directory (ListUsers, ListGroupMembers,
// ListUsersWithLicenses, ListAppRoleAssignedTo) stay visible through the decorator.
func Audited(dir Directory, store audit.Recorder) Directory {
	a := &auditedDir{
		Directory: dir,
		store:     store,
		log:       slog.Default().With("component", "audit"),
		users:     map[string]seenUser{},
		groups:    map[string]string{},
		skus:      map[string]string{},
		roles:     map[string]string{},
	}
	a.intents, _ = store.(audit.IntentStore)
	el, isE := dir.(entraLister)
	ll, isL := dir.(licensedUserLister)
	al, isA := dir.(appAssignmentLister)
	switch {
	case isE && isL && isA:
		return struct {
			*auditedDir
			entraLister
			licensedUserLister
			appAssignmentLister
		}{a, el, ll, al}
	case isE && isL:
		return struct {
			*auditedDir
			entraLister
			licensedUserLister
		}{a, el, ll}
	case isE && isA:
		return struct {
			*auditedDir
			entraLister
			appAssignmentLister
		}{a, el, al}
	case isE:
		return struct {
			*auditedDir
			entraLister
		}{a, el}
	}
	// Without the user listing ReadEntra cannot work whatever else there is.
	return a
}

// auditedDir is the decorator. Methods it does not declare are reads and pass through.
type auditedDir struct {
	Directory
	store audit.Recorder
	// intents is the store's write-ahead side; nil when it keeps none.
	intents audit.IntentStore
	log     *slog.Logger

	mu sync.Mutex
	// users are the accounts seen lately, for the employee id and attribute values before a patch.
	users map[string]seenUser
	// groups maps group ids to display names; skus part numbers (lower case) to skuIds;
	// roles "app/role" (lower case) to app role ids: what the resolvers answered.
	groups, skus, roles map[string]string
}

type seenUser struct {
	u  directory.User
	at time.Time
}

// beforeFreshness is how old a read may be to count as an attribute's value before a patch.
const beforeFreshness = 10 * time.Minute

// maxRemembered bounds each cache; past it the cache starts over.
const maxRemembered = 4096

// --- what the reads teach ---------------------------------------------------------------

func (a *auditedDir) remember(us ...directory.User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.users) > maxRemembered {
		a.users = map[string]seenUser{}
	}
	now := time.Now()
	for _, u := range us {
		if u.ID != "" {
			a.users[strings.ToLower(u.ID)] = seenUser{u: u, at: now}
		}
	}
}

func (a *auditedDir) seen(id string) (seenUser, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.users[strings.ToLower(id)]
	return s, ok
}

func (a *auditedDir) rememberName(m map[string]string, key, value string) {
	if key == "" || value == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(m) > maxRemembered {
		clear(m)
	}
	m[strings.ToLower(key)] = value
}

func (a *auditedDir) name(m map[string]string, key string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return m[strings.ToLower(key)]
}

// FindUserByEmployeeID passes through and remembers the user.
func (a *auditedDir) FindUserByEmployeeID(ctx context.Context, employeeID string) (directory.User, bool, error) {
	u, ok, err := a.Directory.FindUserByEmployeeID(ctx, employeeID)
	if err == nil && ok {
		a.remember(u)
		err = a.confirm(ctx, u)
	}
	return u, ok, err
}

// LookUpHire passes a hire's batched lookup through (reads are not recorded)
// and remembers the users it found; errNoHireLookup when the wrapped
// directory has none.
func (a *auditedDir) LookUpHire(ctx context.Context, q directory.HireLookup) (directory.HireLookupResult, error) {
	l, ok := a.Directory.(hireLooker)
	if !ok {
		return directory.HireLookupResult{}, errNoHireLookup
	}
	r, err := l.LookUpHire(ctx, q)
	if err == nil && r.Found {
		a.remember(r.Account)
	}
	if err == nil && r.ManagerFound {
		a.remember(r.Manager)
	}
	return r, err
}

// Holdings passes the read of what an account holds through (reads are not
// recorded) and remembers the group names it saw; errNoHoldings when the
// wrapped directory cannot read them in one go.
func (a *auditedDir) Holdings(ctx context.Context, userID string) (directory.Holdings, error) {
	r, ok := a.Directory.(holdingsReader)
	if !ok {
		return directory.Holdings{}, errNoHoldings
	}
	h, err := r.Holdings(ctx, userID)
	for _, g := range h.Groups {
		a.rememberName(a.groups, g.ID, g.DisplayName)
	}
	return h, err
}

// TemporaryAccessPassPolicy passes the read of the tenant's pass policy
// through, so passes follow it under the audit decorator too; Entra's
// defaults when the wrapped directory cannot read it.
func (a *auditedDir) TemporaryAccessPassPolicy(ctx context.Context) (directory.TemporaryAccessPassPolicy, error) {
	if r, ok := a.Directory.(passPolicyReader); ok {
		return r.TemporaryAccessPassPolicy(ctx)
	}
	return directory.DefaultTemporaryAccessPassPolicy, nil
}

// FindUserByUPN passes through and remembers the user.
func (a *auditedDir) FindUserByUPN(ctx context.Context, upn string) (directory.User, bool, error) {
	u, ok, err := a.Directory.FindUserByUPN(ctx, upn)
	if err == nil && ok {
		a.remember(u)
		err = a.confirm(ctx, u)
	}
	return u, ok, err
}

// FindUserByMail passes through and remembers the user.
func (a *auditedDir) FindUserByMail(ctx context.Context, address string) (directory.User, bool, error) {
	u, ok, err := a.Directory.FindUserByMail(ctx, address)
	if err == nil && ok {
		a.remember(u)
		err = a.confirm(ctx, u)
	}
	return u, ok, err
}

// GetUser passes through and remembers the user.
func (a *auditedDir) GetUser(ctx context.Context, id string) (directory.User, error) {
	u, err := a.Directory.GetUser(ctx, id)
	if err == nil {
		a.remember(u)
		err = a.confirm(ctx, u)
	}
	return u, err
}

// GroupMemberships passes through and remembers the group names.
func (a *auditedDir) GroupMemberships(ctx context.Context, userID string) ([]directory.Group, error) {
	gs, err := a.Directory.GroupMemberships(ctx, userID)
	for _, g := range gs {
		a.rememberName(a.groups, g.ID, g.DisplayName)
	}
	return gs, err
}

// Entitlements passes through and remembers the group names.
func (a *auditedDir) Entitlements(ctx context.Context, userID string) (directory.Entitlements, error) {
	e, err := a.Directory.Entitlements(ctx, userID)
	for _, g := range e.Groups {
		a.rememberName(a.groups, g.ID, g.DisplayName)
	}
	return e, err
}

// ResolveGroups passes through and remembers the names of the ids.
func (a *auditedDir) ResolveGroups(ctx context.Context, names []string) (map[string]string, error) {
	m, err := a.Directory.ResolveGroups(ctx, names)
	for n, id := range m {
		a.rememberName(a.groups, id, n)
	}
	return m, err
}

// ResolveSKUs passes through and remembers the skuIds.
func (a *auditedDir) ResolveSKUs(ctx context.Context, partNumbers []string) (map[string]string, error) {
	m, err := a.Directory.ResolveSKUs(ctx, partNumbers)
	for n, id := range m {
		a.rememberName(a.skus, n, id)
	}
	return m, err
}

// ResolveAppRoles passes through and remembers the role ids.
func (a *auditedDir) ResolveAppRoles(ctx context.Context, roles []directory.AppRole) (map[directory.AppRole]directory.ResolvedAppRole, error) {
	m, err := a.Directory.ResolveAppRoles(ctx, roles)
	for r, res := range m {
		a.rememberName(a.roles, r.String(), res.AppRoleID)
	}
	return m, err
}

// --- the writes -------------------------------------------------------------------------

// CreateUser records account.created with the attributes set, when it created the account;
// with an intent written ahead, also when a retry finds the account an earlier attempt
// created (see Audited).
func (a *auditedDir) CreateUser(ctx context.Context, u directory.User) (directory.User, bool, error) {
	var changes []audit.Change
	for _, f := range userFields {
		if v := f.get(u); v != "" {
			changes = append(changes, audit.Change{Field: f.name, After: v, BeforeKnown: true})
		}
	}
	changes = append(changes, audit.Change{Field: "accountEnabled", After: strconv.FormatBool(u.AccountEnabled), BeforeKnown: true})
	rec := a.due(ctx, a.base(ctx, "", audit.AccountCreated, audit.Target{}))
	if rec.EmployeeID == "" {
		rec.EmployeeID = u.EmployeeID
	}
	rec.Changes = changes
	ahead := a.intends(rec)
	var earlier []audit.Record
	if ahead {
		// The object id is not known before: the key leaves it out, so the record of any
		// attempt of this activity has the intent's key.
		rec.Key = rec.DedupKey()
		var err error
		if earlier, err = a.pending(ctx, rec, func(p audit.Record) bool { return p.Action == audit.AccountCreated }); err != nil {
			return directory.User{}, false, err
		}
		if len(earlier) == 0 {
			if err := a.intend(ctx, rec); err != nil {
				return directory.User{}, false, err
			}
		}
	}
	got, created, err := a.Directory.CreateUser(ctx, u)
	if err != nil {
		if ahead && len(earlier) == 0 {
			a.voidIfRefused(ctx, rec, err)
		}
		return got, created, err
	}
	a.remember(got)
	rec.ObjectID = got.ID
	switch {
	case created:
		return got, created, a.write(ctx, rec)
	case len(earlier) > 0 && (got.EmployeeID == "" || strings.EqualFold(got.EmployeeID, u.EmployeeID)):
		// An earlier attempt created it and died before its record.
		return got, created, a.write(ctx, confirmed(earlier[0], got.ID, rec.Attempt))
	case ahead:
		// The account was there before this activity: nothing was created.
		a.void(ctx, rec)
	}
	return got, created, nil
}

// PatchUser records account.updated with the attributes sent.
func (a *auditedDir) PatchUser(ctx context.Context, id string, attrs directory.UserAttributes) error {
	before, fresh := a.seen(id)
	fresh = fresh && time.Since(before.at) < beforeFreshness
	var changes []audit.Change
	for _, f := range userFields {
		after, set := f.attr(attrs)
		if !set {
			continue
		}
		c := audit.Change{Field: f.name, After: after}
		if fresh {
			c.Before, c.BeforeKnown = f.get(before.u), true
		}
		changes = append(changes, c)
	}
	if attrs.AccountEnabled != nil {
		changes = append(changes, audit.Change{Field: "accountEnabled", After: strconv.FormatBool(*attrs.AccountEnabled)})
	}
	rec := a.base(ctx, id, audit.AccountUpdated, audit.Target{})
	rec.Changes = changes
	ahead := a.intends(rec) && len(changes) > 0
	if ahead {
		if err := a.intend(ctx, rec); err != nil {
			return err
		}
	}
	if err := a.Directory.PatchUser(ctx, id, attrs); err != nil {
		if ahead {
			a.voidIfRefused(ctx, rec, err)
		}
		return err
	}
	if fresh {
		a.remember(applyAttributes(before.u, attrs))
	}
	return a.write(ctx, rec)
}

// UpdateUser records account.updated with the attributes it changed.
func (a *auditedDir) UpdateUser(ctx context.Context, id string, desired directory.User) ([]string, error) {
	before, fresh := a.seen(id)
	fresh = fresh && time.Since(before.at) < beforeFreshness
	changed, err := a.Directory.UpdateUser(ctx, id, desired)
	if err != nil || len(changed) == 0 {
		return changed, err
	}
	var changes []audit.Change
	for _, name := range changed {
		for _, f := range userFields {
			if f.name != name && f.group != name {
				continue
			}
			c := audit.Change{Field: f.name, After: f.get(desired)}
			if fresh {
				c.Before, c.BeforeKnown = f.get(before.u), true
			}
			changes = append(changes, c)
		}
	}
	rec := a.base(ctx, id, audit.AccountUpdated, audit.Target{})
	rec.Changes = changes
	return changed, a.write(ctx, rec)
}

// EnableUser records account.enabled, with the moment it became due when the context's
// note carries one (the provisioning latency's start).
func (a *auditedDir) EnableUser(ctx context.Context, id string) error {
	return a.after(ctx, a.Directory.EnableUser(ctx, id), a.due(ctx, a.base(ctx, id, audit.AccountEnabled, audit.Target{})))
}

// DisableUser records account.disabled, with the moment it became due when the context's
// note carries one (the leave moment: the deprovisioning delay's start).
func (a *auditedDir) DisableUser(ctx context.Context, id string) error {
	return a.after(ctx, a.Directory.DisableUser(ctx, id), a.due(ctx, a.base(ctx, id, audit.AccountDisabled, audit.Target{})))
}

// due sets rec.Due from the context's note.
func (a *auditedDir) due(ctx context.Context, rec audit.Record) audit.Record {
	if n, ok := audit.NoteFrom(ctx); ok {
		rec.Due = n.Due.UTC()
	}
	return rec
}

// WithDue returns a context whose enable or disable is recorded as due since the moment
// due (audit.Record.Due): the start of the access for an enable, the leave moment for a
// disable. A zero moment leaves ctx as it is.
func WithDue(ctx context.Context, due time.Time) context.Context {
	if due.IsZero() {
		return ctx
	}
	n, _ := audit.NoteFrom(ctx)
	n.Due = due
	return audit.WithNote(ctx, n)
}

// SetManager records manager.set.
func (a *auditedDir) SetManager(ctx context.Context, id, managerID string) error {
	if err := a.Directory.SetManager(ctx, id, managerID); err != nil {
		return err
	}
	return a.write(ctx, a.base(ctx, id, audit.ManagerSet, a.managerTarget(managerID)))
}

// ClearManager records manager.cleared.
func (a *auditedDir) ClearManager(ctx context.Context, id string) error {
	return a.after(ctx, a.Directory.ClearManager(ctx, id), a.base(ctx, id, audit.ManagerCleared, audit.Target{Kind: audit.KindManager}))
}

// AddGroupMember records group.added.
func (a *auditedDir) AddGroupMember(ctx context.Context, groupID, userID string) error {
	if err := a.Directory.AddGroupMember(ctx, groupID, userID); err != nil {
		return err
	}
	return a.write(ctx, a.base(ctx, userID, audit.GroupAdded, a.groupTarget(groupID)))
}

// RemoveGroupMember records group.removed.
func (a *auditedDir) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	if err := a.Directory.RemoveGroupMember(ctx, groupID, userID); err != nil {
		return err
	}
	return a.write(ctx, a.base(ctx, userID, audit.GroupRemoved, a.groupTarget(groupID)))
}

// AddToGroups records group.added per group.
func (a *auditedDir) AddToGroups(ctx context.Context, userID string, groupIDs []string) error {
	if err := a.Directory.AddToGroups(ctx, userID, groupIDs); err != nil {
		return err
	}
	return a.write(ctx, a.each(ctx, userID, audit.GroupAdded, groupIDs, a.groupTarget)...)
}

// RemoveFromGroups records group.removed per group.
func (a *auditedDir) RemoveFromGroups(ctx context.Context, userID string, groupIDs []string) error {
	if err := a.Directory.RemoveFromGroups(ctx, userID, groupIDs); err != nil {
		return err
	}
	return a.write(ctx, a.each(ctx, userID, audit.GroupRemoved, groupIDs, a.groupTarget)...)
}

// AssignLicenses records license.assigned per licence.
func (a *auditedDir) AssignLicenses(ctx context.Context, userID string, skuPartNumbers []string) error {
	if err := a.Directory.AssignLicenses(ctx, userID, skuPartNumbers); err != nil {
		return err
	}
	return a.write(ctx, a.each(ctx, userID, audit.LicenseAssigned, skuPartNumbers, a.licenseTarget(ctx, skuPartNumbers))...)
}

// RemoveLicenses records license.removed per licence.
func (a *auditedDir) RemoveLicenses(ctx context.Context, userID string, skuPartNumbers []string) error {
	if err := a.Directory.RemoveLicenses(ctx, userID, skuPartNumbers); err != nil {
		return err
	}
	return a.write(ctx, a.each(ctx, userID, audit.LicenseRemoved, skuPartNumbers, a.licenseTarget(ctx, skuPartNumbers))...)
}

// AssignAppRole records approle.assigned.
func (a *auditedDir) AssignAppRole(ctx context.Context, userID string, r directory.AppRole) error {
	if err := a.Directory.AssignAppRole(ctx, userID, r); err != nil {
		return err
	}
	return a.write(ctx, a.base(ctx, userID, audit.AppRoleAssigned, a.appRoleTarget(ctx, []directory.AppRole{r})(r.String())))
}

// RemoveAppRole records approle.removed.
func (a *auditedDir) RemoveAppRole(ctx context.Context, userID string, r directory.AppRole) error {
	if err := a.Directory.RemoveAppRole(ctx, userID, r); err != nil {
		return err
	}
	return a.write(ctx, a.base(ctx, userID, audit.AppRoleRemoved, a.appRoleTarget(ctx, []directory.AppRole{r})(r.String())))
}

// Grant records manager.set, group.added, license.assigned and approle.assigned, one per target.
func (a *auditedDir) Grant(ctx context.Context, userID string, g directory.Grant) error {
	if err := a.Directory.Grant(ctx, userID, g); err != nil {
		return err
	}
	var recs []audit.Record
	if g.ManagerID != "" {
		recs = append(recs, a.base(ctx, userID, audit.ManagerSet, a.managerTarget(g.ManagerID)))
	}
	recs = append(recs, a.access(ctx, userID, g, audit.GroupAdded, audit.LicenseAssigned, audit.AppRoleAssigned)...)
	return a.write(ctx, recs...)
}

// access is one record per group, licence and app role of g, with the action given for each kind.
func (a *auditedDir) access(ctx context.Context, userID string, g directory.Grant, group, license, role audit.Action) []audit.Record {
	recs := a.each(ctx, userID, group, g.GroupIDs, a.groupTarget)
	recs = append(recs, a.each(ctx, userID, license, g.Licenses, a.licenseTarget(ctx, g.Licenses))...)
	roles := make([]string, len(g.AppRoles))
	for i, r := range g.AppRoles {
		roles[i] = r.String()
	}
	return append(recs, a.each(ctx, userID, role, roles, a.appRoleTarget(ctx, g.AppRoles))...)
}

// Adopted records that the engine took account userID over as it found it: account.adopted,
// and group.held, license.held and approle.held for the access in held. It changes nothing in
// the directory.
func (a *auditedDir) Adopted(ctx context.Context, userID string, held directory.Grant) error {
	recs := []audit.Record{a.base(ctx, userID, audit.AccountAdopted, audit.Target{})}
	recs = append(recs, a.access(ctx, userID, held, audit.GroupHeld, audit.LicenseHeld, audit.AppRoleHeld)...)
	return a.write(ctx, recs...)
}

// RevokeSignInSessions records account.sessions-revoked.
func (a *auditedDir) RevokeSignInSessions(ctx context.Context, id string) error {
	return a.after(ctx, a.Directory.RevokeSignInSessions(ctx, id), a.base(ctx, id, audit.SessionsRevoked, audit.Target{}))
}

// CreateTemporaryAccessPass records tap.issued with the pass's id, start and lifetime; the
// pass itself is never recorded.
func (a *auditedDir) CreateTemporaryAccessPass(ctx context.Context, id string, opts directory.TemporaryAccessPassOptions) (directory.TemporaryAccessPass, error) {
	tap, err := a.Directory.CreateTemporaryAccessPass(ctx, id, opts)
	if err != nil {
		return tap, err
	}
	rec := a.base(ctx, id, audit.PassIssued, audit.Target{Kind: audit.KindPass, ID: tap.ID})
	// A new pass: nothing was there before.
	rec.Changes = []audit.Change{
		{Field: "startDateTime", After: timeText(tap.Start), BeforeKnown: true},
		{Field: "lifetime", After: tap.Lifetime.String(), BeforeKnown: true},
		{Field: "isUsableOnce", After: strconv.FormatBool(tap.UsableOnce), BeforeKnown: true},
	}
	return tap, a.write(ctx, rec)
}

// SendMail records mail.sent with the recipients and subject; the body is never recorded.
func (a *auditedDir) SendMail(ctx context.Context, m directory.Mail) error {
	if err := a.Directory.SendMail(ctx, m); err != nil {
		return err
	}
	rec := a.base(ctx, "", audit.MailSent, audit.Target{Kind: audit.KindMail, Name: strings.Join(m.To, ", ")})
	rec.Changes = []audit.Change{{Field: "subject", After: m.Subject, BeforeKnown: true}}
	return a.write(ctx, rec)
}

// DeleteUser records account.deleted.
func (a *auditedDir) DeleteUser(ctx context.Context, id string) error {
	// Tell the employee before the account is gone: afterwards it cannot be read.
	rec := a.base(ctx, id, audit.AccountDeleted, audit.Target{})
	return a.after(ctx, a.Directory.DeleteUser(ctx, id), rec)
}

// RestoreUser records account.restored.
func (a *auditedDir) RestoreUser(ctx context.Context, id string) (directory.User, error) {
	rec := a.base(ctx, id, audit.AccountRestored, audit.Target{})
	ahead := a.intends(rec)
	if ahead {
		if err := a.intend(ctx, rec); err != nil {
			return directory.User{}, err
		}
	}
	u, err := a.Directory.RestoreUser(ctx, id)
	if err != nil {
		if ahead {
			a.voidIfRefused(ctx, rec, err)
		}
		return u, err
	}
	a.remember(u)
	return u, a.write(ctx, rec)
}

// --- building and writing records -------------------------------------------------------

// after writes rec when the change succeeded.
func (a *auditedDir) after(ctx context.Context, err error, rec audit.Record) error {
	if err != nil {
		return err
	}
	return a.write(ctx, rec)
}

// write stores the records; a failure fails the call, so the activity is retried.
func (a *auditedDir) write(ctx context.Context, recs ...audit.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if _, err := a.store.Record(ctx, recs...); err != nil {
		a.log.Error("audit record not written: the activity will be retried", "action", recs[0].Action, "objectId", recs[0].ObjectID, "error", err)
		return fmt.Errorf("audit record of %s on %s not written: %w", recs[0].Action, recs[0].ObjectID, err)
	}
	return nil
}

// intends tells whether rec's change gets a write-ahead intent: inside an activity, with a
// store that keeps intents.
func (a *auditedDir) intends(rec audit.Record) bool {
	return a.intents != nil && rec.WorkflowID != ""
}

// intend appends rec as an intent; a failure fails the call before the change is made.
func (a *auditedDir) intend(ctx context.Context, rec audit.Record) error {
	if err := a.intents.Intend(ctx, rec); err != nil {
		a.log.Error("audit intent not written: the activity will be retried", "action", rec.Action, "objectId", rec.ObjectID, "error", err)
		return fmt.Errorf("audit intent of %s on %s not written: %w", rec.Action, rec.ObjectID, err)
	}
	return nil
}

// void appends that rec's intended change was not made. A failure is only logged: the
// intent stays pending, which a later retry reads as "maybe made" only when the directory
// shows the change.
func (a *auditedDir) void(ctx context.Context, rec audit.Record) {
	if err := a.intents.Void(ctx, rec); err != nil {
		a.log.Warn("audit intent not voided", "action", rec.Action, "objectId", rec.ObjectID, "error", err)
	}
}

// voidIfRefused voids rec's intent when err says the change was not made: the
// directory's refusal that is not retried. Any other failure may hide a change made (a
// lost reply, a cut connection): its intent stays pending for the retry to settle.
func (a *auditedDir) voidIfRefused(ctx context.Context, rec audit.Record, err error) {
	var de *directory.Error
	if ctx.Err() == nil && errors.As(err, &de) && !de.Retryable() {
		a.void(ctx, rec)
	}
}

// pending lists the intents of the activity making rec that keep matches, when this
// attempt is a retry (the first attempt of an activity has no earlier intents).
func (a *auditedDir) pending(ctx context.Context, rec audit.Record, keep func(audit.Record) bool) ([]audit.Record, error) {
	if !a.intends(rec) || rec.Attempt <= 1 {
		return nil, nil
	}
	all, err := a.intents.Pending(ctx, rec.WorkflowID, rec.RunID, rec.ActivityID)
	if err != nil {
		a.log.Error("audit intents not read: the activity will be retried", "workflowId", rec.WorkflowID, "error", err)
		return nil, fmt.Errorf("audit intents of %s not read: %w", rec.WorkflowID, err)
	}
	var out []audit.Record
	for _, p := range all {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// confirm writes the pending intents of this activity that account u shows made: a
// restore of u, a patch of u whose every value u now holds. It runs on a retry's reads.
func (a *auditedDir) confirm(ctx context.Context, u directory.User) error {
	if a.intents == nil || u.ID == "" || !activity.IsActivity(ctx) || activity.GetInfo(ctx).Attempt <= 1 {
		return nil
	}
	info := activity.GetInfo(ctx)
	probe := audit.Record{WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		ActivityID: info.ActivityID, Attempt: int(info.Attempt)}
	made, err := a.pending(ctx, probe, func(p audit.Record) bool {
		if !strings.EqualFold(p.ObjectID, u.ID) {
			return false
		}
		switch p.Action {
		case audit.AccountRestored:
			return true
		case audit.AccountUpdated:
			return holds(u, p.Changes)
		}
		return false
	})
	if err != nil {
		return err
	}
	recs := make([]audit.Record, 0, len(made))
	for _, p := range made {
		recs = append(recs, confirmed(p, u.ID, probe.Attempt))
	}
	return a.write(ctx, recs...)
}

// confirmed is an intent's record, written by a later attempt that found the change made.
// It keeps the intent's key, time and attempt: the change is the earlier attempt's.
func confirmed(intent audit.Record, objectID string, attempt int) audit.Record {
	intent.ObjectID = objectID
	intent.Reason = strings.TrimPrefix(fmt.Sprintf("%s; confirmed on retry (attempt %d)", intent.Reason, attempt), "; ")
	return intent
}

// holds reports whether u has every value of changes (a patch's after values).
func holds(u directory.User, changes []audit.Change) bool {
	if len(changes) == 0 {
		return false
	}
	for _, c := range changes {
		if c.Field == "accountEnabled" {
			if strconv.FormatBool(u.AccountEnabled) != c.After {
				return false
			}
			continue
		}
		known := false
		for _, f := range userFields {
			if f.name == c.Field {
				known = true
				if f.get(u) != c.After {
					return false
				}
			}
		}
		if !known {
			return false
		}
	}
	return true
}

// each makes one record per target.
func (a *auditedDir) each(ctx context.Context, userID string, action audit.Action, keys []string, target func(string) audit.Target) []audit.Record {
	recs := make([]audit.Record, 0, len(keys))
	for _, k := range keys {
		recs = append(recs, a.base(ctx, userID, action, target(k)))
	}
	return recs
}

// base is a record of action on the account objectID, with who made it and why.
func (a *auditedDir) base(ctx context.Context, objectID string, action audit.Action, t audit.Target) audit.Record {
	rec := audit.Record{At: time.Now().UTC(), ObjectID: objectID, Action: action, Target: t}
	workflowType := ""
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		rec.WorkflowID, rec.RunID = info.WorkflowExecution.ID, info.WorkflowExecution.RunID
		rec.ActivityID, rec.Attempt = info.ActivityID, int(info.Attempt)
		if info.WorkflowType != nil {
			workflowType = info.WorkflowType.Name
		}
	}
	note, _ := audit.NoteFrom(ctx)
	rec.EmployeeID = a.employeeOf(ctx, note, objectID, rec.WorkflowID)
	rec.Reason = note.Reason
	if rec.Reason == "" {
		rec.Reason = reasonOf(rec.WorkflowID, workflowType)
	}
	if src := sourceOf(note.Sources, t); src != "" {
		rec.Reason = strings.TrimPrefix(rec.Reason+"; "+src, "; ")
	}
	return rec
}

// employeeOf tells whose account objectID is (see Audited).
func (a *auditedDir) employeeOf(ctx context.Context, note audit.Note, objectID, workflowID string) string {
	if note.EmployeeID != "" {
		return note.EmployeeID
	}
	if objectID != "" {
		if s, ok := a.seen(objectID); ok && s.u.EmployeeID != "" {
			return s.u.EmployeeID
		}
	}
	if id := employeeOfWorkflow(workflowID); id != "" {
		return id
	}
	if objectID == "" {
		return ""
	}
	u, err := a.Directory.GetUser(ctx, objectID)
	if err != nil {
		a.log.Debug("audit: employee of account not found", "objectId", objectID, "error", err)
		return ""
	}
	a.remember(u)
	return u.EmployeeID
}

// employeeOfWorkflow reads the employee id from an entity workflow id (employee/<id>) or a
// child's (employee/<id>/<event>/<n>).
func employeeOfWorkflow(workflowID string) string {
	rest, ok := strings.CutPrefix(workflowID, "employee/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// reasonOf derives a reason from the workflow: the lifecycle event of a child workflow
// id, "reconcile repair" for a reconciliation, else the workflow type.
func reasonOf(workflowID, workflowType string) string {
	if rest, ok := strings.CutPrefix(workflowID, "employee/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) >= 3 {
			return parts[1]
		}
		if workflowType != "" {
			return "entity: " + workflowType
		}
		return "entity"
	}
	if strings.HasPrefix(workflowID, "reconcile/") || strings.Contains(strings.ToLower(workflowType), "reconcil") {
		return "reconcile repair"
	}
	return workflowType
}

func (a *auditedDir) groupTarget(id string) audit.Target {
	return audit.Target{Kind: audit.KindGroup, ID: id, Name: a.name(a.groups, id)}
}

func (a *auditedDir) managerTarget(id string) audit.Target {
	t := audit.Target{Kind: audit.KindManager, ID: id}
	if s, ok := a.seen(id); ok {
		t.Name = s.u.UserPrincipalName
	}
	return t
}

// licenseTarget names licences by part number and skuId; ids not seen yet are asked of the
// inner directory, whose resolver caches them (no Graph request in the usual case).
func (a *auditedDir) licenseTarget(ctx context.Context, parts []string) func(string) audit.Target {
	var missing []string
	for _, p := range parts {
		if a.name(a.skus, p) == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		if m, err := a.Directory.ResolveSKUs(ctx, missing); err == nil {
			for n, id := range m {
				a.rememberName(a.skus, n, id)
			}
		}
	}
	return func(p string) audit.Target {
		return audit.Target{Kind: audit.KindLicense, ID: a.name(a.skus, p), Name: p}
	}
}

// appRoleTarget names app roles by "App/Role" and role id, resolved like licences.
func (a *auditedDir) appRoleTarget(ctx context.Context, roles []directory.AppRole) func(string) audit.Target {
	var missing []directory.AppRole
	for _, r := range roles {
		if a.name(a.roles, r.String()) == "" {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		if m, err := a.Directory.ResolveAppRoles(ctx, missing); err == nil {
			for r, res := range m {
				a.rememberName(a.roles, r.String(), res.AppRoleID)
			}
		}
	}
	return func(name string) audit.Target {
		return audit.Target{Kind: audit.KindAppRole, ID: a.name(a.roles, name), Name: name}
	}
}

// --- attribute values -------------------------------------------------------------------

// userField is one recorded attribute: its Graph name, its value on a user, and its value in
// a partial update. group is the Graph property a field travels in (employeeOrgData).
type userField struct {
	name, group string
	get         func(directory.User) string
	attr        func(directory.UserAttributes) (string, bool)
}

func strAttr(p *string) (string, bool) {
	if p == nil {
		return "", false
	}
	return *p, true
}

func timeAttr(p *time.Time) (string, bool) {
	if p == nil {
		return "", false
	}
	return timeText(*p), true
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// userFields are the attributes recorded, in Graph's order of UserAttributes.Fields.
var userFields = []userField{
	{"employeeId", "", func(u directory.User) string { return u.EmployeeID }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.EmployeeID) }},
	{"givenName", "", func(u directory.User) string { return u.GivenName }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.GivenName) }},
	{"surname", "", func(u directory.User) string { return u.Surname }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.Surname) }},
	{"displayName", "", func(u directory.User) string { return u.DisplayName }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.DisplayName) }},
	{"userPrincipalName", "", func(u directory.User) string { return u.UserPrincipalName }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.UserPrincipalName) }},
	{"mailNickname", "", func(u directory.User) string { return u.MailNickname }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.MailNickname) }},
	{"mail", "", func(u directory.User) string { return u.Mail }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.Mail) }},
	{"jobTitle", "", func(u directory.User) string { return u.JobTitle }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.JobTitle) }},
	{"department", "", func(u directory.User) string { return u.Department }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.Department) }},
	{"companyName", "", func(u directory.User) string { return u.CompanyName }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.CompanyName) }},
	{"employeeType", "", func(u directory.User) string { return u.EmployeeType }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.EmployeeType) }},
	{"employeeHireDate", "", func(u directory.User) string { return timeText(u.EmployeeHireDate) }, func(a directory.UserAttributes) (string, bool) { return timeAttr(a.EmployeeHireDate) }},
	{"employeeLeaveDateTime", "", func(u directory.User) string { return timeText(u.EmployeeLeaveDateTime) }, func(a directory.UserAttributes) (string, bool) { return timeAttr(a.EmployeeLeaveDateTime) }},
	{"employeeOrgData.costCenter", "employeeOrgData", func(u directory.User) string { return u.CostCenter }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.CostCenter) }},
	{"employeeOrgData.division", "employeeOrgData", func(u directory.User) string { return u.Division }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.Division) }},
	{"officeLocation", "", func(u directory.User) string { return u.OfficeLocation }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.OfficeLocation) }},
	{"usageLocation", "", func(u directory.User) string { return u.UsageLocation }, func(a directory.UserAttributes) (string, bool) { return strAttr(a.UsageLocation) }},
}

// applyAttributes is u after the partial update attrs.
func applyAttributes(u directory.User, attrs directory.UserAttributes) directory.User {
	set := func(dst *string, p *string) {
		if p != nil {
			*dst = *p
		}
	}
	set(&u.EmployeeID, attrs.EmployeeID)
	set(&u.GivenName, attrs.GivenName)
	set(&u.Surname, attrs.Surname)
	set(&u.DisplayName, attrs.DisplayName)
	set(&u.UserPrincipalName, attrs.UserPrincipalName)
	set(&u.MailNickname, attrs.MailNickname)
	set(&u.Mail, attrs.Mail)
	set(&u.JobTitle, attrs.JobTitle)
	set(&u.Department, attrs.Department)
	set(&u.CompanyName, attrs.CompanyName)
	set(&u.EmployeeType, attrs.EmployeeType)
	set(&u.CostCenter, attrs.CostCenter)
	set(&u.Division, attrs.Division)
	set(&u.OfficeLocation, attrs.OfficeLocation)
	set(&u.UsageLocation, attrs.UsageLocation)
	if attrs.EmployeeHireDate != nil {
		u.EmployeeHireDate = *attrs.EmployeeHireDate
	}
	if attrs.EmployeeLeaveDateTime != nil {
		u.EmployeeLeaveDateTime = *attrs.EmployeeLeaveDateTime
	}
	if attrs.AccountEnabled != nil {
		u.AccountEnabled = *attrs.AccountEnabled
	}
	return u
}

// sourceOf finds the granting source of target t in a note's sources, whose keys are
// audit.TargetKey spellings compared without regard to case (the directory may spell a
// group's name differently from the policy).
func sourceOf(sources map[string]string, t audit.Target) string {
	if len(sources) == 0 {
		return ""
	}
	key := audit.TargetKey(t.Kind, t.Name)
	if src, ok := sources[key]; ok {
		return src
	}
	return sources[strings.ToLower(key)]
}
