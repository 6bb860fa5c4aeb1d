package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/afas"
	"github.com/entralifecycle/engine/internal/hr/afas/afastest"
	"github.com/entralifecycle/engine/internal/testenv"
)

// readOnlySource is an HR source without write-back.
type readOnlySource struct{ snapErr error }

func (s readOnlySource) Snapshot(context.Context) (hr.Snapshot, error) {
	return hr.Snapshot{}, s.snapErr
}
func (readOnlySource) Employee(context.Context, string) (hr.Employee, error) {
	return hr.Employee{}, hr.ErrNotFound
}

// scriptedWriter answers WriteBack with err.
type scriptedWriter struct {
	readOnlySource
	err   error
	calls int
}

func (s *scriptedWriter) WriteBack(context.Context, string, hr.WorkContact) error {
	s.calls++
	return s.err
}

func TestWriteBackOutcomes(t *testing.T) {
	in := WriteBackInput{EmployeeID: "1002", Email: "els@contoso.example", UPN: "els@contoso.example"}
	tests := []struct {
		name          string
		src           hr.Source
		in            WriteBackInput
		supported     bool
		note          string // substring; "" = none
		errType       string // application error type; "" with wantErr = plain (retryable) error
		wantErr       bool
		nonRetryable  bool
		wantWriteCall bool
	}{
		{name: "written", src: &scriptedWriter{}, in: in, supported: true, wantWriteCall: true},
		{name: "no write-back interface", src: readOnlySource{}, in: in, note: "does not accept write-back"},
		{name: "source says unsupported", src: &scriptedWriter{err: fmt.Errorf("raet: %w", hr.ErrUnsupported)}, in: in,
			note: "not supported", wantWriteCall: true},
		{name: "transient failure is retried", src: &scriptedWriter{err: errors.New("afas: 503")}, in: in, wantErr: true, wantWriteCall: true},
		{name: "unknown employee is permanent", src: &scriptedWriter{err: fmt.Errorf("afas: %w", hr.ErrNotFound)}, in: in,
			wantErr: true, errType: ErrTypeHRWriteBack, nonRetryable: true, wantWriteCall: true},
		{name: "no address", src: &scriptedWriter{}, in: WriteBackInput{EmployeeID: "1002"}, supported: true, note: "nothing to write back"},
		{name: "invalid id", src: &scriptedWriter{}, in: WriteBackInput{EmployeeID: "Zoë", Email: "x@y"}, wantErr: true,
			errType: ErrTypeInvalidInput, nonRetryable: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acts := &Activities{HR: tc.src}
			res, err := acts.WriteBack(context.Background(), tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				var app *temporal.ApplicationError
				isApp := errors.As(err, &app)
				if tc.errType != "" && (!isApp || app.Type() != tc.errType || app.NonRetryable() != tc.nonRetryable) {
					t.Errorf("err = %v, want type %s non-retryable %v", err, tc.errType, tc.nonRetryable)
				}
				if tc.errType == "" && isApp && app.NonRetryable() {
					t.Errorf("transient error made non-retryable: %v", err)
				}
				return
			}
			if res.Supported != tc.supported || (tc.note == "") != (res.Note == "") || !strings.Contains(res.Note, tc.note) {
				t.Errorf("result %+v, want supported %v note %q", res, tc.supported, tc.note)
			}
			if w, ok := tc.src.(*scriptedWriter); ok && (w.calls > 0) != tc.wantWriteCall {
				t.Errorf("WriteBack called %d times", w.calls)
			}
		})
	}
}

// Against AFAS (a fake serving AFAS's real shapes) the activity is
// idempotent: the second run finds the address in place and sends nothing.
func TestWriteBackToAFASIsIdempotent(t *testing.T) {
	srv := afastest.New()
	defer srv.Close()
	src, err := afas.New(afas.Config{BaseURL: srv.BaseURL(), Token: afastest.TokenXML}, afas.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	acts := &Activities{HR: src}
	in := WriteBackInput{EmployeeID: "1003", Email: "anne.vanrijn@contoso.example", UPN: "anne.vanrijn@contoso.example"}
	for i := range 2 {
		res, err := acts.WriteBack(context.Background(), in)
		if err != nil || !res.Supported {
			t.Fatalf("run %d: %+v, %v", i+1, res, err)
		}
	}
	srv.Lock()
	defer srv.Unlock()
	if len(srv.Updates) != 1 || srv.Refused != 0 || srv.Updates[0].Fields["EmAd"] != in.Email {
		t.Errorf("updates %+v, refused %d", srv.Updates, srv.Refused)
	}
}

// A snapshot the source cannot vouch for fails the reconciliation read: it
// never reaches planning, where the missing people would look like leavers.
func TestUntrustedSnapshotFailsTheReconcileRead(t *testing.T) {
	src := readOnlySource{snapErr: hr.Untrusted("afas", "ExternalID %q is on page 1 and again on page 2", "G-1")}
	acts := &Activities{HR: src, Now: func() time.Time { return time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) },
		Policy: testenv.NewPolicy(testenv.SmallOrg(0).Policy).Load}
	plan, err := acts.ComputeReconcilePlan(context.Background(), acts.now(), 0)
	if !errors.Is(err, hr.ErrUntrustedSnapshot) {
		t.Fatalf("ComputeReconcilePlan = %+v, %v; want an untrusted-snapshot error", plan.Summary, err)
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.NonRetryable() {
		t.Errorf("untrusted snapshot made non-retryable (a later read may be fine): %v", err)
	}
}
