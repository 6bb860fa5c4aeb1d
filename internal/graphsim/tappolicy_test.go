package graphsim

import (
	"testing"
)

const tapPolicyPath = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"

// TestTAPPolicy follows the tenant's Temporary Access Pass policy
// (https://learn.microsoft.com/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration):
// its defaults (1 to 8 hours, 1 hour by default, multi-use, 8 characters,
// https://learn.microsoft.com/entra/identity/authentication/howto-authentication-temporary-access-pass)
// bound every pass; a lifetime outside it answers 400 badRequest "Invalid
// LifetimeInMinutes specified. The valid range between 60 and 480." (quoted in
// microsoftgraph/microsoft-graph-docs PR #12187); with isUsableOnce on, a
// multi-use pass is refused; a new pass replaces the previous one.
func TestTAPPolicy(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	taps := "/users/" + jan + "/authentication/temporaryAccessPassMethods"

	r := e.must(200, "GET", tapPolicyPath, nil)
	want := map[string]any{"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration", "id": "TemporaryAccessPass",
		"state": "enabled", "minimumLifetimeInMinutes": 60.0, "maximumLifetimeInMinutes": 480.0, "defaultLifetimeInMinutes": 60.0,
		"isUsableOnce": false, "defaultLength": 8.0}
	for k, v := range want {
		if r.body[k] != v {
			t.Errorf("policy %s = %v, want %v", k, r.body[k], v)
		}
	}
	for _, n := range []int{59, 481} {
		r := e.do("POST", taps, map[string]any{"lifetimeInMinutes": n})
		if r.status != 400 || r.errCode() != "badRequest" || r.errMessage() != "Invalid LifetimeInMinutes specified. The valid range between 60 and 480." {
			t.Errorf("lifetime %d: %d %s", n, r.status, r.raw)
		}
	}
	first := e.must(201, "POST", taps, map[string]any{"lifetimeInMinutes": 480})
	second := e.must(201, "POST", taps, map[string]any{})
	if second.body["lifetimeInMinutes"] != 60.0 || second.body["isUsableOnce"] != false {
		t.Errorf("defaults from the policy: %s", second.raw)
	}
	if list := e.must(200, "GET", taps, nil).values(); len(list) != 1 || list[0]["id"] != second.body["id"] || list[0]["id"] == first.body["id"] {
		t.Errorf("a new pass must replace the old one: %v", list)
	}

	// Tighten the policy: one-time use, 2..4 hours, 12 characters.
	e.must(204, "PATCH", tapPolicyPath, map[string]any{
		"@odata.type":  "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
		"isUsableOnce": true, "minimumLifetimeInMinutes": 120, "maximumLifetimeInMinutes": 240, "defaultLifetimeInMinutes": 120, "defaultLength": 12,
	})
	if r := e.do("POST", taps, map[string]any{"isUsableOnce": false, "lifetimeInMinutes": 120}); r.status != 400 || r.errCode() != "badRequest" {
		t.Errorf("multi-use pass under a one-time policy: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", taps, map[string]any{"lifetimeInMinutes": 60}); r.status != 400 || r.errMessage() != "Invalid LifetimeInMinutes specified. The valid range between 120 and 240." {
		t.Errorf("lifetime below the new minimum: %d %s", r.status, r.raw)
	}
	p := e.must(201, "POST", taps, map[string]any{})
	if pass, _ := p.body["temporaryAccessPass"].(string); len(pass) != 12 || p.body["isUsableOnce"] != true || p.body["lifetimeInMinutes"] != 120.0 {
		t.Errorf("pass under the new policy: %s", p.raw)
	}
	// Invalid policies are refused and change nothing.
	for _, body := range []map[string]any{
		{"minimumLifetimeInMinutes": 5},
		{"minimumLifetimeInMinutes": 300},
		{"defaultLength": 60},
		{"state": "sometimes"},
		{"colour": "red"},
	} {
		if r := e.do("PATCH", tapPolicyPath, body); r.status != 400 {
			t.Errorf("PATCH %v: %d %s", body, r.status, r.raw)
		}
	}
	if r := e.must(200, "GET", tapPolicyPath, nil); r.body["minimumLifetimeInMinutes"] != 120.0 {
		t.Errorf("a refused PATCH changed the policy: %s", r.raw)
	}
	// Disabled: no passes.
	e.must(204, "PATCH", tapPolicyPath, map[string]any{"state": "disabled"})
	if r := e.do("POST", taps, map[string]any{}); r.status != 400 {
		t.Errorf("pass while disabled: %d %s", r.status, r.raw)
	}

	// Seedable, and kept by Snapshot.
	e2 := newEnv(t)
	once := true
	if err := e2.sim.Seed(Seed{TemporaryAccessPassPolicy: &SeedTAPPolicy{MaximumLifetimeInMinutes: 720, IsUsableOnce: &once}}); err != nil {
		t.Fatal(err)
	}
	if r := e2.must(200, "GET", tapPolicyPath, nil); r.body["maximumLifetimeInMinutes"] != 720.0 || r.body["isUsableOnce"] != true || r.body["minimumLifetimeInMinutes"] != 60.0 {
		t.Errorf("seeded policy = %s", r.raw)
	}
	if sp := e2.sim.Snapshot().TemporaryAccessPassPolicy; sp == nil || sp.MaximumLifetimeInMinutes != 720 {
		t.Errorf("snapshot policy = %+v", sp)
	}
	if err := e2.sim.Seed(Seed{TemporaryAccessPassPolicy: &SeedTAPPolicy{MinimumLifetimeInMinutes: 1}}); err == nil {
		t.Error("seeding an invalid policy succeeded")
	}
}
