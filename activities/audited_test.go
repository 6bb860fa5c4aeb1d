package activities

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/policy"
)

// auditFakeDir is an in-memory Directory: enough state to check what the decorator records.
type auditFakeDir struct {
	mu       sync.Mutex
	users    map[string]directory.User
	groups   map[string]string // name -> id
	members  map[string]map[string]bool
	licenses map[string][]string
	calls    map[string]int
	// failOnce makes the named method fail once with a retryable error.
	failOnce map[string]bool
}

var _ Directory = (*auditFakeDir)(nil)

func newAuditFakeDir() *auditFakeDir {
	return &auditFakeDir{
		users:    map[string]directory.User{"obj-1": {ID: "obj-1", EmployeeID: "1001", UserPrincipalName: "ann@example.test", JobTitle: "Junior", Mail: "ann@example.test"}},
		groups:   map[string]string{"All Staff": "g-1", "Sales": "g-2"},
		members:  map[string]map[string]bool{},
		licenses: map[string][]string{},
		calls:    map[string]int{},
		failOnce: map[string]bool{},
	}
}

func (f *auditFakeDir) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	if f.failOnce[name] {
		delete(f.failOnce, name)
		return &directory.Error{Op: name, Kind: directory.KindThrottled, Status: 429, RetryAfter: time.Millisecond}
	}
	return nil
}

func (f *auditFakeDir) FindUserByEmployeeID(_ context.Context, id string) (directory.User, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if u.EmployeeID == id {
			return u, true, nil
		}
	}
	return directory.User{}, false, nil
}
func (f *auditFakeDir) FindUserByUPN(context.Context, string) (directory.User, bool, error) {
	return directory.User{}, false, nil
}
func (f *auditFakeDir) FindUserByMail(context.Context, string) (directory.User, bool, error) {
	return directory.User{}, false, nil
}
func (f *auditFakeDir) AddressTaken(context.Context, string, string) (bool, error) { return false, nil }
func (f *auditFakeDir) GetUser(_ context.Context, id string) (directory.User, error) {
	if err := f.call("GetUser"); err != nil {
		return directory.User{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return directory.User{}, &directory.Error{Op: "GetUser", Kind: directory.KindNotFound, Status: 404}
	}
	return u, nil
}
func (f *auditFakeDir) CreateUser(_ context.Context, u directory.User) (directory.User, bool, error) {
	if err := f.call("CreateUser"); err != nil {
		return directory.User{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range f.users {
		if x.EmployeeID == u.EmployeeID {
			return x, false, nil
		}
	}
	u.ID = "obj-" + u.EmployeeID
	f.users[u.ID] = u
	return u, true, nil
}
func (f *auditFakeDir) PatchUser(_ context.Context, id string, a directory.UserAttributes) error {
	if err := f.call("PatchUser"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = applyAttributes(f.users[id], a)
	return nil
}
func (f *auditFakeDir) UpdateUser(_ context.Context, id string, desired directory.User) ([]string, error) {
	if err := f.call("UpdateUser"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := directory.Diff(f.users[id], desired)
	f.users[id] = applyAttributes(f.users[id], d)
	return d.Fields(), nil
}
func (f *auditFakeDir) EnableUser(context.Context, string) error  { return f.call("EnableUser") }
func (f *auditFakeDir) DisableUser(context.Context, string) error { return f.call("DisableUser") }
func (f *auditFakeDir) SetManager(context.Context, string, string) error {
	return f.call("SetManager")
}
func (f *auditFakeDir) ClearManager(context.Context, string) error        { return f.call("ClearManager") }
func (f *auditFakeDir) ManagerID(context.Context, string) (string, error) { return "", nil }
func (f *auditFakeDir) GroupMemberships(context.Context, string) ([]directory.Group, error) {
	return nil, nil
}
func (f *auditFakeDir) AddGroupMember(_ context.Context, g, u string) error {
	return f.AddToGroups(context.Background(), u, []string{g})
}
func (f *auditFakeDir) RemoveGroupMember(_ context.Context, g, u string) error {
	return f.RemoveFromGroups(context.Background(), u, []string{g})
}
func (f *auditFakeDir) AddToGroups(_ context.Context, u string, gs []string) error {
	if err := f.call("AddToGroups"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range gs {
		if f.members[g] == nil {
			f.members[g] = map[string]bool{}
		}
		f.members[g][u] = true
	}
	return nil
}
func (f *auditFakeDir) RemoveFromGroups(_ context.Context, u string, gs []string) error {
	if err := f.call("RemoveFromGroups"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range gs {
		delete(f.members[g], u)
	}
	return nil
}
func (f *auditFakeDir) Licenses(context.Context, string) ([]string, error) { return nil, nil }
func (f *auditFakeDir) AssignLicenses(_ context.Context, u string, skus []string) error {
	if err := f.call("AssignLicenses"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.licenses[u] = append(f.licenses[u], skus...)
	return nil
}
func (f *auditFakeDir) RemoveLicenses(_ context.Context, u string, skus []string) error {
	if err := f.call("RemoveLicenses"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.licenses[u] = slices.DeleteFunc(f.licenses[u], func(s string) bool { return slices.Contains(skus, s) })
	return nil
}
func (f *auditFakeDir) AppRoleAssignments(context.Context, string) ([]directory.AppRoleAssignment, error) {
	return nil, nil
}
func (f *auditFakeDir) AssignAppRole(context.Context, string, directory.AppRole) error {
	return f.call("AssignAppRole")
}
func (f *auditFakeDir) RemoveAppRole(context.Context, string, directory.AppRole) error {
	return f.call("RemoveAppRole")
}
func (f *auditFakeDir) Grant(ctx context.Context, u string, g directory.Grant) error {
	if err := f.call("Grant"); err != nil {
		return err
	}
	if err := f.AddToGroups(ctx, u, g.GroupIDs); err != nil {
		return err
	}
	return f.AssignLicenses(ctx, u, g.Licenses)
}
func (f *auditFakeDir) Entitlements(context.Context, string) (directory.Entitlements, error) {
	return directory.Entitlements{}, nil
}
func (f *auditFakeDir) RevokeSignInSessions(context.Context, string) error {
	return f.call("RevokeSignInSessions")
}
func (f *auditFakeDir) CreateTemporaryAccessPass(_ context.Context, _ string, o directory.TemporaryAccessPassOptions) (directory.TemporaryAccessPass, error) {
	if err := f.call("CreateTemporaryAccessPass"); err != nil {
		return directory.TemporaryAccessPass{}, err
	}
	return directory.TemporaryAccessPass{ID: "tap-1", Pass: "SECRET-PASS-VALUE", Start: o.Start, Lifetime: o.Lifetime}, nil
}
func (f *auditFakeDir) SendMail(context.Context, directory.Mail) error { return f.call("SendMail") }
func (f *auditFakeDir) DeleteUser(context.Context, string) error       { return f.call("DeleteUser") }
func (f *auditFakeDir) RestoreUser(_ context.Context, id string) (directory.User, error) {
	if err := f.call("RestoreUser"); err != nil {
		return directory.User{}, err
	}
	return f.GetUser(context.Background(), id)
}
func (f *auditFakeDir) ResolveGroups(_ context.Context, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		out[n] = f.groups[n]
	}
	return out, nil
}
func (f *auditFakeDir) ResolveSKUs(_ context.Context, parts []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range parts {
		out[p] = "sku-" + strings.ToLower(p)
	}
	return out, nil
}
func (f *auditFakeDir) ResolveAppRoles(_ context.Context, roles []directory.AppRole) (map[directory.AppRole]directory.ResolvedAppRole, error) {
	out := map[directory.AppRole]directory.ResolvedAppRole{}
	for _, r := range roles {
		out[r] = directory.ResolvedAppRole{ResourceID: "sp-" + r.App, AppRoleID: "role-" + r.Role}
	}
	return out, nil
}

// auditFakeLister adds the bulk user listing.
type auditFakeLister struct{ *auditFakeDir }

func (auditFakeLister) ListUsers(context.Context, func(directory.User) error) error { return nil }
func (auditFakeLister) ListGroupMembers(context.Context, string, func(directory.User) error) error {
	return nil
}

// flakyRecorder fails its first n calls, then records into the store.
type flakyRecorder struct {
	audit.Store
	mu   sync.Mutex
	fail int
}

func (r *flakyRecorder) Record(ctx context.Context, recs ...audit.Record) (int, error) {
	r.mu.Lock()
	if r.fail > 0 {
		r.fail--
		r.mu.Unlock()
		return 0, errors.New("database is locked")
	}
	r.mu.Unlock()
	return r.Store.Record(ctx, recs...)
}

func openAuditStore(t *testing.T) *audit.SQLStore {
	t.Helper()
	s, err := audit.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func actionsOf(recs []audit.Record) []string {
	var out []string
	for _, r := range recs {
		s := string(r.Action)
		if r.Target.Name != "" {
			s += ":" + r.Target.Name
		}
		out = append(out, s)
	}
	return out
}

// Outside an activity every change is still recorded, without workflow ids; reads record nothing.
func TestAuditedRecordsEveryWriteOutsideAnActivity(t *testing.T) {
	ctx := context.Background()
	fake := newAuditFakeDir()
	store := openAuditStore(t)
	d := Audited(fake, store)

	if _, _, err := d.FindUserByEmployeeID(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if _, created, err := d.CreateUser(ctx, directory.User{EmployeeID: "1002", DisplayName: "Bob", UserPrincipalName: "bob@example.test"}); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	// Creating again finds the account: nothing changed, nothing recorded.
	if _, created, err := d.CreateUser(ctx, directory.User{EmployeeID: "1002"}); err != nil || created {
		t.Fatalf("second create: %v %v", created, err)
	}
	title := "Senior"
	steps := []func() error{
		func() error { return d.PatchUser(ctx, "obj-1", directory.UserAttributes{JobTitle: &title}) },
		func() error { return d.EnableUser(ctx, "obj-1") },
		func() error { return d.SetManager(ctx, "obj-1002", "obj-1") },
		func() error {
			return d.Grant(ctx, "obj-1", directory.Grant{GroupIDs: []string{"g-1"}, Licenses: []string{"SPE_E3"}, AppRoles: []directory.AppRole{{App: "CRM", Role: "User"}}})
		},
		func() error { return d.RemoveFromGroups(ctx, "obj-1", []string{"g-2"}) },
		func() error {
			_, err := d.CreateTemporaryAccessPass(ctx, "obj-1002", directory.TemporaryAccessPassOptions{Lifetime: time.Hour})
			return err
		},
		func() error {
			return d.SendMail(ctx, directory.Mail{To: []string{"ann@example.test"}, Subject: "Welcome Bob", Body: "the body"})
		},
		func() error { return d.DisableUser(ctx, "obj-1") },
		func() error { return d.RevokeSignInSessions(ctx, "obj-1") },
		func() error { return d.DeleteUser(ctx, "obj-1") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	recs, err := store.Query(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	// Group names are known from a resolve or a read: none happened here, so groups go by id.
	want := []string{"account.created", "account.updated", "account.enabled", "manager.set:ann@example.test", "group.added",
		"license.assigned:SPE_E3", "approle.assigned:CRM/User", "group.removed", "tap.issued", "mail.sent:ann@example.test",
		"account.disabled", "account.sessions-revoked", "account.deleted"}
	got := actionsOf(recs)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("recorded\n %v\nwant\n %v", got, want)
	}
	for _, r := range recs {
		if r.WorkflowID != "" || r.ActivityID != "" {
			t.Errorf("%s has workflow ids outside an activity: %+v", r.Action, r)
		}
		if strings.Contains(audit.FormatChanges(r.Changes), "SECRET") || strings.Contains(audit.FormatChanges(r.Changes), "the body") {
			t.Errorf("%s recorded a secret or a mail body: %v", r.Action, r.Changes)
		}
	}
	byAction := map[audit.Action]audit.Record{}
	for _, r := range recs {
		byAction[r.Action] = r
	}
	if r := byAction[audit.AccountCreated]; r.EmployeeID != "1002" || r.ObjectID != "obj-1002" {
		t.Errorf("created: %+v", r)
	}
	// The account was read (FindUserByEmployeeID) just before the patch: before is known.
	upd := byAction[audit.AccountUpdated]
	if upd.EmployeeID != "1001" || len(upd.Changes) != 1 || upd.Changes[0] != (audit.Change{Field: "jobTitle", Before: "Junior", After: "Senior", BeforeKnown: true}) {
		t.Errorf("updated: %+v", upd)
	}
	if r := byAction[audit.ManagerSet]; r.EmployeeID != "1002" || r.Target.ID != "obj-1" || r.Target.Name != "ann@example.test" {
		t.Errorf("manager: %+v", r)
	}
	if r := byAction[audit.LicenseAssigned]; r.Target.ID != "sku-spe_e3" {
		t.Errorf("licence id not resolved: %+v", r)
	}
	if r := byAction[audit.PassIssued]; r.Target.ID != "tap-1" || r.EmployeeID != "1002" {
		t.Errorf("pass: %+v", r)
	}
}

// A failed write records nothing.
func TestAuditedRecordsNothingWhenTheChangeFails(t *testing.T) {
	ctx := context.Background()
	fake := newAuditFakeDir()
	fake.failOnce["EnableUser"] = true
	store := openAuditStore(t)
	d := Audited(fake, store)
	if err := d.EnableUser(ctx, "obj-1"); err == nil {
		t.Fatal("the failure did not come through")
	}
	if recs, _ := store.Query(ctx, audit.Filter{}); len(recs) != 0 {
		t.Fatalf("recorded %v for a failed change", actionsOf(recs))
	}
}

// An audit store that cannot write fails the call, so the activity is retried.
func TestAuditedFailsWhenTheRecordCannotBeWritten(t *testing.T) {
	ctx := context.Background()
	store := &flakyRecorder{Store: openAuditStore(t), fail: 1}
	d := Audited(newAuditFakeDir(), store)
	err := d.DisableUser(ctx, "obj-1")
	if err == nil || !strings.Contains(err.Error(), "audit record") {
		t.Fatalf("error %v, want an audit failure", err)
	}
	if err := d.DisableUser(ctx, "obj-1"); err != nil {
		t.Fatal(err)
	}
	if recs, _ := store.Query(ctx, audit.Filter{}); len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
}

// A retried activity records each change once, with the attempt that made it; the employee
// comes from the workflow id and the reason from the lifecycle event in it.
func TestAuditedRetriedActivityRecordsOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failDir   string // directory method failing once after the first change
		failStore int    // audit writes failing first
	}{
		{"second change throttled", "RemoveLicenses", 0},
		{"audit store hiccup", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newAuditFakeDir()
			if tc.failDir != "" {
				fake.failOnce[tc.failDir] = true
			}
			store := &flakyRecorder{Store: openAuditStore(t), fail: tc.failStore}
			acts := &Activities{Directory: Audited(fake, store)}

			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestWorkflowEnvironment()
			// The machine may be busy: the SQLite writes must not look like a deadlock.
			env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
			env.RegisterActivity(acts.RevokeEntitlements)
			wf := func(ctx workflow.Context) error {
				ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
					StartToCloseTimeout: time.Minute,
					RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 3},
				})
				return workflow.ExecuteActivity(ctx, acts.RevokeEntitlements, EntitlementsInput{ObjectID: "obj-1",
					Entitlements: []policy.Entitlement{policy.Group("Sales"), policy.License("SPE_E3")}}).Get(ctx, nil)
			}
			env.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "Exit"})
			env.SetStartWorkflowOptions(startOptions("employee/1001/exit/4"))
			env.ExecuteWorkflow("Exit")
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if fake.calls["RemoveFromGroups"] != 2 {
				t.Fatalf("RemoveFromGroups ran %d times, want 2 (one retry)", fake.calls["RemoveFromGroups"])
			}
			recs, err := store.Query(context.Background(), audit.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if got := actionsOf(recs); strings.Join(got, ",") != "group.removed:Sales,license.removed:SPE_E3" {
				t.Fatalf("recorded %v", got)
			}
			for _, r := range recs {
				if r.EmployeeID != "1001" || r.Reason != "exit" || r.WorkflowID != "employee/1001/exit/4" || r.RunID == "" || r.ActivityID == "" {
					t.Errorf("record %+v", r)
				}
			}
			wantAttempts := map[string][2]int{"second change throttled": {1, 2}, "audit store hiccup": {2, 2}}[tc.name]
			if recs[0].Attempt != wantAttempts[0] || recs[1].Attempt != wantAttempts[1] {
				t.Errorf("attempts %d, %d; want %v", recs[0].Attempt, recs[1].Attempt, wantAttempts)
			}
		})
	}
}

// A note in the context names the employee, the reason and the granting rule.
func TestAuditedNoteAndReconcileReason(t *testing.T) {
	store := openAuditStore(t)
	fake := newAuditFakeDir()
	d := Audited(fake, store)
	ctx := audit.WithNote(context.Background(), audit.Note{Reason: "hire", Sources: map[string]string{"license:SPE_E3": "role:Sales"}})
	if err := d.AssignLicenses(ctx, "obj-1", []string{"SPE_E3"}); err != nil {
		t.Fatal(err)
	}
	recs, _ := store.Query(context.Background(), audit.Filter{})
	// The employee was learnt with one read of the account (nothing else told it).
	if len(recs) != 1 || recs[0].Reason != "hire; role:Sales" || recs[0].EmployeeID != "1001" || fake.calls["GetUser"] != 1 {
		t.Fatalf("records %+v, reads %d", recs, fake.calls["GetUser"])
	}
	cases := []struct{ id, typ, reason, employee string }{
		{"employee/1001/hire/1", "Hire", "hire", "1001"},
		{"employee/1001", "Employee", "entity: Employee", "1001"},
		{"reconcile/2026-10-01", "Reconcile", "reconcile repair", ""},
		{"rollout/x", "PolicyRollout", "PolicyRollout", ""},
	}
	for _, c := range cases {
		if got := reasonOf(c.id, c.typ); got != c.reason {
			t.Errorf("reasonOf(%q) = %q, want %q", c.id, got, c.reason)
		}
		if got := employeeOfWorkflow(c.id); got != c.employee {
			t.Errorf("employeeOfWorkflow(%q) = %q", c.id, got)
		}
	}
}

// The decorator keeps the bulk listings the reconciliation asks for by type assertion.
func TestAuditedKeepsOptionalListings(t *testing.T) {
	store := openAuditStore(t)
	if _, ok := Audited(newAuditFakeDir(), store).(entraLister); ok {
		t.Error("a directory without listings gained one")
	}
	d := Audited(auditFakeLister{newAuditFakeDir()}, store)
	if _, ok := d.(entraLister); !ok {
		t.Error("the user listing was lost")
	}
	if _, ok := d.(licensedUserLister); ok {
		t.Error("a licence listing appeared from nowhere")
	}
}

// Every Directory method is either a read (passed through) or a write the decorator records.
// A method added to Directory must be classified here, and audited when it writes.
func TestAuditedCoversEveryDirectoryMethod(t *testing.T) {
	reads := []string{"FindUserByEmployeeID", "FindUserByUPN", "FindUserByMail", "AddressTaken", "GetUser", "ManagerID",
		"GroupMemberships", "Licenses", "AppRoleAssignments", "Entitlements", "ResolveGroups", "ResolveSKUs", "ResolveAppRoles"}
	dt := reflect.TypeFor[Directory]()
	own := map[string]bool{}
	at := reflect.TypeFor[*auditedDir]()
	for i := range at.NumMethod() {
		m := at.Method(i)
		// A promoted method of the embedded interface has the autogenerated wrapper's file;
		// the decorator's own methods are declared in audited.go.
		if fn := m.Func.Pointer(); fn != 0 {
			if f := runtimeFile(fn); strings.HasSuffix(f, "audited.go") {
				own[m.Name] = true
			}
		}
	}
	for i := range dt.NumMethod() {
		name := dt.Method(i).Name
		if slices.Contains(reads, name) {
			continue
		}
		if !own[name] {
			t.Errorf("Directory.%s is neither a known read nor audited by the decorator", name)
		}
	}
}

func runtimeFile(pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return ""
	}
	file, _ := f.FileLine(f.Entry())
	return file
}

func startOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id}
}

// The sources a workflow passes with the entitlements reach the audit trail as the rule (or
// replacement) that grants each one, whatever case the directory spells the names in.
func TestGrantEntitlementsRecordsTheGrantingRule(t *testing.T) {
	fake := newAuditFakeDir()
	store := openAuditStore(t)
	acts := &Activities{Directory: Audited(fake, store)}
	ctx := audit.WithNote(context.Background(), audit.Note{EmployeeID: "1001", Reason: "hire"})
	in := EntitlementsInput{ObjectID: "obj-1",
		Entitlements: []policy.Entitlement{policy.Group("All Staff"), policy.Group("Sales"), policy.License("SPE_E3")},
		Sources: map[string]string{
			SourceKey(policy.Group("all staff")): "role:all-staff",
			SourceKey(policy.Group("Sales")):     "replacement:r-1",
			SourceKey(policy.License("SPE_E3")):  "role:all-staff",
		}}
	if err := acts.GrantEntitlements(ctx, in); err != nil {
		t.Fatal(err)
	}
	recs, err := store.Query(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		got[r.Target.Kind+":"+r.Target.Name] = r.Reason
	}
	want := map[string]string{"group:All Staff": "hire; role:all-staff", "group:Sales": "hire; replacement:r-1", "license:SPE_E3": "hire; role:all-staff"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s recorded with reason %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
