// Package audit is the engine's audit trail: one append-only record for every change the
// engine makes in Entra ID (account created, enabled, disabled, deleted or restored,
// attributes patched, manager set, group / licence / app role granted or removed, Temporary
// Access Pass issued, notification sent), with the Temporal workflow, run and activity that
// made it. Records live in SQLite (the default, one file) or PostgreSQL (when a DSN names
// one); both carry the same schema, versioned by embedded migrations.
//
// Records are written idempotently: each carries a deduplication key built from the
// workflow id, run id, activity id, account, action and target, and a second insert of the
// same key is ignored, so a retried activity attempt does not write twice. The store has no
// update path; the one delete is Prune, which removes records older than a retention period.
package audit

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Action names what was done. The values are stable: they are stored and queried.
type Action string

// The actions the engine records.
const (
	AccountCreated  Action = "account.created"
	AccountEnabled  Action = "account.enabled"
	AccountDisabled Action = "account.disabled"
	AccountDeleted  Action = "account.deleted"
	AccountRestored Action = "account.restored"
	// AccountUpdated is a patch of attributes; Changes lists them with before and after.
	AccountUpdated  Action = "account.updated"
	SessionsRevoked Action = "account.sessions-revoked"
	ManagerSet      Action = "manager.set"
	ManagerCleared  Action = "manager.cleared"
	GroupAdded      Action = "group.added"
	GroupRemoved    Action = "group.removed"
	LicenseAssigned Action = "license.assigned"
	LicenseRemoved  Action = "license.removed"
	AppRoleAssigned Action = "approle.assigned"
	AppRoleRemoved  Action = "approle.removed"
	// PassIssued is a Temporary Access Pass; its value is never recorded.
	PassIssued Action = "tap.issued"
	// MailSent is a notification; the recipients and subject are recorded, never the body.
	MailSent Action = "mail.sent"
	// AccountAdopted is an existing account the engine found by employee id and took over,
	// changing nothing; the Held actions list the access it had then.
	AccountAdopted Action = "account.adopted"
	// GroupHeld, LicenseHeld and AppRoleHeld are access an adopted account held already
	// when the engine took it over (granted outside the engine, or before its trail began).
	// They count as grants from that moment on, so "who holds" answers for adopted
	// accounts too.
	GroupHeld   Action = "group.held"
	LicenseHeld Action = "license.held"
	AppRoleHeld Action = "approle.held"
)

// Actions lists every action, in a fixed order.
func Actions() []Action {
	return []Action{AccountCreated, AccountEnabled, AccountDisabled, AccountDeleted, AccountRestored,
		AccountUpdated, SessionsRevoked, ManagerSet, ManagerCleared, GroupAdded, GroupRemoved,
		LicenseAssigned, LicenseRemoved, AppRoleAssigned, AppRoleRemoved, PassIssued, MailSent,
		AccountAdopted, GroupHeld, LicenseHeld, AppRoleHeld}
}

// Target kinds: what an action acted on besides the account itself.
const (
	KindGroup   = "group"
	KindLicense = "license"
	KindAppRole = "appRole"
	KindManager = "manager"
	KindPass    = "tap"
	KindMail    = "mail"
)

// grantOf maps an action to the target kind it grants or removes, and whether it grants.
func grantOf(a Action) (kind string, grant, ok bool) {
	switch a {
	case GroupAdded, GroupHeld:
		return KindGroup, true, true
	case GroupRemoved:
		return KindGroup, false, true
	case LicenseAssigned, LicenseHeld:
		return KindLicense, true, true
	case LicenseRemoved:
		return KindLicense, false, true
	case AppRoleAssigned, AppRoleHeld:
		return KindAppRole, true, true
	case AppRoleRemoved:
		return KindAppRole, false, true
	}
	return "", false, false
}

// Change is one attribute's change. Before is empty when it was not known (the account had
// not been read just before the patch).
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before,omitempty"`
	After  string `json:"after"`
	// BeforeKnown is true when Before is the value read before the patch.
	BeforeKnown bool `json:"beforeKnown,omitempty"`
}

// Target is what an action acted on: a group (id and display name), a licence (skuId and
// skuPartNumber), an app role (role id and "App/Role"), the manager (object id), a pass (its
// method id) or a mail (recipients).
type Target struct {
	Kind string `json:"kind,omitempty"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Record is one audit entry.
type Record struct {
	// Seq is the store's sequence number (0 before it is stored).
	Seq int64 `json:"seq,omitempty"`
	// At is when the change was made (the store's clock when zero).
	At time.Time `json:"at"`
	// EmployeeID is the HR employee the change is about ("" when it could not be told).
	EmployeeID string `json:"employeeId,omitempty"`
	// ObjectID is the Entra account's object id.
	ObjectID string `json:"objectId,omitempty"`
	Action   Action `json:"action"`
	Target   Target `json:"target,omitzero"`
	// Changes are the attributes changed (account.created and account.updated).
	Changes []Change `json:"changes,omitempty"`
	// Reason says why: the lifecycle event, rule, replacement or reconciliation.
	Reason string `json:"reason,omitempty"`
	// WorkflowID, RunID and ActivityID name the Temporal activity that made the change
	// (empty outside an activity); Attempt is its attempt number.
	WorkflowID string `json:"workflowId,omitempty"`
	RunID      string `json:"runId,omitempty"`
	ActivityID string `json:"activityId,omitempty"`
	Attempt    int    `json:"attempt,omitempty"`
	// Due is the moment the change became due, when it had one: the leave moment of an
	// exit's account.disabled, the start of a hire's account.enabled. At − Due is the
	// deprovisioning delay or provisioning latency.
	Due time.Time `json:"due,omitzero"`
	// Key is the deduplication key; empty makes the store derive it (DedupKey).
	Key string `json:"-"`
}

// DedupKey is the record's idempotency key: workflow id, run id, activity id, account,
// action and target. Two records with the same key are the same change made by the same
// activity (a retry), and only the first is kept. A record made outside an activity has no
// such identity and gets a key of its own from the caller (see Record.Key).
func (r Record) DedupKey() string {
	if r.Key != "" {
		return r.Key
	}
	return strings.Join([]string{r.WorkflowID, r.RunID, r.ActivityID, r.ObjectID, string(r.Action), r.Target.Kind, r.Target.identity()}, "\x1f")
}

// identity is what names a target the same way on every attempt: licences, app roles and
// mails by name (their ids are resolved on a best-effort basis), the others by id.
func (t Target) identity() string {
	switch t.Kind {
	case KindLicense, KindAppRole, KindMail:
		return strings.ToLower(t.Name)
	}
	if t.ID != "" {
		return strings.ToLower(t.ID)
	}
	return strings.ToLower(t.Name)
}

// Recorder appends records. Record stores each record whose key is new and ignores the
// others; it returns how many were stored.
type Recorder interface {
	Record(ctx context.Context, recs ...Record) (int, error)
}

// IntentStore keeps write-ahead intents beside the records. Before a change whose retry
// would find it made already (an account created, restored or patched: the retry reads the
// directory and has nothing left to do), the activity attempt appends the record it means to
// write as an intent; when the change is made the record follows. An attempt that dies in
// between leaves the intent pending, and the retry of the same activity that finds the
// change made writes the intended record then, once (the record's key is the intent's).
// Intents are append-only like records: a void is a second row, never an update.
type IntentStore interface {
	// Intend appends rec (with its dedup key) as an intent; an intent of the same key kept
	// already is left as it is, so the first attempt's time and attempt number stay.
	Intend(ctx context.Context, rec Record) error
	// Void appends that the intended change of rec's key was not made (it was there
	// already, or the directory refused it), so no retry takes it for made.
	Void(ctx context.Context, rec Record) error
	// Pending lists the intents of one activity (workflow id, run id, activity id) that
	// have neither a record of their key nor a void, oldest first, as the records they
	// plan (At and Attempt of the intent, Key set).
	Pending(ctx context.Context, workflowID, runID, activityID string) ([]Record, error)
}

// Filter selects records. Zero fields select everything.
type Filter struct {
	EmployeeID string
	ObjectID   string
	Actions    []Action
	// TargetKind with TargetName (case-insensitive display name / SKU / "App/Role") or
	// TargetID selects what was acted on.
	TargetKind string
	TargetName string
	TargetID   string
	WorkflowID string
	// Since (inclusive) and Until (exclusive) bound At.
	Since time.Time
	Until time.Time
	// Limit caps the number of records (0: no cap); the oldest come first.
	Limit int
}

// Store is the audit trail: append, query, prune.
type Store interface {
	Recorder
	// Query returns the records the filter selects, oldest first.
	Query(ctx context.Context, f Filter) ([]Record, error)
	// Holders lists who holds a target at a moment, derived from grant and removal records.
	Holders(ctx context.Context, kind, nameOrID string, at time.Time) ([]Holding, error)
	// Prune deletes the records older than before and returns how many it deleted. It is
	// the only delete: retention is applied by calling it, never implicitly.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// Close releases the database.
	Close() error
}

// ErrNoStore is returned when no audit store is configured.
var ErrNoStore = errors.New("no audit store configured")

// Note is what the code making a change can tell the audit trail beyond what the call
// itself shows: the employee, the reason, and per target the source that grants it (for
// example "role:Sales" or "replacement:r-1"), keyed by TargetKey.
type Note struct {
	EmployeeID string
	Reason     string
	Sources    map[string]string
	// Due is the moment the change became due (Record.Due), zero when none.
	Due time.Time
}

type noteKey struct{}

// WithNote returns a context carrying n for the audit records of the changes made with it.
func WithNote(ctx context.Context, n Note) context.Context {
	return context.WithValue(ctx, noteKey{}, n)
}

// NoteFrom returns the note carried by ctx, if any.
func NoteFrom(ctx context.Context) (Note, bool) {
	n, ok := ctx.Value(noteKey{}).(Note)
	return n, ok
}

// TargetKey is the key of a target in Note.Sources: "group:All Staff", "license:SPE_E3",
// "appRole:Salesforce/Standard User" (the spelling of policy entitlements).
func TargetKey(kind, name string) string { return kind + ":" + name }
