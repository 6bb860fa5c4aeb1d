package graphsim

import (
	"testing"
)

// TestGroupBasedLicensing follows group-based licensing in Entra ID:
//   - assignedLicenses lists direct and inherited licences, and
//     licenseAssignmentStates tells them apart with assignedByGroup (null when
//     direct) (https://learn.microsoft.com/graph/api/resources/licenseassignmentstate,
//     https://learn.microsoft.com/entra/identity/users/licensing-group-advanced#direct-licenses-coexist-with-group-licenses);
//   - removing an inherited licence with assignLicense answers 400 "User license
//     is inherited from a group membership and it cannot be removed directly from
//     the user." (the message Microsoft's own script matches in
//     https://learn.microsoft.com/entra/identity/users/licensing-ps-examples);
//   - a user holding a SKU both ways takes one seat (subscribedSku consumedUnits);
//   - leaving the group removes the inherited licence.
func TestGroupBasedLicensing(t *testing.T) {
	e := newEnv(t)
	e3 := "05e9a617-0261-4cee-bb44-138d3ef5d965"
	res, err := e.sim.SeedWithResult(Seed{
		Domains: []string{"contoso.example"},
		SKUs:    []SeedSKU{{SkuID: e3, SkuPartNumber: "SPE_E3", PrepaidUnits: 10}},
		Groups:  []SeedGroup{{DisplayName: "Licence E3", AssignedLicenses: []SeedGroupLicense{{SkuID: "SPE_E3"}}, Members: []string{"jan@contoso.example"}}},
		Users: []map[string]any{
			{"userPrincipalName": "jan@contoso.example", "displayName": "Jan", "usageLocation": "NL"},
			{"userPrincipalName": "eva@contoso.example", "displayName": "Eva", "usageLocation": "NL"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	jan, eva, grp := res.Users["jan@contoso.example"], res.Users["eva@contoso.example"], res.Groups["Licence E3"]
	lic := func(skus ...string) map[string]any {
		add := []any{}
		for _, s := range skus {
			add = append(add, map[string]any{"skuId": s})
		}
		return map[string]any{"addLicenses": add, "removeLicenses": []any{}}
	}
	remove := map[string]any{"addLicenses": []any{}, "removeLicenses": []any{e3}}
	consumed := func() float64 {
		t.Helper()
		v := e.must(200, "GET", "/subscribedSkus", nil).values()
		return v[0]["consumedUnits"].(float64)
	}
	states := func(id string) []map[string]any {
		t.Helper()
		r := e.must(200, "GET", "/users/"+id+"?$select=assignedLicenses,licenseAssignmentStates", nil)
		if al, _ := r.body["assignedLicenses"].([]any); len(al) > 1 {
			t.Errorf("assignedLicenses lists a SKU twice: %s", r.raw)
		}
		var out []map[string]any
		for _, s := range r.body["licenseAssignmentStates"].([]any) {
			out = append(out, s.(map[string]any))
		}
		return out
	}

	// Inherited only.
	st := states(jan)
	if len(st) != 1 || st[0]["assignedByGroup"] != grp || st[0]["skuId"] != e3 {
		t.Fatalf("Jan's states = %v", st)
	}
	if got := e.sim.UserLicenses(jan); len(got) != 1 || got[0] != "SPE_E3" {
		t.Errorf("UserLicenses = %v", got)
	}
	if consumed() != 1 {
		t.Errorf("consumedUnits = %v, want 1", consumed())
	}
	r := e.do("POST", "/users/"+jan+"/assignLicense", remove)
	if r.status != 400 || r.errCode() != "Request_BadRequest" ||
		r.errMessage() != "User license is inherited from a group membership and it cannot be removed directly from the user." {
		t.Fatalf("removing an inherited licence: %d %s", r.status, r.raw)
	}

	// Direct and inherited: one seat, two states; the direct part can go.
	e.must(200, "POST", "/users/"+jan+"/assignLicense", lic(e3))
	st = states(jan)
	if len(st) != 2 || st[0]["assignedByGroup"] != nil || st[1]["assignedByGroup"] != grp {
		t.Fatalf("states with both = %v", st)
	}
	if consumed() != 1 {
		t.Errorf("consumedUnits with both = %v, want 1", consumed())
	}
	e.must(200, "POST", "/users/"+jan+"/assignLicense", remove)
	if st = states(jan); len(st) != 1 || st[0]["assignedByGroup"] != grp {
		t.Fatalf("after removing the direct part = %v", st)
	}

	// Joining and leaving the group.
	e.must(204, "POST", "/groups/"+grp+"/members/$ref", ref(e, "directoryObjects", eva))
	if st = states(eva); len(st) != 1 || consumed() != 2 {
		t.Fatalf("Eva after joining: %v, consumed %v", st, consumed())
	}
	e.must(204, "DELETE", "/groups/"+grp+"/members/"+eva+"/$ref", nil)
	if st = states(eva); len(st) != 0 || consumed() != 1 {
		t.Fatalf("Eva after leaving: %v, consumed %v", st, consumed())
	}
	// Soft delete frees the seat, restore takes it back.
	e.must(204, "DELETE", "/users/"+jan, nil)
	if consumed() != 0 {
		t.Errorf("consumed after deleting Jan = %v", consumed())
	}
	e.must(200, "POST", "/directory/deletedItems/"+jan+"/restore", nil)
	if consumed() != 1 {
		t.Errorf("consumed after restoring Jan = %v", consumed())
	}

	// Group assignLicense (https://learn.microsoft.com/graph/api/group-assignlicense): 202, members follow.
	g := e.must(202, "POST", "/groups/"+grp+"/assignLicense", remove)
	if g.body["id"] != grp {
		t.Errorf("group assignLicense body = %s", g.raw)
	}
	if st = states(jan); len(st) != 0 || consumed() != 0 {
		t.Fatalf("after the group lost E3: %v, consumed %v", st, consumed())
	}
	e.must(202, "POST", "/groups/"+grp+"/assignLicense", lic(e3))
	r = e.must(200, "GET", "/groups/"+grp+"?$select=id,assignedLicenses", nil)
	if al, _ := r.body["assignedLicenses"].([]any); len(al) != 1 {
		t.Errorf("group assignedLicenses = %s", r.raw)
	}
	if consumed() != 1 {
		t.Errorf("consumed after the group got E3 back = %v", consumed())
	}
	// The snapshot keeps group licences.
	snap := e.sim.Snapshot()
	if len(snap.Groups) != 1 || len(snap.Groups[0].AssignedLicenses) != 1 {
		t.Errorf("snapshot groups = %+v", snap.Groups)
	}
}
