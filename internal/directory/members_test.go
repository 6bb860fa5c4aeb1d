package directory_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

// memberTenant seeds a tenant with two groups and n users and returns a
// client with the given group window.
func memberTenant(t *testing.T, n int, window time.Duration) (*graphsim.Sim, *directory.Client, graphsim.SeedResult, []string) {
	t.Helper()
	sim := graphsim.New()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	seed := graphsim.Seed{Domains: []string{"contoso.example"},
		Groups: []graphsim.SeedGroup{{DisplayName: "All Staff"}, {DisplayName: "Sales"}}}
	var upns []string
	for i := range n {
		upn := fmt.Sprintf("user%d@contoso.example", i)
		upns = append(upns, upn)
		seed.Users = append(seed.Users, map[string]any{"displayName": upn, "userPrincipalName": upn, "accountEnabled": true})
	}
	ids, err := sim.SeedWithResult(seed)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0", GroupAddWindow: window}, directory.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	var userIDs []string
	for _, u := range upns {
		userIDs = append(userIDs, ids.Users[u])
	}
	return sim, c, ids, userIDs
}

// addAll adds every user to group at once, each from its own goroutine, and reports the
// additions that failed.
func addAll(t *testing.T, c *directory.Client, group string, users []string) {
	t.Helper()
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.AddGroupMember(context.Background(), group, u)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("add %d: %v", i, err)
		}
	}
}

// Concurrent additions to the same group go out as PATCH /groups/{id} with
// members@odata.bind, at most 20 per request, each counted as one write.
func TestConcurrentGroupAdditionsFold(t *testing.T) {
	for _, tc := range []struct {
		name        string
		users       int
		wantPatches int
	}{
		{"one member: a single $ref POST", 1, 0},
		{"five members: one PATCH", 5, 1},
		{"forty-five members: three PATCHes", 45, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, c, ids, users := memberTenant(t, tc.users, 300*time.Millisecond)
			staff := ids.Groups["All Staff"]
			sim.ResetStats()
			addAll(t, c, staff, users)
			st := sim.Stats()
			if got := st.ByRoute["PATCH /groups/{id}"]; got != tc.wantPatches {
				t.Errorf("PATCHes = %d, want %d (%v)", got, tc.wantPatches, st.ByRoute)
			}
			wantWrites := tc.wantPatches
			if tc.users == 1 {
				wantWrites = 1
			}
			if st.Writes != wantWrites {
				t.Errorf("writes = %d, want %d (%v)", st.Writes, wantWrites, st.ByRoute)
			}
			for i := range users {
				if g := sim.UserGroups(fmt.Sprintf("user%d@contoso.example", i)); len(g) != 1 || g[0] != "All Staff" {
					t.Errorf("user%d groups = %v", i, g)
				}
			}
		})
	}
}

// A member already in the group makes Graph refuse the whole PATCH; the batch
// then adds one by one, and "already a member" is success for its caller.
func TestGroupAdditionsFallBackWhenOneIsAMember(t *testing.T) {
	sim, c, ids, users := memberTenant(t, 4, 200*time.Millisecond)
	staff := ids.Groups["All Staff"]
	if err := c.AddGroupMember(context.Background(), staff, users[0]); err != nil {
		t.Fatal(err)
	}
	sim.ResetStats()
	addAll(t, c, staff, users)
	st := sim.Stats()
	if st.ByRoute["PATCH /groups/{id}"] != 1 || st.ByRoute["POST /groups/{id}/members/$ref"] != 4 {
		t.Errorf("routes = %v, want one refused PATCH then four $ref POSTs", st.ByRoute)
	}
	for i := range users {
		if g := sim.UserGroups(fmt.Sprintf("user%d@contoso.example", i)); len(g) != 1 || g[0] != "All Staff" {
			t.Errorf("user%d groups = %v", i, g)
		}
	}
}

// A caller that gives up before its batch is sent is taken out of it; the
// others are added.
func TestGroupAdditionCancelledBeforeTheBatchLeaves(t *testing.T) {
	sim, c, ids, users := memberTenant(t, 3, time.Second)
	staff := ids.Groups["All Staff"]
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, len(users))
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx := context.Background()
			if i == 0 {
				cctx = ctx
			}
			errs[i] = c.AddGroupMember(cctx, staff, u)
		}()
	}
	time.Sleep(100 * time.Millisecond) // well inside the one-second window
	cancel()
	wg.Wait()
	if errs[0] == nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("errors = %v, want only the first cancelled", errs)
	}
	if g := sim.UserGroups("user0@contoso.example"); len(g) != 0 {
		t.Errorf("the cancelled addition happened: %v", g)
	}
	for _, u := range []string{"user1@contoso.example", "user2@contoso.example"} {
		if g := sim.UserGroups(u); len(g) != 1 {
			t.Errorf("%s groups = %v", u, g)
		}
	}
}

// Grant folds group additions of concurrent grants and still gives each its
// own result; with the window off each addition is its own request.
func TestGrantFoldsGroupsAcrossUsers(t *testing.T) {
	sim, c, ids, users := memberTenant(t, 6, 200*time.Millisecond)
	sim.ResetStats()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Grant(context.Background(), u, directory.Grant{GroupIDs: []string{ids.Groups["All Staff"], ids.Groups["Sales"]}}); err != nil {
				t.Errorf("grant %s: %v", u, err)
			}
		}()
	}
	wg.Wait()
	if st := sim.Stats(); st.Writes != 2 {
		t.Errorf("writes = %d, want 2 (one PATCH per group): %v", st.Writes, st.ByRoute)
	}

	sim2, c2, ids2, users2 := memberTenant(t, 3, -1)
	sim2.ResetStats()
	for _, u := range users2 {
		if err := c2.Grant(context.Background(), u, directory.Grant{GroupIDs: []string{ids2.Groups["All Staff"]}}); err != nil {
			t.Fatal(err)
		}
	}
	if st := sim2.Stats(); st.ByRoute["POST /groups/{id}/members/$ref"] != 3 || st.ByRoute["PATCH /groups/{id}"] != 0 {
		t.Errorf("without folding: %v", st.ByRoute)
	}
}

// Once a batch carried several additions, the directory is busy and the next
// batches stay open longer: additions to another group arriving 100 ms apart,
// each well past the 50 ms window, still go out as one PATCH, where an idle
// directory would have sent one request each.
func TestBusyGroupFoldsAdditionsArrivingApart(t *testing.T) {
	sim, c, ids, users := memberTenant(t, 9, 50*time.Millisecond)
	staff, sales := ids.Groups["All Staff"], ids.Groups["Sales"]
	var wg sync.WaitGroup
	group := staff
	add := func(u string) {
		defer wg.Done()
		if err := c.AddGroupMember(context.Background(), group, u); err != nil {
			t.Errorf("add %s: %v", u, err)
		}
	}
	for _, u := range users[:3] { // concurrent: one PATCH, and the group is busy
		wg.Add(1)
		go add(u)
	}
	wg.Wait()
	sim.ResetStats()
	group = sales
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i, u := range users[3:] {
		if i > 0 {
			<-tick.C
		}
		wg.Add(1)
		go add(u)
	}
	wg.Wait()
	st := sim.Stats()
	if st.Writes != 1 || st.ByRoute["PATCH /groups/{id}"] != 1 {
		t.Errorf("writes = %d (%v), want one PATCH for the six additions", st.Writes, st.ByRoute)
	}
	for i := range users {
		want := "All Staff"
		if i >= 3 {
			want = "Sales"
		}
		if g := sim.UserGroups(fmt.Sprintf("user%d@contoso.example", i)); len(g) != 1 || g[0] != want {
			t.Errorf("user%d groups = %v, want [%s]", i, g, want)
		}
	}
}
