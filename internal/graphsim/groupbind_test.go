package graphsim

import "testing"

// PATCH /groups/{id} with members@odata.bind adds up to 20 members in one
// request (https://learn.microsoft.com/graph/api/group-post-members, example
// 2; https://learn.microsoft.com/graph/api/group-update) and is one write for
// the statistics and the write quota, however many members it carries. One
// member already in the group makes Graph refuse the whole request with 400
// "One or more added object references already exist" and add nobody; a
// member that does not exist is 404 for the whole request.
func TestMembersBindIsOneAllOrNothingWrite(t *testing.T) {
	e, ids := seeded(t)
	staff, admins := ids.Groups["All Staff"], ids.Groups["ICT Admins"]
	jan, piet, anna := ids.Users["jan.devries@contoso.example"], ids.Users["piet.jansen@contoso.example"], ids.Users["anna.bakker@contoso.example"]
	bind := func(users ...string) map[string]any {
		var refs []any
		for _, u := range users {
			refs = append(refs, e.graph()+"/directoryObjects/"+u)
		}
		return map[string]any{"members@odata.bind": refs}
	}
	e.sim.ResetStats()
	e.must(204, "PATCH", "/groups/"+staff, bind(jan, piet, anna))
	if st := e.sim.Stats(); st.Writes != 1 || st.MaxWritesInWindow != 1 {
		t.Errorf("three members in one PATCH: %d writes (max in window %d), want 1", st.Writes, st.MaxWritesInWindow)
	}
	if got := e.sim.UserGroups(anna); len(got) != 1 || got[0] != "All Staff" {
		t.Errorf("anna's groups = %v", got)
	}

	e.must(204, "POST", "/groups/"+admins+"/members/$ref", ref(e, "directoryObjects", jan))
	r := e.do("PATCH", "/groups/"+admins, bind(piet, jan, anna))
	if r.status != 400 || r.errCode() != "Request_BadRequest" {
		t.Fatalf("bind with an existing member: %d %s", r.status, r.raw)
	}
	r = e.do("PATCH", "/groups/"+admins, bind(piet, newGUID()))
	if r.status != 404 {
		t.Fatalf("bind with an unknown object: %d %s", r.status, r.raw)
	}
	for _, u := range []string{piet, anna} {
		for _, g := range e.sim.UserGroups(u) {
			if g == "ICT Admins" {
				t.Errorf("a refused PATCH added %s", u)
			}
		}
	}
}
