package activities

import (
	"context"
	"encoding/json"
	"maps"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/file"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/reconcile"
	"github.com/entralifecycle/engine/internal/testenv"
)

// These tests run the reconciliation activities through the real
// msgraph-sdk-go directory client against the Graph simulator over HTTP and
// the real file HR connector.

type rcEnv struct {
	sim  *graphsim.Sim
	acts *Activities
	ids  graphsim.SeedResult
}

// newRCEnv is testenv.SmallOrg(n): n ICT employees whose accounts hold
// everything the policy grants (All Staff, ICT Admins, SPE_E3 and the
// Salesforce role) plus an unmanaged group, planned at planNow.
func newRCEnv(t *testing.T, n int) *rcEnv {
	t.Helper()
	w := testenv.New(t, testenv.SmallOrg(n))
	acts := &Activities{Directory: w.Dir, HR: w.Source, Logger: w.Logger, Now: func() time.Time { return planNow }, Policy: w.Policy.Load}
	return &rcEnv{sim: w.Sim, acts: acts, ids: w.IDs}
}

func TestReadEntraHeldEntitlements(t *testing.T) {
	e := newRCEnv(t, 3)
	p, err := e.acts.Policy(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.sim.ResetStats()
	accs, err := e.acts.ReadEntra(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(accs) != 3 {
		t.Fatalf("%d accounts, want 3", len(accs))
	}
	want := []policy.Entitlement{policy.Group("All Staff"), policy.Group("ICT Admins"), policy.License("SPE_E3"), policy.AppRoleOf("Salesforce", "Standard User")}
	for _, a := range accs {
		if !slices.Equal(a.Held, want) {
			t.Errorf("%s holds %v, want the managed %v (the unmanaged group left out)", a.User.EmployeeID, a.Held, want)
		}
	}
	st := e.sim.Stats()
	if st.Writes != 0 {
		t.Errorf("reading wrote %d times", st.Writes)
	}
	// One user listing (licences in it), one member listing per managed
	// group and one assignment listing per managed application, besides the
	// name lookups (two groups, the SKUs, the application); nothing per
	// account.
	users := 1
	if dc, ok := e.acts.Directory.(*directory.Client); ok && !dc.ExtendedUserProperties() {
		users++ // the endpoint refused the extended $select once
	}
	reads := map[string]int{"GET /users": users, "GET /groups/{id}/members": 2, "GET /servicePrincipals/{id}/appRoleAssignedTo": 1,
		"GET /groups": 2, "GET /subscribedSkus": 1, "GET /servicePrincipals": 1}
	if !maps.Equal(st.ByRoute, reads) {
		t.Errorf("reads %v, want %v", st.ByRoute, reads)
	}
}

// A licence or app role removed by hand shows as missing; one held that the
// account's department does not earn shows as held, so the plan removes it.
// The policy names the role by display name, Graph's assignment by id.
func TestReadEntraSeesHandEditedLicencesAndRoles(t *testing.T) {
	e := newRCEnv(t, 3)
	ctx := context.Background()
	p1, p2 := e.ids.Users["p1@contoso.example"], e.ids.Users["p2@contoso.example"]
	var assignment string
	for _, a := range e.sim.UserAppRoleAssignments(p2) {
		assignment = a.ID
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1.0/users/" + p1 + "/assignLicense", `{"addLicenses":[],"removeLicenses":["` + e.ids.SKUs["SPE_E3"] + `"]}`},
		{"DELETE", "/v1.0/users/" + p2 + "/appRoleAssignments/" + assignment, ""},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		e.sim.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
		}
	}
	p, err := e.acts.Policy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	accs, err := e.acts.ReadEntra(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	all := []policy.Entitlement{policy.Group("All Staff"), policy.Group("ICT Admins"), policy.License("SPE_E3"), policy.AppRoleOf("Salesforce", "Standard User")}
	want := map[string][]policy.Entitlement{
		"1": {all[0], all[1], all[3]},
		"2": {all[0], all[1], all[2]},
		"3": all,
	}
	for _, a := range accs {
		if !slices.Equal(a.Held, want[a.User.EmployeeID]) {
			t.Errorf("%s holds %v, want %v", a.User.EmployeeID, a.Held, want[a.User.EmployeeID])
		}
	}
	pg, err := e.acts.PlanReconcilePage(ctx, ReconcilePageInput{At: planNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Actions) != 2 || pg.Actions[0].Action != reconcile.ActionRepair || !slices.Equal(pg.Actions[0].Add, []policy.Entitlement{all[2]}) ||
		!slices.Equal(pg.Actions[1].Add, []policy.Entitlement{all[3]}) {
		t.Errorf("plan %+v, want a licence repair of 1 and an app role repair of 2", pg.Actions)
	}
}

func TestPlanReconcilePagesByCursor(t *testing.T) {
	e := newRCEnv(t, 0)
	var emps []hr.Employee
	for i := range 7 {
		emps = append(emps, emp("x"+strconv.Itoa(i), "ICT", "Contoso B.V.", d(2024, 1, 1), nil))
	}
	doc, _ := json.Marshal(map[string]any{"employees": emps})
	src, err := file.New(file.Config{}, file.WithLoader("test", func(context.Context) ([]byte, error) { return doc, nil }))
	if err != nil {
		t.Fatal(err)
	}
	e.acts.HR = src
	for _, cached := range []bool{true, false} {
		key := ""
		if cached {
			key = t.Name() + "/run"
		}
		var got []string
		after := ""
		for page := 0; ; page++ {
			pg, err := e.acts.PlanReconcilePage(context.Background(), ReconcilePageInput{PlanKey: key, At: planNow, After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if (page == 0) != (pg.Summary != nil) {
				t.Errorf("page %d summary %v", page, pg.Summary)
			}
			for _, a := range pg.Actions {
				got = append(got, a.EmployeeID)
			}
			if pg.Next == "" {
				break
			}
			after = pg.Next
		}
		if want := []string{"x0", "x1", "x2", "x3", "x4", "x5", "x6"}; !slices.Equal(got, want) {
			t.Errorf("cached=%v: pages gave %v, want %v", cached, got, want)
		}
	}
}

func TestApplyReconcilePageRepairsMinimally(t *testing.T) {
	e := newRCEnv(t, 2)
	ctx := context.Background()
	// Hand edits: p1 left ICT Admins and lost its licence.
	p1 := e.ids.Users["p1@contoso.example"]
	ictAdmins := e.ids.Groups["ICT Admins"]
	for _, c := range []struct{ method, path, body string }{
		{"DELETE", "/v1.0/groups/" + ictAdmins + "/members/" + p1 + "/$ref", ""},
		{"POST", "/v1.0/users/" + p1 + "/assignLicense", `{"addLicenses":[],"removeLicenses":["` + e.ids.SKUs["SPE_E3"] + `"]}`},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		e.sim.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
		}
	}
	pg, err := e.acts.PlanReconcilePage(ctx, ReconcilePageInput{At: planNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Actions) != 1 || pg.Actions[0].Action != reconcile.ActionRepair || pg.Actions[0].EmployeeID != "1" {
		t.Fatalf("plan %+v, want one repair of 1", pg.Actions)
	}
	e.sim.ResetStats()
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(e.acts)
	v, err := env.ExecuteActivity(e.acts.ApplyReconcilePage, ApplyReconcileInput{Actions: pg.Actions})
	if err != nil {
		t.Fatal(err)
	}
	var res ApplyReconcileResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	if res.Applied != 1 || res.Failed != 0 {
		t.Errorf("result %+v", res)
	}
	st := e.sim.Stats()
	if st.Writes != 2 || st.ByRoute["POST /groups/{id}/members/$ref"] != 1 || st.ByRoute["POST /users/{id}/assignLicense"] != 1 {
		t.Errorf("writes %d %v, want one member add and one licence assignment", st.Writes, st.ByRoute)
	}
	if gs := e.sim.UserGroups(p1); !slices.Contains(gs, "ICT Admins") || !slices.Contains(gs, "Unmanaged Club") {
		t.Errorf("groups after repair %v", gs)
	}
	if ls := e.sim.UserLicenses(p1); !slices.Equal(ls, []string{"SPE_E3"}) {
		t.Errorf("licences after repair %v", ls)
	}
}

// The plan cache belongs to the Activities value: two workers in one
// process (or two tests) never see each other's plans, and an entry older
// than planCacheTTL is not served.
func TestPlanCacheBelongsToActivities(t *testing.T) {
	now := planNow
	a := &Activities{Now: func() time.Time { return now }}
	b := &Activities{Now: func() time.Time { return now }}
	plan := reconcile.Plan{Actions: []reconcile.PlanAction{{EmployeeID: "1", Action: reconcile.ActionHire}}}
	a.storePlan("run/1", plan)
	if got, ok := a.cachedPlan("run/1"); !ok || len(got.Actions) != 1 {
		t.Fatalf("a's own plan: %v %v", got, ok)
	}
	if _, ok := b.cachedPlan("run/1"); ok {
		t.Fatal("b sees a's plan")
	}
	if _, ok := a.cachedPlan(""); ok {
		t.Fatal("an empty key must not be cached")
	}
	now = now.Add(planCacheTTL + time.Second)
	if _, ok := a.cachedPlan("run/1"); ok {
		t.Fatal("an expired plan is served")
	}
}
