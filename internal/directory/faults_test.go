package directory_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

// These tests inject faults into the simulator, so they run only against it.

func TestThrottleBurstHonoursRetryAfter(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	u := f.create(t, f.person("t1"))
	f.sim.ResetStats()
	// https://learn.microsoft.com/graph/throttling: a 429 carries Retry-After
	// in seconds; the client must wait that long before the next attempt.
	f.sim.InjectFault(graphsim.Fault{Method: "GET", Path: "/users", Status: 429, RetryAfter: 2, Count: 3})

	var attempts []time.Time
	var errs []error
	start := time.Now()
	err := directory.Retry(ctx, 5, func(ctx context.Context) error {
		attempts = append(attempts, time.Now())
		_, _, err := f.client.FindUserByEmployeeID(ctx, u.EmployeeID)
		errs = append(errs, err)
		return err
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("after the burst: %v", err)
	}
	if len(attempts) != 4 {
		t.Fatalf("attempts = %d, want 4 (3 throttled + 1)", len(attempts))
	}
	for i, e := range errs[:3] {
		de := wantKind(t, e, directory.KindThrottled)
		if !de.Retryable() || de.RetryAfter != 2*time.Second || directory.RetryAfter(e) != 2*time.Second {
			t.Fatalf("attempt %d: RetryAfter = %v, want 2s", i+1, de.RetryAfter)
		}
	}
	for i := 1; i < len(attempts); i++ {
		if gap := attempts[i].Sub(attempts[i-1]); gap < 2*time.Second {
			t.Errorf("wait before attempt %d = %v, want >= 2s (Retry-After)", i+1, gap)
		}
	}
	if elapsed < 6*time.Second {
		t.Errorf("total %v, want >= 6s", elapsed)
	}
	// The SDK's own retry handler is off: every attempt is one request.
	if n := f.sim.Stats().ByRoute["GET /users"]; n != 4 {
		t.Errorf("GET /users requests = %d, want 4", n)
	}
	t.Logf("burst of 3×429 (Retry-After: 2): 4 attempts, waits %v, total %v",
		[]time.Duration{attempts[1].Sub(attempts[0]).Round(time.Millisecond), attempts[2].Sub(attempts[1]).Round(time.Millisecond), attempts[3].Sub(attempts[2]).Round(time.Millisecond)},
		elapsed.Round(time.Millisecond))
}

func TestTransientStatusesAreRetryableAndNotRetriedBySDK(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	tests := []struct {
		status int
		kind   directory.Kind
	}{
		{429, directory.KindThrottled},
		{503, directory.KindUnavailable},
		{504, directory.KindUnavailable},
		{500, directory.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			f.sim.ResetStats()
			f.sim.InjectFault(graphsim.Fault{Method: "GET", Path: "/users", Status: tt.status, RetryAfter: 7, Count: 1})
			start := time.Now()
			_, _, err := f.client.FindUserByEmployeeID(ctx, "1")
			de := wantKind(t, err, tt.kind)
			if !directory.IsRetryable(err) || de.Status != tt.status {
				t.Fatalf("error %v: retryable %v", err, directory.IsRetryable(err))
			}
			if tt.status != 500 && de.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v, want 7s", de.RetryAfter)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("the call took %v: something waited for Retry-After inside the SDK", d)
			}
			if n := f.sim.Stats().ByRoute["GET /users"]; n != 1 {
				t.Errorf("requests = %d, want 1 (no SDK retry)", n)
			}
			if _, _, err := f.client.FindUserByEmployeeID(ctx, "1"); err != nil {
				t.Fatalf("after the fault: %v", err)
			}
		})
	}
}

func TestPermissionDeniedIsPermanentAndNamesThePermission(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	u := f.create(t, f.person("p1"))
	groups, err := f.client.ResolveGroups(ctx, f.groups)
	if err != nil {
		t.Fatal(err)
	}
	gid := groups[f.groups[0]]
	leave := time.Date(2027, 1, 1, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		fault  graphsim.Fault
		call   func(context.Context) error
		permit string
	}{
		{"create user", graphsim.Fault{Method: "POST", Path: "/users"},
			func(ctx context.Context) error { _, _, err := f.client.CreateUser(ctx, f.person("p2")); return err }, "User.ReadWrite.All"},
		{"set employeeLeaveDateTime", graphsim.Fault{Method: "PATCH", Path: "/users/{id}"},
			func(ctx context.Context) error {
				return f.client.PatchUser(ctx, u.ID, directory.UserAttributes{EmployeeLeaveDateTime: &leave})
			}, "User-LifeCycleInfo.ReadWrite.All"},
		{"disable", graphsim.Fault{Method: "PATCH", Path: "/users/{id}"},
			func(ctx context.Context) error { return f.client.DisableUser(ctx, u.ID) }, "User.EnableDisableAccount.All"},
		{"group member", graphsim.Fault{Method: "POST", Path: "/groups/{id}/members"},
			func(ctx context.Context) error { return f.client.AddGroupMember(ctx, gid, u.ID) }, "GroupMember.ReadWrite.All"},
		{"group members in a batch", graphsim.Fault{Method: "POST", Path: "/groups/{id}/members"},
			func(ctx context.Context) error { return f.client.AddToGroups(ctx, u.ID, []string{gid}) }, "GroupMember.ReadWrite.All"},
		{"licence", graphsim.Fault{Method: "POST", Path: "/users/{id}/assignLicense"},
			func(ctx context.Context) error { return f.client.AssignLicenses(ctx, u.ID, []string{f.sku}) }, "LicenseAssignment.ReadWrite.All"},
		{"app role", graphsim.Fault{Method: "POST", Path: "/users/{id}/appRoleAssignments"},
			func(ctx context.Context) error { return f.client.AssignAppRole(ctx, u.ID, f.appRole) }, "AppRoleAssignment.ReadWrite.All"},
		{"temporary access pass", graphsim.Fault{Method: "POST", Path: "/users/{id}/authentication"},
			func(ctx context.Context) error {
				_, err := f.client.CreateTemporaryAccessPass(ctx, u.ID, directory.TemporaryAccessPassOptions{})
				return err
			}, "UserAuthenticationMethod.ReadWrite.All"},
		{"send mail", graphsim.Fault{Method: "POST", Path: "/users/{id}/sendMail"},
			func(ctx context.Context) error {
				return f.client.SendMail(ctx, directory.Mail{To: []string{"x@" + simDomain}, Subject: "s", Body: "b"})
			}, "Mail.Send"},
		{"revoke sessions", graphsim.Fault{Method: "POST", Path: "/users/{id}/revokeSignInSessions"},
			func(ctx context.Context) error { return f.client.RevokeSignInSessions(ctx, u.ID) }, "User.RevokeSessions.All"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.sim.ClearFaults()
			tt.fault.Status, tt.fault.Count = 403, 10
			f.sim.InjectFault(tt.fault)
			defer f.sim.ClearFaults()
			calls := 0
			err := directory.Retry(ctx, 5, func(ctx context.Context) error { calls++; return tt.call(ctx) })
			de := wantKind(t, err, directory.KindPermissionDenied)
			if calls != 1 || de.Retryable() {
				t.Fatalf("a 403 was retried: %d calls", calls)
			}
			if !strings.Contains(de.Message, tt.permit) {
				t.Fatalf("message %q does not name %s", de.Message, tt.permit)
			}
			if de.Type() != "GraphPermissionDenied" {
				t.Fatalf("Type() = %q", de.Type())
			}
		})
	}
}

func TestThrottledInsideBatchIsRetryable(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	u := f.create(t, f.person("b1"))
	ids, err := f.client.ResolveGroups(ctx, f.groups)
	if err != nil {
		t.Fatal(err)
	}
	var gids []string
	for _, g := range f.groups {
		gids = append(gids, ids[g])
	}
	f.sim.InjectFault(graphsim.Fault{Method: "POST", Path: "/groups/{id}/members", Status: 429, RetryAfter: 1, Count: 1})
	err = f.client.AddToGroups(ctx, u.ID, gids)
	if de := wantKind(t, err, directory.KindThrottled); de.RetryAfter != time.Second {
		t.Fatalf("RetryAfter = %v, want 1s from the batch item's header", de.RetryAfter)
	}
	if err := directory.Retry(ctx, 3, func(ctx context.Context) error { return f.client.AddToGroups(ctx, u.ID, gids) }); err != nil {
		t.Fatal(err)
	}
	if got := f.sim.UserGroups(u.ID); len(got) != 3 {
		t.Fatalf("groups = %v, want 3", got)
	}
}

func TestUnreachableGraphIsANetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := directory.New(context.Background(), directory.Config{BaseURL: url + "/v1.0"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.FindUserByEmployeeID(context.Background(), "1001")
	if de := wantKind(t, err, directory.KindNetwork); !de.Retryable() {
		t.Fatal("network errors must be retryable")
	}
}

func TestMalformedErrorBodiesAreClassifiedWithoutPanic(t *testing.T) {
	bodies := []struct {
		status int
		body   string
		kind   directory.Kind
	}{
		{503, `not json`, directory.KindUnavailable},
		{503, `{"error":{}}`, directory.KindUnavailable},
		{403, `{"error":{"code":"Authorization_RequestDenied"}}`, directory.KindPermissionDenied},
		{400, `{}`, directory.KindInvalidValue},
		{404, ``, directory.KindNotFound},
	}
	for _, b := range bodies {
		t.Run(fmt.Sprintf("%d %s", b.status, b.body), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(b.status)
				_, _ = w.Write([]byte(b.body))
			}))
			defer srv.Close()
			c, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetUser(context.Background(), "x")
			de := wantKind(t, err, b.kind)
			_ = de.Error() // must not panic
		})
	}
}

func TestListUsersFollowsNextLink(t *testing.T) {
	f := newSimFixture(t)
	var seed []map[string]any
	for i := range 1010 {
		seed = append(seed, map[string]any{
			"displayName": fmt.Sprintf("Bulk %d", i), "userPrincipalName": fmt.Sprintf("bulk%04d@%s", i, simDomain), "employeeId": fmt.Sprintf("B%04d", i),
		})
	}
	if err := f.sim.Seed(graphsim.Seed{Users: seed}); err != nil {
		t.Fatal(err)
	}
	f.sim.ResetStats()
	seen := map[string]bool{}
	if err := f.client.ListUsers(context.Background(), func(u directory.User) error {
		if seen[u.ID] {
			return fmt.Errorf("user %s listed twice", u.ID)
		}
		seen[u.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := f.sim.UserCount()
	if len(seen) != want || want < 1010 {
		t.Fatalf("listed %d users, tenant has %d", len(seen), want)
	}
	refused := 0 // one more read when the endpoint refused the extended $select once
	if !f.client.ExtendedUserProperties() {
		refused = 1
	}
	if n := f.sim.Stats().ByRoute["GET /users"]; n != 2+refused {
		t.Fatalf("pages = %d, want 2 ($top=999 and one nextLink)", n)
	}
	stop := errors.New("stop")
	calls := 0
	if err := f.client.ListUsers(context.Background(), func(directory.User) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("callback error = %v after %d calls", err, calls)
	}
}

// TestRequestsForAFullyEntitledUser measures the Graph traffic of hiring one
// person: attributes, manager, three groups and one licence, with the names
// resolved beforehand (the policy loader resolves them at start).
func TestRequestsForAFullyEntitledUser(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	boss := f.create(t, f.person("m"))
	ids, err := f.client.ResolveGroups(ctx, f.groups)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.ResolveSKUs(ctx, []string{f.sku}); err != nil {
		t.Fatal(err)
	}
	var gids []string
	for _, g := range f.groups {
		gids = append(gids, ids[g])
	}

	measure := func(name string, hire func(directory.User) error, p directory.User) (int, graphsim.Stats) {
		f.sim.ResetStats()
		f.rec.reset()
		if err := hire(p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n, _ := f.rec.snapshot()
		st := f.sim.Stats()
		u, _, _ := f.client.FindUserByEmployeeID(ctx, p.EmployeeID)
		if got := f.sim.UserGroups(u.ID); len(got) != 3 {
			t.Fatalf("%s: groups = %v", name, got)
		}
		if got := f.sim.UserLicenses(u.ID); len(got) != 1 {
			t.Fatalf("%s: licences = %v", name, got)
		}
		if m, _ := f.sim.Manager(u.ID); m != boss.ID {
			t.Fatalf("%s: manager = %q", name, m)
		}
		routes := make([]string, 0, len(st.ByRoute))
		for r, c := range st.ByRoute {
			routes = append(routes, fmt.Sprintf("%s ×%d", r, c))
		}
		sort.Strings(routes)
		t.Logf("%s: %d HTTP requests, %d Graph operations (%d reads, %d writes): %s",
			name, n, st.Reads+st.Writes, st.Reads, st.Writes, strings.Join(routes, ", "))
		return n, st
	}

	batched, st := measure("create + Grant ($batch)", func(p directory.User) error {
		u, _, err := f.client.CreateUser(ctx, p)
		if err != nil {
			return err
		}
		return f.client.Grant(ctx, u.ID, directory.Grant{ManagerID: boss.ID, GroupIDs: gids, Licenses: []string{f.sku}})
	}, f.person("h1"))
	// Group additions go beside the $batch, folded with concurrent hires' additions to the
	// same groups (Config.GroupAddWindow): a lone hire sends one per group, side by side.
	if batched > 3+len(gids) || st.Reads+st.Writes > 7 {
		t.Errorf("batched hire took %d requests / %d operations, want <= %d / 7", batched, st.Reads+st.Writes, 3+len(gids))
	}

	single, _ := measure("create + one call per entitlement", func(p directory.User) error {
		u, _, err := f.client.CreateUser(ctx, p)
		if err != nil {
			return err
		}
		if err := f.client.SetManager(ctx, u.ID, boss.ID); err != nil {
			return err
		}
		for _, g := range gids {
			if err := f.client.AddGroupMember(ctx, g, u.ID); err != nil {
				return err
			}
		}
		return f.client.AssignLicenses(ctx, u.ID, []string{f.sku})
	}, f.person("h2"))
	if single <= batched {
		t.Errorf("one call per entitlement took %d requests, batched %d: batching saves nothing", single, batched)
	}
}
