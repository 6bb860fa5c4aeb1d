package directory_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

// bulkUsers is more than one page of 999: the listings must follow
// @odata.nextLink (https://learn.microsoft.com/graph/paging).
const bulkUsers = 1300

// bulkTenant seeds bulkUsers users: user i holds SPE_E3 when i%3 != 0,
// VISIOCLIENT as well when i%5 == 0, and Salesforce's "standard" role when i
// is even, "admin" when it is odd and i%7 != 3 (over 999 assignments). It returns the simulator, a client and the
// seeded ids.
func bulkTenant(t *testing.T) (*graphsim.Sim, *directory.Client, graphsim.SeedResult) {
	t.Helper()
	sim := graphsim.New()
	seed := graphsim.Seed{
		Domains: []string{simDomain},
		SKUs:    []graphsim.SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 2 * bulkUsers}, {SkuPartNumber: "VISIOCLIENT", PrepaidUnits: bulkUsers}},
		ServicePrincipals: []graphsim.SeedServicePrincipal{{DisplayName: "Salesforce", AppRoles: []graphsim.SeedAppRole{
			{Value: "standard", DisplayName: "Standard User"}, {Value: "admin", DisplayName: "System Administrator"}}}},
	}
	for i := range bulkUsers {
		upn := fmt.Sprintf("bulk%04d@%s", i, simDomain)
		seed.Users = append(seed.Users, map[string]any{"displayName": upn, "userPrincipalName": upn,
			"employeeId": fmt.Sprintf("B%04d", i), "usageLocation": "NL"})
		if i%3 != 0 {
			seed.Licenses = append(seed.Licenses, graphsim.SeedLicense{User: upn, SKU: "SPE_E3"})
		}
		if i%5 == 0 {
			seed.Licenses = append(seed.Licenses, graphsim.SeedLicense{User: upn, SKU: "VISIOCLIENT"})
		}
		switch {
		case i%2 == 0:
			seed.AppRoleAssignments = append(seed.AppRoleAssignments, graphsim.SeedAppRoleAssignment{User: upn, ServicePrincipal: "Salesforce", AppRole: "standard"})
		case i%7 != 3:
			seed.AppRoleAssignments = append(seed.AppRoleAssignments, graphsim.SeedAppRoleAssignment{User: upn, ServicePrincipal: "Salesforce", AppRole: "admin"})
		}
	}
	ids, err := sim.SeedWithResult(seed)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"}, directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	return sim, c, ids
}

// ListUsersWithLicenses reads every user's licences in the user listing
// itself: two pages for 1300 users, one subscribedSkus read to name the
// skuIds, nothing per user.
func TestListUsersWithLicensesOnePagedListing(t *testing.T) {
	sim, c, ids := bulkTenant(t)
	ctx := context.Background()
	sim.ResetStats()
	got := map[string][]string{}
	if err := c.ListUsersWithLicenses(ctx, func(u directory.User) error {
		got[u.UserPrincipalName] = u.Licenses
		if u.EmployeeID == "" {
			t.Errorf("%s: employeeId not selected", u.UserPrincipalName)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != bulkUsers {
		t.Fatalf("listed %d users, want %d", len(got), bulkUsers)
	}
	for i := range bulkUsers {
		upn := fmt.Sprintf("bulk%04d@%s", i, simDomain)
		want := []string{}
		if i%3 != 0 {
			want = append(want, "SPE_E3")
		}
		if i%5 == 0 {
			want = append(want, "VISIOCLIENT")
		}
		have := slices.Clone(got[upn])
		slices.Sort(have)
		if !slices.Equal(have, want) {
			t.Errorf("%s licences %v, want %v", upn, have, want)
		}
	}
	st := sim.Stats()
	// One more user read when the endpoint refused the extended $select once.
	refused := 0
	if !c.ExtendedUserProperties() {
		refused = 1
	}
	if st.ByRoute["GET /users"] != 2+refused || st.ByRoute["GET /subscribedSkus"] != 1 || st.Reads != 3+refused || st.Writes != 0 {
		t.Errorf("requests %d reads %d writes %v, want two user pages and one subscribedSkus read", st.Reads, st.Writes, st.ByRoute)
	}
	if _, ok := ids.Users["bulk0000@"+simDomain]; !ok {
		t.Fatal("seed ids missing")
	}

	// The plain listing does not select assignedLicenses and leaves Licenses nil.
	sim.ResetStats()
	n := 0
	if err := c.ListUsers(ctx, func(u directory.User) error {
		n++
		if u.Licenses != nil {
			t.Errorf("%s: ListUsers filled Licenses %v", u.UserPrincipalName, u.Licenses)
		}
		return nil
	}); err != nil || n != bulkUsers {
		t.Fatalf("ListUsers: %d users, %v", n, err)
	}
	if st := sim.Stats(); st.ByRoute["GET /users"] != 2 || st.ByRoute["GET /subscribedSkus"] != 0 {
		t.Errorf("plain listing requests %v", st.ByRoute)
	}
}

// A failing subscribedSkus read fails the listing instead of reporting
// unnamed licences (which reconciliation would take for missing ones).
func TestListUsersWithLicensesNeedsSKUNames(t *testing.T) {
	sim, c, _ := bulkTenant(t)
	sim.InjectFault(graphsim.Fault{Method: "GET", Path: "/subscribedSkus", Status: 403, Count: 10})
	calls := 0
	err := c.ListUsersWithLicenses(context.Background(), func(directory.User) error { calls++; return nil })
	if err == nil || calls != 0 {
		t.Fatalf("err %v after %d users, want a failure before any user", err, calls)
	}
	if directory.KindOf(err) != directory.KindPermissionDenied {
		t.Errorf("error %v is not classified as a permission failure", err)
	}
}

// ListAppRoleAssignedTo lists one application's assignments across pages,
// each named by the role's value.
func TestListAppRoleAssignedToPages(t *testing.T) {
	sim, c, ids := bulkTenant(t)
	ctx := context.Background()
	spID := ids.ServicePrincipals["Salesforce"]
	// Resolving the application (cached) is what names the roles.
	if _, err := c.ResolveAppRoles(ctx, []directory.AppRole{{App: "Salesforce", Role: "Standard User"}}); err != nil {
		t.Fatal(err)
	}
	sim.ResetStats()
	byUser := map[string]directory.AppRole{}
	if err := c.ListAppRoleAssignedTo(ctx, spID, func(principal string, a directory.AppRoleAssignment) error {
		if _, dup := byUser[principal]; dup {
			t.Errorf("%s listed twice", principal)
		}
		if a.ResourceID != spID || a.AppRoleID == "" || a.ID == "" {
			t.Errorf("assignment %+v", a)
		}
		byUser[principal] = a.Role
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	standard, admin := 0, 0
	for i := range bulkUsers {
		id := ids.Users[fmt.Sprintf("bulk%04d@%s", i, simDomain)]
		r, ok := byUser[id]
		switch {
		case i%2 == 0:
			standard++
			if !ok || r != (directory.AppRole{App: "Salesforce", Role: "standard"}) {
				t.Errorf("user %d holds %v %v, want standard", i, r, ok)
			}
		case i%7 != 3:
			admin++
			if !ok || r != (directory.AppRole{App: "Salesforce", Role: "admin"}) {
				t.Errorf("user %d holds %v %v, want admin", i, r, ok)
			}
		case ok:
			t.Errorf("user %d holds %v, want nothing", i, r)
		}
	}
	if len(byUser) != standard+admin || standard+admin <= 999 {
		t.Fatalf("%d assignments listed, want %d (more than one page)", len(byUser), standard+admin)
	}
	if st := sim.Stats(); st.ByRoute["GET /servicePrincipals/{id}/appRoleAssignedTo"] != 2 || st.Reads != 2 {
		t.Errorf("requests %v, want two pages", st.ByRoute)
	}
}
