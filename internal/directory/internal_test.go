package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{" 10 ", 10 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"1.5", 1500 * time.Millisecond},
		{"999999", time.Hour},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFromStatusClassifies(t *testing.T) {
	create := op{"create user 1001", permUserReadWrite}
	tests := []struct {
		name       string
		status     int
		code, msg  string
		retryAfter string
		wantKind   Kind
		wantRetry  time.Duration
		wantInMsg  string
	}{
		{"throttled", 429, "TooManyRequests", "Too many requests.", "2", KindThrottled, 2 * time.Second, "throttling"},
		{"unavailable", 503, "ServiceUnavailable", "x", "7", KindUnavailable, 7 * time.Second, "temporarily"},
		{"gateway timeout", 504, "GatewayTimeout", "x", "", KindUnavailable, 0, "temporarily"},
		{"internal", 500, "InternalServerError", "x", "", KindUnavailable, 0, "temporarily"},
		{"forbidden names permission", 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "", KindPermissionDenied, 0, "User.ReadWrite.All"},
		{"unauthorized", 401, "InvalidAuthenticationToken", "Access token validation failure.", "", KindUnauthenticated, 0, "credential"},
		{"not found", 404, "Request_ResourceNotFound", "Resource 'x' does not exist", "", KindNotFound, 0, "does not exist"},
		{"duplicate upn", 400, "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.", "", KindConflict, 0, "userPrincipalName"},
		{"usage location", 400, "Request_BadRequest", "License assignment cannot be done for user with invalid usage location.", "", KindUsageLocationMissing, 0, "usageLocation"},
		{"no seats", 400, "Request_BadRequest", "Subscription with SKU 05e9a617 does not have any available licenses.", "", KindNoSeats, 0, "seats"},
		{"invalid value", 400, "Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User'.", "", KindInvalidValue, 0, "usageLocation"},
		{"conflict 409", 409, "Conflict", "x", "", KindConflict, 0, "x"},
		{"teapot", 418, "", "", "", KindUnexpected, 0, "418"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fromStatus(create, tt.status, tt.code, tt.msg, tt.retryAfter, nil)
			if e.Kind != tt.wantKind {
				t.Fatalf("kind = %v, want %v", e.Kind, tt.wantKind)
			}
			if e.RetryAfter != tt.wantRetry {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.wantRetry)
			}
			if !strings.Contains(e.Error(), tt.wantInMsg) {
				t.Errorf("message %q lacks %q", e.Error(), tt.wantInMsg)
			}
			if e.Retryable() != tt.wantKind.Retryable() {
				t.Errorf("Retryable() = %v", e.Retryable())
			}
			if !strings.Contains(e.Error(), e.Type()) {
				t.Errorf("message %q lacks the type name %q", e.Error(), e.Type())
			}
		})
	}
}

func TestKindNamesAreStable(t *testing.T) {
	// These names are matched by workflows and scripts: changing one is a
	// breaking change.
	want := map[Kind]string{
		KindThrottled: "GraphThrottled", KindUnavailable: "GraphUnavailable", KindNetwork: "GraphNetwork",
		KindPermissionDenied: "GraphPermissionDenied", KindUnauthenticated: "GraphUnauthenticated",
		KindNotFound: "GraphNotFound", KindInvalidValue: "GraphInvalidValue", KindConflict: "GraphConflict",
		KindNoSeats: "GraphNoSeats", KindUsageLocationMissing: "GraphUsageLocationMissing", KindUnexpected: "GraphUnexpected",
	}
	for k, name := range want {
		if k.String() != name {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), name)
		}
		wantRetry := k == KindThrottled || k == KindUnavailable || k == KindNetwork
		if k.Retryable() != wantRetry {
			t.Errorf("%s.Retryable() = %v", name, k.Retryable())
		}
	}
}

func TestClassifyODataErrorWithoutMessageDoesNotPanic(t *testing.T) {
	// A malformed error body leaves the message nil; ODataError.Error()
	// would dereference it.
	oe := odataerrors.NewODataError()
	oe.SetStatusCode(503)
	h := abstractions.NewResponseHeaders()
	h.Add("Retry-After", "4")
	oe.SetResponseHeaders(h)
	err := classify(op{"list users", permUserRead}, oe)
	if KindOf(err) != KindUnavailable || RetryAfter(err) != 4*time.Second {
		t.Fatalf("classify = %v (kind %v, retry %v)", err, KindOf(err), RetryAfter(err))
	}
	main := odataerrors.NewMainError()
	main.SetCode(ptr("Authorization_RequestDenied"))
	oe2 := odataerrors.NewODataError()
	oe2.SetStatusCode(403)
	oe2.SetErrorEscaped(main)
	err = classify(op{"send mail as x", permMailSend}, oe2)
	if KindOf(err) != KindPermissionDenied || !strings.Contains(err.Error(), "Mail.Send") {
		t.Fatalf("classify = %v", err)
	}
}

func TestClassifyOtherErrors(t *testing.T) {
	o := op{"get user x", permUserRead}
	if err := classify(o, context.DeadlineExceeded); !errors.Is(err, context.DeadlineExceeded) || KindOf(err) != 0 {
		t.Errorf("context error = %v, kind %v", err, KindOf(err))
	}
	if err := classify(o, fmt.Errorf("post: %w", errors.New("boom"))); KindOf(err) != KindUnexpected || IsRetryable(err) {
		t.Errorf("plain error = %v", err)
	}
	already := &Error{Kind: KindConflict, Op: "x"}
	if err := classify(o, already); err != already {
		t.Errorf("classify changed an *Error: %v", err)
	}
	if classify(o, nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

func TestRetryHonoursRetryAfterAndStopsOnPermanent(t *testing.T) {
	ctx := context.Background()
	calls := 0
	start := time.Now()
	err := Retry(ctx, 5, func(context.Context) error {
		calls++
		if calls < 3 {
			return &Error{Kind: KindThrottled, RetryAfter: 50 * time.Millisecond}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Retry = %v after %d calls", err, calls)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("waited %v, want >= 100ms (two Retry-After of 50ms)", el)
	}

	calls = 0
	perm := &Error{Kind: KindPermissionDenied}
	if err := Retry(ctx, 5, func(context.Context) error { calls++; return perm }); !errors.Is(err, perm) || calls != 1 {
		t.Fatalf("permanent: err %v after %d calls", err, calls)
	}

	calls = 0
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	err = Retry(cctx, 5, func(context.Context) error { calls++; return &Error{Kind: KindThrottled, RetryAfter: time.Hour} })
	if !errors.Is(err, context.DeadlineExceeded) || calls != 1 || !IsRetryable(err) {
		t.Fatalf("cancelled: err %v after %d calls", err, calls)
	}
}

func TestFirstErrorPrefersPermanent(t *testing.T) {
	thr := &Error{Kind: KindThrottled, RetryAfter: time.Second}
	thrLong := &Error{Kind: KindThrottled, RetryAfter: 5 * time.Second}
	perm := &Error{Kind: KindInvalidValue}
	tests := []struct {
		in   []error
		want error
	}{
		{nil, nil},
		{[]error{nil, nil}, nil},
		{[]error{thr, perm, thrLong}, perm},
		{[]error{thr, nil, thrLong}, thrLong},
	}
	for i, tt := range tests {
		if got := firstError(tt.in); got != tt.want {
			t.Errorf("%d: firstError = %v, want %v", i, got, tt.want)
		}
	}
}

func TestDiff(t *testing.T) {
	hire := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	base := User{ID: "1", EmployeeID: "1001", GivenName: "Jan", Surname: "Vries", DisplayName: "Jan de Vries",
		JobTitle: "Beheerder", Department: "ICT", CostCenter: "4130", Division: "IT", EmployeeHireDate: hire,
		AccountEnabled: true, ProxyAddresses: []string{"SMTP:a@b"}}
	tests := []struct {
		name   string
		change func(*User)
		want   []string
	}{
		{"nothing", func(*User) {}, nil},
		{"ignored fields", func(u *User) { u.ID = "2"; u.AccountEnabled = false; u.ProxyAddresses = nil; u.ManagerID = "m" }, nil},
		{"job title", func(u *User) { u.JobTitle = "Manager" }, []string{"jobTitle"}},
		{"clear department", func(u *User) { u.Department = "" }, []string{"department"}},
		{"cost centre sends org data", func(u *User) { u.CostCenter = "5000" }, []string{"employeeOrgData"}},
		{"hire date", func(u *User) { u.EmployeeHireDate = hire.AddDate(0, 0, 1) }, []string{"employeeHireDate"}},
		{"sub-second time noise", func(u *User) { u.EmployeeHireDate = hire.Add(300 * time.Millisecond) }, nil},
		{"leave", func(u *User) { u.EmployeeLeaveDateTime = hire.AddDate(1, 0, 0) }, []string{"employeeLeaveDateTime"}},
		{"names", func(u *User) { u.GivenName = "Johan"; u.DisplayName = "Johan de Vries" }, []string{"givenName", "displayName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base
			tt.change(&d)
			got := Diff(base, d)
			if !slices.Equal(got.Fields(), tt.want) {
				t.Fatalf("Diff fields = %v, want %v", got.Fields(), tt.want)
			}
			if got.IsEmpty() != (len(tt.want) == 0) {
				t.Errorf("IsEmpty = %v", got.IsEmpty())
			}
		})
	}
	// Org data travels whole: a cost-centre change carries the division too.
	d := base
	d.CostCenter = "5000"
	a := Diff(base, d)
	if a.CostCenter == nil || *a.CostCenter != "5000" || a.Division == nil || *a.Division != "IT" {
		t.Errorf("org data = %v / %v", a.CostCenter, a.Division)
	}
}

func TestTemporaryAccessPassNeverPrintsThePass(t *testing.T) {
	tap := TemporaryAccessPass{ID: "m1", Pass: "S3cret-P@ss", Start: time.Now(), Lifetime: time.Hour}
	var logged strings.Builder
	outputs := []string{
		fmt.Sprint(tap), fmt.Sprintf("%v %+v %#v %s %q", tap, tap, tap, tap, tap), tap.String(), tap.GoString(),
		fmt.Sprint(&tap), fmt.Sprintf("%v", []TemporaryAccessPass{tap}),
	}
	for _, out := range outputs {
		if strings.Contains(out, tap.Pass) {
			t.Errorf("output shows the pass: %s", out)
		}
	}
	l := slogTextLogger(&logged)
	l.Info("issued", "tap", tap)
	if strings.Contains(logged.String(), tap.Pass) || !strings.Contains(logged.String(), redacted) {
		t.Errorf("log shows the pass or lacks the redaction: %s", logged.String())
	}
}

func TestRandomPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		pw, err := randomPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 24 {
			t.Fatalf("len = %d", len(pw))
		}
		var up, lo, dg, sy bool
		for _, r := range pw {
			switch {
			case unicode.IsUpper(r):
				up = true
			case unicode.IsLower(r):
				lo = true
			case unicode.IsDigit(r):
				dg = true
			default:
				sy = true
			}
		}
		if !up || !lo || !dg || !sy {
			t.Fatalf("password %q lacks a character class", pw)
		}
		if seen[pw] {
			t.Fatal("repeated password")
		}
		seen[pw] = true
	}
}

func TestMatchRole(t *testing.T) {
	sp := servicePrincipal{ID: "sp", Roles: []appRoleDef{
		{ID: "r1", Value: "user", DisplayName: "Standard User"},
		{ID: "r2", Value: "admin", DisplayName: "Administrator"},
	}}
	noRoles := servicePrincipal{ID: "sp2"}
	tests := []struct {
		sp     servicePrincipal
		role   string
		want   string
		wantOK bool
	}{
		{sp, "user", "r1", true},
		{sp, "Standard User", "r1", true},
		{sp, "standard user", "r1", true},
		{sp, "admin", "r2", true},
		{sp, "owner", "", false},
		{sp, "", "", false},
		{noRoles, "", defaultAccessRoleID, true},
		{noRoles, "Default Access", defaultAccessRoleID, true},
		{noRoles, "user", "", false},
	}
	for _, tt := range tests {
		got, ok := matchRole(tt.sp, tt.role)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("matchRole(%s, %q) = %q, %v; want %q, %v", tt.sp.ID, tt.role, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"relative URL", Config{BaseURL: "graph/v1.0"}, "not an absolute"},
		{"plain http off loopback", Config{BaseURL: "http://graph.example/v1.0"}, "loopback"},
		{"secret without tenant", Config{BaseURL: DefaultBaseURL, ClientSecret: "s", ClientID: "c"}, "AZURE_TENANT_ID"},
		{"missing certificate", Config{BaseURL: DefaultBaseURL, TenantID: "t", ClientID: "c", CertificatePath: "/nonexistent/cert.pem"}, "AZURE_CLIENT_CERTIFICATE_PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(ctx, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one mentioning %q", err, tt.want)
			}
			if tt.cfg.ClientSecret != "" && strings.Contains(err.Error(), tt.cfg.ClientSecret+"\"") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestNewChoosesCredential(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"simulator", Config{BaseURL: "http://127.0.0.1:8234/v1.0"}, "anonymous"},
		{"secret first", Config{TenantID: "00000000-0000-0000-0000-000000000001", ClientID: "c", ClientSecret: "s", FederatedTokenFile: "/f", ManagedIdentity: true}, "client secret"},
		{"workload identity", Config{TenantID: "00000000-0000-0000-0000-000000000001", ClientID: "c", FederatedTokenFile: "/var/run/token"}, "workload identity"},
		{"managed identity", Config{ManagedIdentity: true}, "managed identity"},
		{"secret against the simulator", Config{BaseURL: "http://localhost:1/v1.0", TenantID: "00000000-0000-0000-0000-000000000001", ClientID: "c", ClientSecret: "s"}, "client secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(ctx, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if c.Credential() != tt.want {
				t.Errorf("credential = %q, want %q", c.Credential(), tt.want)
			}
		})
	}
}

func slogTextLogger(w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

// The directory is busy for busyGroupFor after a batch of several additions:
// every group's batches then stay open busyGroupAddWindow; afterwards the
// configured window comes back. Batches of one addition never make it busy.
func TestMemberBatcherWindow(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	m := newMemberBatcher(nil, 150*time.Millisecond)
	m.now = func() time.Time { return now }
	if w := m.windowFor(); w != 150*time.Millisecond {
		t.Fatalf("idle: %v", w)
	}
	m.flush(&memberBatch{group: "g", adds: nil})
	if w := m.windowFor(); w != 150*time.Millisecond {
		t.Fatalf("an empty batch made the directory busy: %v", w)
	}
	m.busy = now
	now = now.Add(busyGroupFor - time.Second)
	if w := m.windowFor(); w != busyGroupAddWindow {
		t.Fatalf("busy: %v, want %v", w, busyGroupAddWindow)
	}
	now = now.Add(time.Second)
	if w := m.windowFor(); w != 150*time.Millisecond {
		t.Fatalf("quiet for %v: %v", busyGroupFor, w)
	}
}
