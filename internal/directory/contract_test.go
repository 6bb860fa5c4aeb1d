package directory_test

// The contract suite drives *directory.Client (the real Graph SDK over HTTP)
// against the Graph simulator and, when the environment names one, against a
// real tenant:
//
//	AZURE_TENANT_ID, AZURE_CLIENT_ID and one of AZURE_CLIENT_SECRET /
//	AZURE_CLIENT_CERTIFICATE_PATH / AZURE_FEDERATED_TOKEN_FILE
//	LIFECYCLE_GRAPH_BASE_URL          e.g. https://graph.microsoft.com/v1.0
//	LIFECYCLE_CONTRACT_DOMAIN         a verified domain for test UPNs
//	LIFECYCLE_CONTRACT_GROUPS         three existing group names, comma-separated
//	LIFECYCLE_CONTRACT_SKU            a skuPartNumber with free seats
//	LIFECYCLE_CONTRACT_APP_ROLE       "Application/Role" assignable to users
//	LIFECYCLE_CONTRACT_MAIL_SENDER    a mailbox the application may send as
//
// The tenant run creates users named lc-contract-* and deletes them again.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

// The client is the activities' directory port.
var _ activities.Directory = (*directory.Client)(nil)

const simDomain = "contoso.example"

// fixture is one directory to run the contract against.
type fixture struct {
	name    string
	client  *directory.Client
	rec     *recorder
	sim     *graphsim.Sim // nil for a real tenant
	srv     *httptest.Server
	domain  string
	groups  []string // three group display names
	sku     string
	appRole directory.AppRole
	sender  string
	prefix  string // employeeId prefix unique to this run
	usage   string
}

// recorder is an http.RoundTripper under the SDK that counts requests and
// keeps PATCH bodies (gunzipped) so tests can check what went on the wire.
type recorder struct {
	next http.RoundTripper

	mu      sync.Mutex
	count   int
	patches []string
	routes  []string
	// dropNext, when set, matches a request whose response is thrown away
	// after the server handled it: a reply lost on the way back.
	dropNext func(*http.Request) bool
}

// gunzipped returns the request body, uncompressed.
func gunzipped(req *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	if req.Header.Get("Content-Encoding") != "gzip" {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Method == http.MethodPatch {
		plain, err := gunzipped(req)
		if err != nil {
			return nil, err
		}
		body = plain
		req.Header.Del("Content-Encoding")
		req.ContentLength = int64(len(plain))
		req.Body = io.NopCloser(bytes.NewReader(plain))
	}
	r.mu.Lock()
	r.count++
	r.routes = append(r.routes, req.Method+" "+req.URL.Path)
	if body != nil {
		r.patches = append(r.patches, string(body))
	}
	drop := r.dropNext != nil && r.dropNext(req)
	if drop {
		r.dropNext = nil
	}
	r.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if err == nil && drop {
		resp.Body.Close()
		return nil, errors.New("connection reset by peer (reply lost)")
	}
	return resp, err
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count, r.patches, r.routes = 0, nil, nil
}

func (r *recorder) snapshot() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count, slices.Clone(r.patches)
}

func runID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newSimFixture starts a seeded simulator and a client on it.
func newSimFixture(t *testing.T) *fixture {
	t.Helper()
	sim := graphsim.New()
	if err := sim.Seed(graphsim.Seed{
		Domains: []string{simDomain},
		Groups: []graphsim.SeedGroup{
			{DisplayName: "All Staff"}, {DisplayName: "ICT Admins"}, {DisplayName: "Sales Leadership"}, {DisplayName: "Unmanaged"},
		},
		SKUs: []graphsim.SeedSKU{
			{SkuPartNumber: "SPE_E3", PrepaidUnits: 25},
			{SkuPartNumber: "VISIOCLIENT", PrepaidUnits: 1},
		},
		ServicePrincipals: []graphsim.SeedServicePrincipal{{
			DisplayName: "Salesforce",
			AppRoles:    []graphsim.SeedAppRole{{Value: "standard", DisplayName: "Standard User"}, {Value: "admin", DisplayName: "System Administrator"}},
		}},
		Users: []map[string]any{
			{"displayName": "Lifecycle Notifications", "userPrincipalName": "noreply@" + simDomain, "mail": "noreply@" + simDomain},
			{"displayName": "Visio Holder", "userPrincipalName": "visio.holder@" + simDomain, "usageLocation": "NL", "employeeId": "9000"},
		},
		Licenses: []graphsim.SeedLicense{{User: "visio.holder@" + simDomain, SKU: "VISIOCLIENT"}},
	}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	rec := &recorder{next: http.DefaultTransport}
	c, err := directory.New(context.Background(), directory.Config{
		BaseURL:    srv.URL + "/v1.0",
		MailSender: "noreply@" + simDomain,
	}, directory.WithTransport(rec), directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		name: "simulator", client: c, rec: rec, sim: sim, srv: srv, domain: simDomain,
		groups: []string{"All Staff", "ICT Admins", "Sales Leadership"}, sku: "SPE_E3",
		appRole: directory.AppRole{App: "Salesforce", Role: "Standard User"},
		sender:  "noreply@" + simDomain, prefix: "S" + runID(), usage: "NL",
	}
}

// newTenantFixture returns a fixture on a real tenant, or nil when the
// environment does not name one.
func newTenantFixture(t *testing.T) *fixture {
	t.Helper()
	env := func(k string) string { return strings.TrimSpace(os.Getenv(k)) }
	needed := []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "LIFECYCLE_GRAPH_BASE_URL", "LIFECYCLE_CONTRACT_DOMAIN",
		"LIFECYCLE_CONTRACT_GROUPS", "LIFECYCLE_CONTRACT_SKU", "LIFECYCLE_CONTRACT_APP_ROLE", "LIFECYCLE_CONTRACT_MAIL_SENDER"}
	for _, k := range needed {
		if env(k) == "" {
			return nil
		}
	}
	if env("AZURE_CLIENT_SECRET") == "" && env("AZURE_CLIENT_CERTIFICATE_PATH") == "" && env("AZURE_FEDERATED_TOKEN_FILE") == "" {
		return nil
	}
	groups := strings.Split(env("LIFECYCLE_CONTRACT_GROUPS"), ",")
	app, role, ok := strings.Cut(env("LIFECYCLE_CONTRACT_APP_ROLE"), "/")
	if len(groups) < 3 || !ok {
		t.Fatalf("LIFECYCLE_CONTRACT_GROUPS needs three names and LIFECYCLE_CONTRACT_APP_ROLE the form App/Role")
	}
	rec := &recorder{next: http.DefaultTransport}
	c, err := directory.New(context.Background(), directory.Config{
		BaseURL:            env("LIFECYCLE_GRAPH_BASE_URL"),
		TenantID:           env("AZURE_TENANT_ID"),
		ClientID:           env("AZURE_CLIENT_ID"),
		ClientSecret:       env("AZURE_CLIENT_SECRET"),
		CertificatePath:    env("AZURE_CLIENT_CERTIFICATE_PATH"),
		FederatedTokenFile: env("AZURE_FEDERATED_TOKEN_FILE"),
		MailSender:         env("LIFECYCLE_CONTRACT_MAIL_SENDER"),
	}, directory.WithTransport(rec), directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range groups {
		groups[i] = strings.TrimSpace(groups[i])
	}
	return &fixture{
		name: "tenant", client: c, rec: rec, domain: env("LIFECYCLE_CONTRACT_DOMAIN"), groups: groups[:3],
		sku: env("LIFECYCLE_CONTRACT_SKU"), appRole: directory.AppRole{App: strings.TrimSpace(app), Role: strings.TrimSpace(role)},
		sender: env("LIFECYCLE_CONTRACT_MAIL_SENDER"), prefix: "T" + runID(), usage: "NL",
	}
}

// person builds a test user with every attribute.
func (f *fixture) person(n string) directory.User {
	id := f.prefix + n
	local := "lc-contract-" + strings.ToLower(id)
	return directory.User{
		EmployeeID: id, GivenName: "Jan", Surname: "Vries " + n, DisplayName: "Jan de Vries " + n,
		UserPrincipalName: local + "@" + f.domain, MailNickname: local, Mail: local + "@" + f.domain,
		JobTitle: "Systeembeheerder", Department: "ICT", CompanyName: "Contoso B.V.", EmployeeType: "Employee",
		EmployeeHireDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), CostCenter: "4130", Division: "ICT Beheer",
		OfficeLocation: "Utrecht", UsageLocation: f.usage, AccountEnabled: false,
	}
}

// create makes a user and removes it when the test ends.
func (f *fixture) create(t *testing.T, u directory.User) directory.User {
	t.Helper()
	got, created, err := f.client.CreateUser(context.Background(), u)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", u.EmployeeID, err)
	}
	if !created {
		t.Fatalf("CreateUser(%s) found an existing user", u.EmployeeID)
	}
	t.Cleanup(func() { _ = f.client.DeleteUser(context.Background(), got.ID) })
	return got
}

func fixtures(t *testing.T) []*fixture {
	fs := []*fixture{newSimFixture(t)}
	if tf := newTenantFixture(t); tf != nil {
		fs = append(fs, tf)
	} else {
		t.Log("real tenant: skipped (set AZURE_* and LIFECYCLE_GRAPH_BASE_URL / LIFECYCLE_CONTRACT_* to run it)")
	}
	return fs
}

func wantKind(t *testing.T, err error, kind directory.Kind) *directory.Error {
	t.Helper()
	var de *directory.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *directory.Error", err, err)
	}
	if de.Kind != kind {
		t.Fatalf("error kind = %s, want %s: %v", de.Type(), kind, err)
	}
	return de
}

func TestContract(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) { contract(t, f) })
	}
}

func contract(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.client

	t.Run("create reads back every attribute", func(t *testing.T) {
		want := f.person("01")
		want.EmployeeLeaveDateTime = time.Date(2027, 6, 30, 15, 0, 0, 0, time.UTC)
		created := f.create(t, want)
		got, err := c.GetUser(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		want.ID = created.ID
		got.ProxyAddresses = nil
		if diff := directory.Diff(got, want); !diff.IsEmpty() {
			t.Fatalf("read back differs in %v:\n got  %+v\n want %+v", diff.Fields(), got, want)
		}
		if got.AccountEnabled {
			t.Error("account enabled, want disabled (created ahead of the start date)")
		}
		found, ok, err := c.FindUserByEmployeeID(ctx, want.EmployeeID)
		if err != nil || !ok || found.ID != created.ID {
			t.Fatalf("FindUserByEmployeeID = %+v, %v, %v", found, ok, err)
		}
		if u, ok, err := c.FindUserByUPN(ctx, want.UserPrincipalName); err != nil || !ok || u.ID != created.ID {
			t.Fatalf("FindUserByUPN = %v, %v", ok, err)
		}
		if u, ok, err := c.FindUserByMail(ctx, want.Mail); err != nil || !ok || u.ID != created.ID {
			t.Fatalf("FindUserByMail = %v, %v", ok, err)
		}
		if taken, err := c.AddressTaken(ctx, want.UserPrincipalName, ""); err != nil || !taken {
			t.Fatalf("AddressTaken(own UPN) = %v, %v", taken, err)
		}
		if taken, err := c.AddressTaken(ctx, want.UserPrincipalName, created.ID); err != nil || taken {
			t.Fatalf("AddressTaken(own UPN, except self) = %v, %v", taken, err)
		}
		if _, ok, err := c.FindUserByEmployeeID(ctx, f.prefix+"none"); err != nil || ok {
			t.Fatalf("FindUserByEmployeeID(unknown) = %v, %v", ok, err)
		}
	})

	t.Run("create is idempotent", func(t *testing.T) {
		u := f.person("02")
		first := f.create(t, u)
		again, created, err := c.CreateUser(ctx, u)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("second CreateUser = %s, created %v, %v; want %s, false", again.ID, created, err, first.ID)
		}
	})

	t.Run("create after a lost reply finds the user it created", func(t *testing.T) {
		u := f.person("03")
		f.rec.mu.Lock()
		f.rec.dropNext = func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/users")
		}
		f.rec.mu.Unlock()
		_, _, err := c.CreateUser(ctx, u)
		de := wantKind(t, err, directory.KindNetwork)
		if !de.Retryable() {
			t.Fatal("a lost reply must be retryable")
		}
		var got directory.User
		err = directory.Retry(ctx, 5, func(ctx context.Context) error {
			var created bool
			var err error
			got, created, err = c.CreateUser(ctx, u)
			if err == nil && created {
				return errors.New("the retry created a second user")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.DeleteUser(context.Background(), got.ID) })
		if got.EmployeeID != u.EmployeeID {
			t.Fatalf("found %+v", got)
		}
	})

	t.Run("UPN taken by another person is a conflict naming it", func(t *testing.T) {
		first := f.create(t, f.person("04"))
		other := f.person("05")
		other.UserPrincipalName = first.UserPrincipalName
		_, _, err := c.CreateUser(ctx, other)
		de := wantKind(t, err, directory.KindConflict)
		if de.Retryable() || !strings.Contains(de.Message, first.EmployeeID) || !strings.Contains(de.Message, "userPrincipalName") {
			t.Fatalf("message %q should name the UPN and the holder's employeeId %s", de.Message, first.EmployeeID)
		}
	})

	t.Run("patch sends only changed attributes", func(t *testing.T) {
		u := f.create(t, f.person("06"))
		desired := f.person("06")
		desired.JobTitle = "Teamleider"
		desired.Department = "Sales"
		desired.OfficeLocation = "" // cleared
		desired.EmployeeLeaveDateTime = time.Date(2027, 1, 31, 16, 0, 0, 0, time.UTC)
		f.rec.reset()
		changed, err := c.UpdateUser(ctx, u.ID, desired)
		if err != nil {
			t.Fatal(err)
		}
		wantFields := []string{"jobTitle", "department", "employeeLeaveDateTime", "officeLocation"}
		if !slices.Equal(changed, wantFields) {
			t.Fatalf("changed = %v, want %v", changed, wantFields)
		}
		n, patches := f.rec.snapshot()
		if n != 2 || len(patches) != 1 {
			t.Fatalf("requests = %d, patches = %d; want one read and one PATCH", n, len(patches))
		}
		for _, field := range wantFields {
			if !strings.Contains(patches[0], `"`+field+`"`) {
				t.Errorf("PATCH body %s lacks %s", patches[0], field)
			}
		}
		for _, field := range []string{"givenName", "surname", "userPrincipalName", "companyName", "employeeOrgData", "accountEnabled"} {
			if strings.Contains(patches[0], `"`+field+`"`) {
				t.Errorf("PATCH body %s sends unchanged %s", patches[0], field)
			}
		}
		if !strings.Contains(patches[0], `"officeLocation":null`) {
			t.Errorf("PATCH body %s does not clear officeLocation with null", patches[0])
		}
		got, err := c.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.JobTitle != "Teamleider" || got.Department != "Sales" || got.OfficeLocation != "" || !got.EmployeeLeaveDateTime.Equal(desired.EmployeeLeaveDateTime) {
			t.Fatalf("after update: %+v", got)
		}
		f.rec.reset()
		if changed, err := c.UpdateUser(ctx, u.ID, desired); err != nil || len(changed) != 0 {
			t.Fatalf("second UpdateUser = %v, %v", changed, err)
		}
		if _, patches := f.rec.snapshot(); len(patches) != 0 {
			t.Fatalf("an unchanged user was patched: %v", patches)
		}
	})

	t.Run("enable and disable are idempotent", func(t *testing.T) {
		u := f.create(t, f.person("07"))
		for i := 0; i < 2; i++ {
			if err := c.EnableUser(ctx, u.ID); err != nil {
				t.Fatalf("EnableUser #%d: %v", i+1, err)
			}
		}
		if got, _ := c.GetUser(ctx, u.ID); !got.AccountEnabled {
			t.Fatal("not enabled")
		}
		for i := 0; i < 2; i++ {
			if err := c.DisableUser(ctx, u.ID); err != nil {
				t.Fatalf("DisableUser #%d: %v", i+1, err)
			}
		}
		if got, _ := c.GetUser(ctx, u.ID); got.AccountEnabled {
			t.Fatal("not disabled")
		}
	})

	t.Run("manager set, read and cleared", func(t *testing.T) {
		boss := f.create(t, f.person("08"))
		u := f.create(t, f.person("09"))
		if id, err := c.ManagerID(ctx, u.ID); err != nil || id != "" {
			t.Fatalf("ManagerID before = %q, %v", id, err)
		}
		for i := 0; i < 2; i++ {
			if err := c.SetManager(ctx, u.ID, boss.ID); err != nil {
				t.Fatalf("SetManager #%d: %v", i+1, err)
			}
		}
		if id, err := c.ManagerID(ctx, u.ID); err != nil || id != boss.ID {
			t.Fatalf("ManagerID = %q, %v; want %s", id, err, boss.ID)
		}
		for i := 0; i < 2; i++ {
			if err := c.ClearManager(ctx, u.ID); err != nil {
				t.Fatalf("ClearManager #%d: %v", i+1, err)
			}
		}
		if id, err := c.ManagerID(ctx, u.ID); err != nil || id != "" {
			t.Fatalf("ManagerID after clear = %q, %v", id, err)
		}
		if _, err := c.ManagerID(ctx, "00000000-0000-0000-0000-0000000000ff"); directory.KindOf(err) != directory.KindNotFound {
			t.Fatalf("ManagerID(unknown user) = %v, want GraphNotFound", err)
		}
	})

	t.Run("group membership is idempotent", func(t *testing.T) {
		u := f.create(t, f.person("10"))
		ids, err := c.ResolveGroups(ctx, f.groups)
		if err != nil {
			t.Fatal(err)
		}
		var gids []string
		for _, g := range f.groups {
			gids = append(gids, ids[g])
		}
		if err := c.AddToGroups(ctx, u.ID, gids); err != nil {
			t.Fatal(err)
		}
		if err := c.AddToGroups(ctx, u.ID, gids); err != nil {
			t.Fatalf("adding again (already a member): %v", err)
		}
		if err := c.AddGroupMember(ctx, gids[0], u.ID); err != nil {
			t.Fatalf("AddGroupMember of a member: %v", err)
		}
		got, err := c.GroupMemberships(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, g := range got {
			names = append(names, g.DisplayName)
		}
		slices.Sort(names)
		want := slices.Sorted(slices.Values(f.groups))
		if !slices.Equal(names, want) {
			t.Fatalf("memberships = %v, want %v", names, want)
		}
		if err := c.RemoveGroupMember(ctx, gids[0], u.ID); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveGroupMember(ctx, gids[0], u.ID); err != nil {
			t.Fatalf("removing a non-member: %v", err)
		}
		if err := c.RemoveFromGroups(ctx, u.ID, gids); err != nil {
			t.Fatalf("RemoveFromGroups (one already gone): %v", err)
		}
		if got, err := c.GroupMemberships(ctx, u.ID); err != nil || len(got) != 0 {
			t.Fatalf("memberships after removal = %v, %v", got, err)
		}
		var members int
		if err := c.ListGroupMembers(ctx, gids[1], func(m directory.User) error {
			if m.ID == u.ID {
				members++
			}
			return nil
		}); err != nil || members != 0 {
			t.Fatalf("ListGroupMembers still lists the user (%d) or failed: %v", members, err)
		}
	})

	t.Run("unknown names are refused with their names", func(t *testing.T) {
		_, err := c.ResolveGroups(ctx, []string{f.groups[0], "No Such Group " + f.prefix, "Nor This " + f.prefix})
		de := wantKind(t, err, directory.KindNotFound)
		var un *directory.UnknownNamesError
		if !errors.As(err, &un) || len(un.Names) != 2 || !strings.Contains(de.Message, "No Such Group") {
			t.Fatalf("error %v should list both missing groups", err)
		}
		_, err = c.ResolveSKUs(ctx, []string{"NO_SUCH_SKU"})
		if wantKind(t, err, directory.KindNotFound); !strings.Contains(err.Error(), "NO_SUCH_SKU") {
			t.Fatalf("error %v should name the SKU", err)
		}
		_, err = c.ResolveAppRoles(ctx, []directory.AppRole{{App: f.appRole.App, Role: "no-such-role"}, {App: "No Such App " + f.prefix, Role: "x"}})
		if wantKind(t, err, directory.KindNotFound); !strings.Contains(err.Error(), "no-such-role") || !strings.Contains(err.Error(), "No Such App") {
			t.Fatalf("error %v should name the role and the application", err)
		}
	})

	t.Run("licences assigned and removed idempotently", func(t *testing.T) {
		u := f.create(t, f.person("11"))
		for i := 0; i < 2; i++ {
			if err := c.AssignLicenses(ctx, u.ID, []string{f.sku}); err != nil {
				t.Fatalf("AssignLicenses #%d: %v", i+1, err)
			}
		}
		if got, err := c.Licenses(ctx, u.ID); err != nil || !slices.Equal(got, []string{f.sku}) {
			t.Fatalf("Licenses = %v, %v", got, err)
		}
		for i := 0; i < 2; i++ {
			if err := c.RemoveLicenses(ctx, u.ID, []string{f.sku}); err != nil {
				t.Fatalf("RemoveLicenses #%d: %v", i+1, err)
			}
		}
		if got, err := c.Licenses(ctx, u.ID); err != nil || len(got) != 0 {
			t.Fatalf("Licenses after removal = %v, %v", got, err)
		}
	})

	t.Run("licensing without usageLocation is refused", func(t *testing.T) {
		p := f.person("12")
		p.UsageLocation = ""
		u := f.create(t, p)
		err := c.AssignLicenses(ctx, u.ID, []string{f.sku})
		de := wantKind(t, err, directory.KindUsageLocationMissing)
		if de.Retryable() || !strings.Contains(de.Message, "usageLocation") {
			t.Fatalf("message %q", de.Message)
		}
	})

	t.Run("app roles assigned and removed idempotently", func(t *testing.T) {
		u := f.create(t, f.person("13"))
		for i := 0; i < 2; i++ {
			if err := c.AssignAppRole(ctx, u.ID, f.appRole); err != nil {
				t.Fatalf("AssignAppRole #%d: %v", i+1, err)
			}
		}
		held, err := c.AppRoleAssignments(ctx, u.ID)
		if err != nil || len(held) != 1 || held[0].Role.App != f.appRole.App {
			t.Fatalf("AppRoleAssignments = %+v, %v", held, err)
		}
		for i := 0; i < 2; i++ {
			if err := c.RemoveAppRole(ctx, u.ID, f.appRole); err != nil {
				t.Fatalf("RemoveAppRole #%d: %v", i+1, err)
			}
		}
		if held, err := c.AppRoleAssignments(ctx, u.ID); err != nil || len(held) != 0 {
			t.Fatalf("after removal: %+v, %v", held, err)
		}
	})

	t.Run("grant and entitlements", func(t *testing.T) {
		boss := f.create(t, f.person("14"))
		u := f.create(t, f.person("15"))
		ids, err := c.ResolveGroups(ctx, f.groups)
		if err != nil {
			t.Fatal(err)
		}
		g := directory.Grant{ManagerID: boss.ID, Licenses: []string{f.sku}, AppRoles: []directory.AppRole{f.appRole}}
		for _, name := range f.groups {
			g.GroupIDs = append(g.GroupIDs, ids[name])
		}
		for i := 0; i < 2; i++ {
			if err := c.Grant(ctx, u.ID, g); err != nil {
				t.Fatalf("Grant #%d: %v", i+1, err)
			}
		}
		f.rec.reset()
		e, err := c.Entitlements(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := f.rec.snapshot(); n != 1 {
			t.Errorf("Entitlements took %d requests, want 1 ($batch)", n)
		}
		if len(e.Groups) != 3 || !slices.Equal(e.Licenses, []string{f.sku}) || len(e.AppRoles) != 1 {
			t.Fatalf("entitlements = %+v", e)
		}
		if m, _ := c.ManagerID(ctx, u.ID); m != boss.ID {
			t.Fatalf("manager = %q, want %s", m, boss.ID)
		}
		// Holdings answers the same and the manager in one request; a user
		// without a manager holds none.
		for _, tc := range []struct {
			id, manager string
			groups      int
		}{{u.ID, boss.ID, 3}, {boss.ID, "", 0}} {
			f.rec.reset()
			h, err := c.Holdings(ctx, tc.id)
			if err != nil {
				t.Fatalf("Holdings(%s): %v", tc.id, err)
			}
			if n, _ := f.rec.snapshot(); n != 1 {
				t.Errorf("Holdings took %d requests, want 1 ($batch)", n)
			}
			if h.ManagerID != tc.manager || len(h.Groups) != tc.groups {
				t.Errorf("Holdings(%s) = manager %q, %d groups; want %q, %d", tc.id, h.ManagerID, len(h.Groups), tc.manager, tc.groups)
			}
		}
	})

	t.Run("sessions, temporary access pass and mail", func(t *testing.T) {
		u := f.create(t, f.person("16"))
		for i := 0; i < 2; i++ {
			if err := c.RevokeSignInSessions(ctx, u.ID); err != nil {
				t.Fatalf("RevokeSignInSessions #%d: %v", i+1, err)
			}
		}
		start := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
		tap, err := c.CreateTemporaryAccessPass(ctx, u.ID, directory.TemporaryAccessPassOptions{Start: start, Lifetime: 8 * time.Hour, UsableOnce: true})
		if err != nil {
			t.Fatal(err)
		}
		if tap.Pass == "" || tap.Lifetime != 8*time.Hour || !tap.UsableOnce || !tap.Start.Equal(start) {
			t.Fatalf("pass = %v (start %v, lifetime %v)", tap, tap.Start, tap.Lifetime)
		}
		if strings.Contains(fmt.Sprintf("%v %+v", tap, tap), tap.Pass) {
			t.Fatal("the pass is printable")
		}
		second, err := c.CreateTemporaryAccessPass(ctx, u.ID, directory.TemporaryAccessPassOptions{Lifetime: time.Hour})
		if err != nil || second.Pass == "" {
			t.Fatalf("second pass (replacing the first): %v", err)
		}
		mail := directory.Mail{To: []string{u.Mail}, Subject: "Welcome " + u.DisplayName, Body: "Your account is ready."}
		if err := c.SendMail(ctx, mail); err != nil {
			t.Fatal(err)
		}
		if f.sim != nil {
			if n := f.sim.SignInRevocations(u.ID); n != 2 {
				t.Errorf("sim saw %d revocations, want 2", n)
			}
			if p, ok := f.sim.TemporaryAccessPass(u.ID); !ok || p.Pass != second.Pass {
				t.Errorf("sim pass = %+v, %v", p, ok)
			}
			sent := f.sim.SentMail()
			if len(sent) == 0 || sent[len(sent)-1].Subject != mail.Subject || !slices.Equal(sent[len(sent)-1].To, mail.To) {
				t.Errorf("sim mail = %+v", sent)
			}
		}
	})

	t.Run("soft delete and restore are idempotent", func(t *testing.T) {
		u := f.create(t, f.person("17"))
		for i := 0; i < 2; i++ {
			if err := c.DeleteUser(ctx, u.ID); err != nil {
				t.Fatalf("DeleteUser #%d: %v", i+1, err)
			}
		}
		_, err := c.GetUser(ctx, u.ID)
		wantKind(t, err, directory.KindNotFound)
		if _, ok, err := c.FindUserByEmployeeID(ctx, u.EmployeeID); err != nil || ok {
			t.Fatalf("a deleted user is found: %v, %v", ok, err)
		}
		for i := 0; i < 2; i++ {
			got, err := c.RestoreUser(ctx, u.ID)
			if err != nil || got.ID != u.ID || got.EmployeeID != u.EmployeeID {
				t.Fatalf("RestoreUser #%d = %+v, %v", i+1, got, err)
			}
		}
		_, err = c.RestoreUser(ctx, "00000000-0000-0000-0000-0000000000fe")
		wantKind(t, err, directory.KindNotFound)
	})

	t.Run("a quote in an employee id cannot change the query", func(t *testing.T) {
		p := f.person("18")
		p.EmployeeID = f.prefix + "O'B"
		u := f.create(t, p)
		got, ok, err := c.FindUserByEmployeeID(ctx, p.EmployeeID)
		if err != nil || !ok || got.ID != u.ID {
			t.Fatalf("FindUserByEmployeeID(%q) = %+v, %v, %v", p.EmployeeID, got, ok, err)
		}
		for _, attack := range []string{"x' or employeeId ne 'x", "' or startswith(employeeId,'", "x') or (employeeId eq '" + p.EmployeeID} {
			_, ok, err := c.FindUserByEmployeeID(ctx, attack)
			if err != nil || ok {
				t.Fatalf("FindUserByEmployeeID(%q) = %v, %v; want not found", attack, ok, err)
			}
		}
	})

	t.Run("invalid values are permanent and explained", func(t *testing.T) {
		p := f.person("19")
		p.UserPrincipalName = "lc-contract-x@unverified-" + f.prefix + ".example"
		_, _, err := c.CreateUser(ctx, p)
		de := wantKind(t, err, directory.KindInvalidValue)
		if !strings.Contains(de.Message, "domain") {
			t.Fatalf("message %q should name the domain problem", de.Message)
		}
		p = f.person("20")
		p.UsageLocation = "Netherlands"
		_, _, err = c.CreateUser(ctx, p)
		de = wantKind(t, err, directory.KindInvalidValue)
		if !strings.Contains(de.Message, "usageLocation") {
			t.Fatalf("message %q should name usageLocation", de.Message)
		}
		_, _, err = c.CreateUser(ctx, directory.User{EmployeeID: "x"})
		wantKind(t, err, directory.KindInvalidValue)
	})
}
