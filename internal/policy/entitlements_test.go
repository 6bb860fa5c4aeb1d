package policy

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func samplePolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := Parse("policy.yaml", []byte(designSample+`  - name: ict-contractors
    when: {department: ["ICT", "Infra"], employeeType: ["Contractor"]}
    groups: ["ICT Admins", "Contractors"]
`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEntitlements(t *testing.T) {
	p := samplePolicy(t)
	allStaff := []Grant{
		{Group("All Staff"), "all-staff"},
		{License("SPE_E3"), "all-staff"},
	}
	tests := []struct {
		name string
		a    Attributes
		want []Grant
	}{
		{"rule without when matches everyone", Attributes{Department: "HR"}, allStaff},
		{"empty attributes still match all-staff", Attributes{}, allStaff},
		{"department match", Attributes{Department: "ICT"}, []Grant{
			{Group("All Staff"), "all-staff"}, {Group("ICT Admins"), "ict"}, {License("SPE_E3"), "all-staff"}}},
		{"matching ignores case and surrounding spaces", Attributes{Department: " ict "}, []Grant{
			{Group("All Staff"), "all-staff"}, {Group("ICT Admins"), "ict"}, {License("SPE_E3"), "all-staff"}}},
		{"keys AND: Sales without M01 gets no leadership", Attributes{Department: "Sales", JobCode: "S02"}, allStaff},
		{"keys AND: M01 outside Sales gets no leadership", Attributes{Department: "ICT", JobCode: "M01"}, []Grant{
			{Group("All Staff"), "all-staff"}, {Group("ICT Admins"), "ict"}, {License("SPE_E3"), "all-staff"}}},
		{"both keys match", Attributes{Department: "Sales", JobCode: "m01"}, []Grant{
			{Group("All Staff"), "all-staff"}, {Group("Sales Leadership"), "sales-leads"},
			{License("SPE_E3"), "all-staff"}, {AppRoleOf("Salesforce", "Standard User"), "sales-leads"}}},
		{"values OR, and one entitlement from two rules appears per rule", Attributes{Department: "ICT", EmployeeType: "Contractor"}, []Grant{
			{Group("All Staff"), "all-staff"}, {Group("Contractors"), "ict-contractors"},
			{Group("ICT Admins"), "ict"}, {Group("ICT Admins"), "ict-contractors"}, {License("SPE_E3"), "all-staff"}}},
		{"second listed value", Attributes{Department: "Infra", EmployeeType: "contractor"}, []Grant{
			{Group("All Staff"), "all-staff"}, {Group("Contractors"), "ict-contractors"},
			{Group("ICT Admins"), "ict-contractors"}, {License("SPE_E3"), "all-staff"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Entitlements(tt.a)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
			// Deterministic: the same answer every time.
			for range 5 {
				if again := p.Entitlements(tt.a); !reflect.DeepEqual(again, got) {
					t.Fatalf("not deterministic: %v vs %v", again, got)
				}
			}
		})
	}
}

func TestEntitlementStringsAndSources(t *testing.T) {
	for _, tt := range []struct {
		e    Entitlement
		want string
	}{
		{Group("ICT Admins"), "group:ICT Admins"},
		{License("SPE_E3"), "license:SPE_E3"},
		{AppRoleOf("Salesforce", "Standard User"), "appRole:Salesforce/Standard User"},
	} {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	if got := (Grant{Group("A"), "ict"}).Source(); got != "role:ict" {
		t.Errorf("Source() = %q", got)
	}
	if !Group("ICT Admins").Equal(Group("ict admins")) || Group("A").Equal(License("A")) ||
		AppRoleOf("a/b", "c").Equal(AppRoleOf("a", "b/c")) {
		t.Error("Equal is wrong")
	}
}

func TestManaged(t *testing.T) {
	p := samplePolicy(t)
	want := []Entitlement{
		Group("All Staff"), Group("Contractors"), Group("ICT Admins"), Group("Sales Leadership"),
		License("SPE_E3"), AppRoleOf("Salesforce", "Standard User"),
	}
	if got := p.Managed(); !reflect.DeepEqual(got, want) {
		t.Errorf("Managed() = %v\nwant %v", got, want)
	}
	for _, e := range want {
		if !p.IsManaged(e) {
			t.Errorf("IsManaged(%v) = false", e)
		}
	}
	for _, e := range []Entitlement{Group("Finance"), License("EMS"), AppRoleOf("Salesforce", "Admin"), License("All Staff")} {
		if p.IsManaged(e) {
			t.Errorf("IsManaged(%v) = true", e)
		}
	}
	if !p.IsManaged(Group("ict admins")) {
		t.Error("IsManaged is case-sensitive")
	}
}

func TestDiff(t *testing.T) {
	p := samplePolicy(t)
	tests := []struct {
		name       string
		have, want []Entitlement
		add, rm    []Entitlement
	}{
		{"new hire", nil, []Entitlement{License("SPE_E3"), Group("All Staff")},
			[]Entitlement{Group("All Staff"), License("SPE_E3")}, nil},
		{"nothing to do, case differs", []Entitlement{Group("all staff"), License("spe_e3")}, []Entitlement{Group("All Staff"), License("SPE_E3")},
			nil, nil},
		{"transfer removes the old managed group only", []Entitlement{Group("All Staff"), Group("ICT Admins"), Group("Project X"), License("SPE_E3")},
			[]Entitlement{Group("All Staff"), Group("Sales Leadership"), License("SPE_E3")},
			[]Entitlement{Group("Sales Leadership")}, []Entitlement{Group("ICT Admins")}},
		{"exit removes managed, keeps unmanaged", []Entitlement{Group("All Staff"), Group("Project X"), License("SPE_E3"), License("VISIO"),
			AppRoleOf("Salesforce", "Standard User"), AppRoleOf("Salesforce", "Admin")}, nil,
			nil, []Entitlement{Group("All Staff"), License("SPE_E3"), AppRoleOf("Salesforce", "Standard User")}},
		{"duplicates collapse", []Entitlement{Group("ICT Admins"), Group("ict admins")}, []Entitlement{Group("A"), Group("A")},
			[]Entitlement{Group("A")}, []Entitlement{Group("ICT Admins")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			add, rm := p.Diff(tt.have, tt.want)
			if !reflect.DeepEqual(add, tt.add) || !reflect.DeepEqual(rm, tt.rm) {
				t.Errorf("Diff = add %v remove %v, want add %v remove %v", add, rm, tt.add, tt.rm)
			}
			for _, e := range rm {
				if !p.IsManaged(e) {
					t.Errorf("removes unmanaged %v", e)
				}
			}
		})
	}
	// Whatever the input, nothing unmanaged is ever removed.
	have := []Entitlement{Group("Z"), Group("ICT Admins"), License("X"), AppRoleOf("App", "Role"), Group("All Staff")}
	_, rm := p.Diff(have, nil)
	for _, e := range rm {
		if !p.IsManaged(e) {
			t.Errorf("removes unmanaged %v", e)
		}
	}
	if !slices.IsSortedFunc(rm, Compare) {
		t.Errorf("remove not sorted: %v", rm)
	}
	if got := Distinct(p.Entitlements(Attributes{Department: "ICT", EmployeeType: "Contractor"})); len(got) != 4 {
		t.Errorf("Distinct = %v, want 4 entitlements", got)
	}
}

func TestGuard(t *testing.T) {
	g := Guard{MaxDisablePercent: 5, MaxDeletePercent: 2}
	tests := []struct {
		name                     string
		total, disables, deletes int
		tripped                  bool
		reason                   string
	}{
		{"nothing", 200, 0, 0, false, ""},
		{"exactly at the threshold passes", 200, 10, 4, false, ""},
		{"one above the disable threshold", 200, 11, 0, true, "plan disables 11 of 200 accounts (5.5%), above the 5% threshold; approval needed"},
		{"deletes above", 200, 0, 5, true, "plan deletes 5 of 200 accounts (2.5%), above the 2% threshold; approval needed"},
		{"both above", 100, 6, 3, true, "disables 6 of 100 accounts (6.0%), above the 5% threshold and deletes 3 of 100"},
		{"small organisation: one leaver of ten", 10, 1, 0, true, "10.0%"},
		{"empty organisation with a disable", 0, 1, 0, true, "disables 1 of 0 accounts (100.0%)"},
		{"empty organisation, empty plan", 0, 0, 0, false, ""},
		{"negative counts", 10, -1, 0, true, "invalid plan counts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.Check(tt.total, tt.disables, tt.deletes)
			if r.Tripped != tt.tripped || !strings.Contains(r.Reason, tt.reason) || (!tt.tripped && r.Reason != "") {
				t.Errorf("Check = %+v, want tripped %v reason containing %q", r, tt.tripped, tt.reason)
			}
			if r.Total != tt.total || r.Disables != tt.disables || r.MaxDisablePercent != 5 {
				t.Errorf("counts not echoed: %+v", r)
			}
		})
	}
	if r := (Guard{MaxDisablePercent: 0}).Check(1000, 1, 0); !r.Tripped {
		t.Error("a 0% threshold lets a disable through")
	}
	if r := (Guard{MaxDisablePercent: 2.5, MaxDeletePercent: 100}).Check(1000, 25, 1000); r.Tripped {
		t.Errorf("fractional threshold: %+v", r)
	}
}

func TestInScope(t *testing.T) {
	p := &Policy{Scope: Scope{Companies: []string{"Contoso B.V.", "Contoso Services B.V."}, EmployeeTypes: []string{"Employee", "Trainee"}}}
	tests := []struct {
		a    Attributes
		want bool
	}{
		{Attributes{Company: "Contoso B.V.", EmployeeType: "Employee"}, true},
		{Attributes{Company: "contoso services b.v.", EmployeeType: "TRAINEE", Department: "Any"}, true},
		{Attributes{Company: "Fabrikam", EmployeeType: "Employee"}, false},
		{Attributes{Company: "Contoso B.V.", EmployeeType: "Contractor"}, false},
		{Attributes{Company: "Contoso B.V."}, false},
		{Attributes{}, false},
	}
	for _, tt := range tests {
		if got := p.InScope(tt.a); got != tt.want {
			t.Errorf("InScope(%+v) = %v, want %v", tt.a, got, tt.want)
		}
	}
	if !(&Policy{}).InScope(Attributes{}) {
		t.Error("an empty scope must manage everyone")
	}
	dept := &Policy{Scope: Scope{Departments: []string{"ICT"}}}
	if !dept.InScope(Attributes{Department: "ict"}) || dept.InScope(Attributes{Department: "Sales"}) {
		t.Error("department scope wrong")
	}
}

// catalog is an in-test Catalog: the tenant's groups, SKUs and app roles.
type catalog struct {
	groups, skus []string
	roles        []AppRole
	verified     []string
	err          error
	calls        int
}

func missing(have, asked []string) []string {
	var out []string
	for _, a := range asked {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, a) }) {
			out = append(out, a)
		}
	}
	return out
}

func (c *catalog) MissingGroups(_ context.Context, names []string) ([]string, error) {
	c.calls++
	return missing(c.groups, names), c.err
}

func (c *catalog) MissingSKUs(_ context.Context, skus []string) ([]string, error) {
	c.calls++
	return missing(c.skus, skus), nil
}

func (c *catalog) MissingAppRoles(_ context.Context, roles []AppRole) ([]AppRole, error) {
	c.calls++
	var out []AppRole
	for _, r := range roles {
		if !slices.ContainsFunc(c.roles, func(h AppRole) bool { return strings.EqualFold(h.App, r.App) && strings.EqualFold(h.Role, r.Role) }) {
			out = append(out, r)
		}
	}
	return out, nil
}

// domainCatalog adds the optional domain check.
type domainCatalog struct{ *catalog }

func (d domainCatalog) DomainVerified(_ context.Context, domain string) (bool, error) {
	return slices.Contains(d.verified, domain), nil
}

func TestCheckTenant(t *testing.T) {
	p := samplePolicy(t)
	complete := &catalog{
		groups: []string{"all staff", "ICT Admins", "Sales Leadership", "Contractors", "Other"},
		skus:   []string{"SPE_E3"},
		roles:  []AppRole{{"Salesforce", "Standard User"}},
	}
	if err := p.CheckTenant(context.Background(), complete); err != nil {
		t.Fatalf("complete tenant: %v", err)
	}
	if complete.calls != 3 {
		t.Errorf("catalog asked %d times, want 3 (one per kind)", complete.calls)
	}

	lacking := &catalog{
		groups: []string{"All Staff", "Sales Leadership", "Contractors"},
		roles:  []AppRole{{"Salesforce", "Admin"}},
	}
	err := p.CheckTenant(context.Background(), lacking)
	// Lines in designSample: SPE_E3 on 20, ICT Admins on 23 (rule ict), the
	// app role on 27; the appended rule names ICT Admins on 30.
	assertErr(t, err,
		`policy.yaml:20: rule "all-staff": licence "SPE_E3" (SKU part number) is not among the tenant's subscriptions`,
		`policy.yaml:23: rule "ict": group "ICT Admins" does not exist in the tenant`,
		`policy.yaml:27: rule "sales-leads": app role "Standard User" of app "Salesforce" does not exist in the tenant`,
		`policy.yaml:30: rule "ict-contractors": group "ICT Admins" does not exist in the tenant`,
	)
	if n := len(strings.Split(err.Error(), "\n")); n != 4 {
		t.Errorf("%d problems reported, want 4:\n%v", n, err)
	}

	down := errors.New("graph unavailable")
	err = p.CheckTenant(context.Background(), &catalog{err: down})
	if !errors.Is(err, down) || !strings.Contains(err.Error(), "checking the policy's groups") {
		t.Errorf("catalog failure: %v", err)
	}

	dc := domainCatalog{&catalog{groups: complete.groups, skus: complete.skus, roles: complete.roles, verified: []string{"fabrikam.example"}}}
	assertErr(t, p.CheckTenant(context.Background(), dc), `policy.yaml:2: tenant.domain "contoso.example" is not a verified domain of the tenant`)
	dc.verified = []string{"contoso.example"}
	if err := p.CheckTenant(context.Background(), dc); err != nil {
		t.Errorf("verified domain: %v", err)
	}
}
