package directory_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

// laggingDirectory serves the simulator but answers the first employeeId
// lookup with an empty page, as a replica that has not yet seen a user
// created a moment ago does: Entra ID is eventually consistent
// (https://learn.microsoft.com/graph/aad-advanced-queries#consistency).
type laggingDirectory struct {
	sim    *graphsim.Sim
	misses atomic.Int32
}

func (l *laggingDirectory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/users") &&
		strings.Contains(r.URL.Query().Get("$filter"), "employeeId eq") && l.misses.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[]}`))
		return
	}
	l.sim.ServeHTTP(w, r)
}

func TestCreateAfterLostReplyWithLaggingReplica(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	u := f.create(t, f.person("lag"))
	lag := &laggingDirectory{sim: f.sim}
	lag.misses.Store(1)
	srv := httptest.NewServer(lag)
	defer srv.Close()
	c, err := directory.New(ctx, directory.Config{BaseURL: srv.URL + "/v1.0"})
	if err != nil {
		t.Fatal(err)
	}
	before := f.sim.UserCount()
	got, created, err := c.CreateUser(ctx, f.person("lag"))
	if err != nil || created || got.ID != u.ID {
		t.Fatalf("CreateUser = %s, created %v, %v; want the existing %s", got.ID, created, err, u.ID)
	}
	if f.sim.UserCount() != before {
		t.Fatal("a second user was created")
	}
}

func TestListAppRoleAssignedTo(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	a := f.create(t, f.person("ar1"))
	b := f.create(t, f.person("ar2"))
	for _, u := range []directory.User{a, b} {
		if err := f.client.AssignAppRole(ctx, u.ID, f.appRole); err != nil {
			t.Fatal(err)
		}
	}
	roles, err := f.client.ResolveAppRoles(ctx, []directory.AppRole{f.appRole})
	if err != nil {
		t.Fatal(err)
	}
	holders := map[string]directory.AppRole{}
	if err := f.client.ListAppRoleAssignedTo(ctx, roles[f.appRole].ResourceID, func(p string, as directory.AppRoleAssignment) error {
		holders[p] = as.Role
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := directory.AppRole{App: "Salesforce", Role: "standard"}
	if len(holders) != 2 || holders[a.ID] != want || holders[b.ID] != want {
		t.Fatalf("holders = %v, want both users holding %v", holders, want)
	}
}

// TestConcurrentUse runs lookups and writes from several goroutines on one
// client (run with -race).
func TestConcurrentUse(t *testing.T) {
	f := newSimFixture(t)
	ctx := context.Background()
	u := f.create(t, f.person("cc"))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%4 == 0 {
				f.client.Refresh()
			}
			ids, err := f.client.ResolveGroups(ctx, f.groups)
			if err != nil {
				errs <- err
				return
			}
			if _, err := f.client.ResolveSKUs(ctx, []string{f.sku}); err != nil {
				errs <- err
				return
			}
			if err := f.client.AddGroupMember(ctx, ids[f.groups[i%3]], u.ID); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := f.sim.UserGroups(u.ID); len(got) != 3 {
		t.Fatalf("groups = %v", got)
	}
}
