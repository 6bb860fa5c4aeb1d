package activities

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/orgattr"
)

// crashingStore stands for an attempt that dies around the audit write: the first
// loseBefore writes fail before anything is stored (the process died after Graph's answer,
// before the write), the first loseAfter writes are stored but reported failed (it died
// after the write, before the activity completed). Intents pass through.
type crashingStore struct {
	*audit.SQLStore
	mu                    sync.Mutex
	loseBefore, loseAfter int
}

func (s *crashingStore) Record(ctx context.Context, recs ...audit.Record) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loseBefore > 0 {
		s.loseBefore--
		return 0, errors.New("worker killed before the audit write")
	}
	n, err := s.SQLStore.Record(ctx, recs...)
	if err == nil && s.loseAfter > 0 {
		s.loseAfter--
		return n, errors.New("worker killed after the audit write")
	}
	return n, err
}

// runRetried runs one activity in a workflow "employee/2001/hire/1" with quick retries and
// returns the workflow's run id.
func runRetried(t *testing.T, acts *Activities, activityFn, input any) string {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	env.RegisterActivity(activityFn)
	var runID string
	wf := func(ctx workflow.Context) error {
		runID = workflow.GetInfo(ctx).WorkflowExecution.RunID
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 4},
		})
		return workflow.ExecuteActivity(ctx, activityFn, input).Get(ctx, nil)
	}
	env.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "Hire"})
	env.SetStartWorkflowOptions(startOptions("employee/2001/hire/1"))
	env.ExecuteWorkflow("Hire")
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	return runID
}

// restoringDir keeps deleted accounts apart until RestoreUser brings one back.
type restoringDir struct {
	*auditFakeDir
	deleted map[string]directory.User
}

func (d *restoringDir) RestoreUser(ctx context.Context, id string) (directory.User, error) {
	if err := d.call("RestoreUser"); err != nil {
		return directory.User{}, err
	}
	d.mu.Lock()
	if u, ok := d.deleted[id]; ok {
		d.users[id] = u
		delete(d.deleted, id)
	}
	d.mu.Unlock()
	return d.GetUser(ctx, id)
}

// A change whose retry finds it made (the account exists, the attributes hold their
// values, the account is restored) gets exactly one record when the attempt that made it
// died before or after its audit write, and on an ordinary retry.
func TestAuditedIntentsRecordEachChangeOnceAcrossACrash(t *testing.T) {
	spec := AccountSpec{EmployeeID: "2001", GivenName: "Bo", Surname: "Berg", DisplayName: "Bo Berg",
		UPN: "bo.berg@example.test", MailNickname: "bo.berg", Mail: "bo.berg@example.test"}
	update := UpdateAccountInput{ObjectID: "obj-1", Spec: AccountSpec{EmployeeID: "1001", Attributes: orgattr.Attributes{JobTitle: "Senior"}}, Fields: []string{orgattr.JobTitle}}
	type check func(t *testing.T, recs []audit.Record)
	for _, tc := range []struct {
		name          string
		activity      func(a *Activities) (any, any)
		before, after int // audit writes lost before / after the store
		failOnce      string
		deleted       bool
		action        audit.Action
		confirmed     bool
		attempt       int
		extra         check
	}{
		{name: "create, crash before the audit write", before: 1, action: audit.AccountCreated, confirmed: true, attempt: 1,
			activity: func(a *Activities) (any, any) { return a.CreateAccount, spec },
			extra: func(t *testing.T, recs []audit.Record) {
				r := recs[0]
				if r.ObjectID != "obj-2001" || r.EmployeeID != "2001" || len(r.Changes) == 0 || r.Changes[0].Field != "employeeId" {
					t.Errorf("confirmed create %+v lacks the account or its attributes", r)
				}
			}},
		{name: "create, crash after the audit write", after: 1, action: audit.AccountCreated, attempt: 1,
			activity: func(a *Activities) (any, any) { return a.CreateAccount, spec }},
		{name: "create, throttled before Graph (ordinary retry)", failOnce: "CreateUser", action: audit.AccountCreated, attempt: 2,
			activity: func(a *Activities) (any, any) { return a.CreateAccount, spec }},
		{name: "update, crash before the audit write", before: 1, action: audit.AccountUpdated, confirmed: true, attempt: 1,
			activity: func(a *Activities) (any, any) { return a.UpdateAccount, update },
			extra: func(t *testing.T, recs []audit.Record) {
				c := recs[0].Changes
				if len(c) != 1 || c[0].Field != "jobTitle" || c[0].Before != "Junior" || c[0].After != "Senior" || !c[0].BeforeKnown {
					t.Errorf("confirmed update changes %+v, want jobTitle Junior -> Senior", c)
				}
			}},
		{name: "update, crash after the audit write", after: 1, action: audit.AccountUpdated, attempt: 1,
			activity: func(a *Activities) (any, any) { return a.UpdateAccount, update }},
		{name: "restore, crash before the audit write", before: 1, deleted: true, action: audit.AccountRestored, confirmed: true, attempt: 1,
			activity: func(a *Activities) (any, any) {
				return a.FindAccount, FindAccountInput{EmployeeID: "2001", KnownObjectID: "obj-2001"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newAuditFakeDir()
			if tc.failOnce != "" {
				fake.failOnce[tc.failOnce] = true
			}
			var dir Directory = fake
			if tc.deleted {
				dir = &restoringDir{auditFakeDir: fake, deleted: map[string]directory.User{
					"obj-2001": {ID: "obj-2001", EmployeeID: "2001", UserPrincipalName: "bo.berg@example.test"}}}
			}
			sql := openAuditStore(t)
			store := &crashingStore{SQLStore: sql, loseBefore: tc.before, loseAfter: tc.after}
			acts := &Activities{Directory: Audited(dir, store)}
			fn, in := tc.activity(acts)
			runID := runRetried(t, acts, fn, in)

			recs, err := sql.Query(context.Background(), audit.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Action != tc.action {
				t.Fatalf("recorded %v, want exactly one %s", actionsOf(recs), tc.action)
			}
			r := recs[0]
			if got := strings.Contains(r.Reason, "confirmed on retry"); got != tc.confirmed {
				t.Errorf("reason %q: confirmed on retry = %v, want %v", r.Reason, got, tc.confirmed)
			}
			if !strings.HasPrefix(r.Reason, "hire") || r.Attempt != tc.attempt || r.WorkflowID != "employee/2001/hire/1" || r.RunID != runID {
				t.Errorf("record %+v: want reason hire…, attempt %d, the activity's ids", r, tc.attempt)
			}
			pending, err := sql.Pending(context.Background(), r.WorkflowID, r.RunID, r.ActivityID)
			if err != nil || len(pending) != 0 {
				t.Errorf("intents still pending after the activity: %+v (%v)", pending, err)
			}
			if tc.extra != nil {
				tc.extra(t, recs)
			}
		})
	}
}

// An account that existed before the create is not recorded as created, and its intent is
// voided, so no later attempt of the activity takes it for one it made.
func TestAuditedIntentOfAnExistingAccountIsVoided(t *testing.T) {
	spec := AccountSpec{EmployeeID: "1001", GivenName: "Ann", Surname: "Ash", DisplayName: "Ann Ash",
		UPN: "ann@example.test", MailNickname: "ann"}
	for _, voids := range []bool{false, true} {
		sql := openAuditStore(t)
		var store audit.Recorder = sql
		if !voids {
			store = forgetfulStore{sql}
		}
		acts := &Activities{Directory: Audited(newAuditFakeDir(), store)}
		runID := runRetried(t, acts, acts.CreateAccount, spec)
		recs, _ := sql.Query(context.Background(), audit.Filter{})
		if len(recs) != 0 {
			t.Fatalf("recorded %v for an account that existed", actionsOf(recs))
		}
		// The test environment numbers activities from 1.
		p, err := sql.Pending(context.Background(), "employee/2001/hire/1", runID, "1")
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 1, true: 0}[voids]; len(p) != want {
			t.Errorf("voids %v: %d pending intents, want %d", voids, len(p), want)
		}
	}
}

// forgetfulStore drops voids: the intent it leaves shows where the void would go.
type forgetfulStore struct{ *audit.SQLStore }

func (forgetfulStore) Void(context.Context, audit.Record) error { return nil }

// A directory refusal that is never retried voids the intent: nothing was made.
func TestAuditedRefusedChangeVoidsItsIntent(t *testing.T) {
	sql := openAuditStore(t)
	d := Audited(refusingDir{newAuditFakeDir()}, sql).(*auditedDir)
	rec := audit.Record{WorkflowID: "employee/2001/hire/1", RunID: "r", ActivityID: "5", Attempt: 1, Action: audit.AccountRestored, ObjectID: "obj-9"}
	if err := sql.Intend(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	d.voidIfRefused(context.Background(), rec, &directory.Error{Kind: directory.KindNotFound, Status: 404})
	d.voidIfRefused(context.Background(), audit.Record{WorkflowID: "employee/2001/hire/1", RunID: "r", ActivityID: "5", Action: audit.AccountCreated},
		&directory.Error{Kind: directory.KindThrottled, Status: 429})
	p, err := sql.Pending(context.Background(), "employee/2001/hire/1", "r", "5")
	if err != nil || len(p) != 0 {
		t.Fatalf("pending %+v (%v), want the refused restore voided", p, err)
	}
	created := audit.Record{WorkflowID: "employee/2001/hire/1", RunID: "r", ActivityID: "6", Attempt: 1, Action: audit.AccountCreated}
	if err := sql.Intend(context.Background(), created); err != nil {
		t.Fatal(err)
	}
	d.voidIfRefused(context.Background(), created, &directory.Error{Kind: directory.KindThrottled, Status: 429})
	d.voidIfRefused(context.Background(), created, errors.New("connection reset"))
	if p, _ := sql.Pending(context.Background(), "employee/2001/hire/1", "r", "6"); len(p) != 1 {
		t.Fatalf("pending %+v, want the create kept pending after failures that may hide a change", p)
	}
}

type refusingDir struct{ *auditFakeDir }

// The moment an enable or disable became due reaches its record, and only then.
func TestSetAccountEnabledRecordsWhenItWasDue(t *testing.T) {
	sql := openAuditStore(t)
	acts := &Activities{Directory: Audited(newAuditFakeDir(), sql)}
	leave := time.Date(2026, 10, 1, 17, 0, 0, 0, time.UTC)
	ctx := context.Background()
	if err := acts.SetAccountEnabled(ctx, SetEnabledInput{ObjectID: "obj-1", Enabled: false, Since: leave}); err != nil {
		t.Fatal(err)
	}
	if err := acts.SetAccountEnabled(ctx, SetEnabledInput{ObjectID: "obj-1", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	recs, err := sql.Query(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Action != audit.AccountDisabled || !recs[0].Due.Equal(leave) ||
		recs[1].Action != audit.AccountEnabled || !recs[1].Due.IsZero() {
		t.Fatalf("records %+v: want the disable due at %v and the enable without a due moment", recs, leave)
	}
}
