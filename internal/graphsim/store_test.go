package graphsim

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// TestPersistTo checks dev mode's durable storage: every acknowledged write
// is in the database before the answer is sent, so a second simulator opening
// the same file, without the first being closed (as after kill -9), sees it all.
func TestPersistTo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenant.db")
	s1 := New()
	if err := s1.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s1)
	defer srv.Close()
	e := &testEnv{t: t, sim: s1, srv: srv}

	seed := baseSeed()
	seed.Groups[0].AssignedLicenses = []SeedGroupLicense{{SkuID: "SPE_E3"}}
	r := e.must(200, "POST", "/_sim/seed", seed)
	ids := r.body
	users := ids["users"].(map[string]any)
	jan, piet, anna := users["jan.devries@contoso.example"].(string), users["piet.jansen@contoso.example"].(string), users["anna.bakker@contoso.example"].(string)
	staff := ids["groups"].(map[string]any)["All Staff"].(string)
	sf := ids["servicePrincipals"].(map[string]any)["Salesforce"].(string)

	created := e.must(201, "POST", "/users", newUserBody("durable"))
	id := created.body["id"].(string)
	e.must(204, "PATCH", "/users/"+id, map[string]any{"jobTitle": "Keeper", "usageLocation": "NL", "mail": "durable@contoso.example"})
	e.must(204, "PUT", "/users/"+id+"/manager/$ref", ref(e, "users", jan))
	e.must(204, "POST", "/groups/"+staff+"/members/$ref", ref(e, "directoryObjects", id))
	e.must(201, "POST", "/users/"+id+"/appRoleAssignments", map[string]any{"principalId": id, "resourceId": sf, "appRoleId": "7ac6a3c1-6e1f-4d59-8a40-6b2c3e3b5a01"})
	e.must(201, "POST", "/users/"+id+"/authentication/temporaryAccessPassMethods", map[string]any{})
	e.must(200, "POST", "/users/"+anna+"/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": "05e9a617-0261-4cee-bb44-138d3ef5d965"}}, "removeLicenses": []any{}})
	e.must(204, "PATCH", tapPolicyPath, map[string]any{"maximumLifetimeInMinutes": 600})
	e.must(202, "POST", "/users/"+id+"/sendMail", map[string]any{"message": map[string]any{"subject": "hi",
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "x@contoso.example"}}}}})
	e.must(204, "DELETE", "/users/"+piet, nil)
	// A refused write changes nothing and is not an error for the store.
	e.must(400, "PATCH", "/users/"+id, map[string]any{"employeeId": "12345678901234567"})

	// A second simulator on the same file, the first still open.
	s2 := New()
	if err := s2.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	u, ok := s2.User(id)
	if !ok || u["jobTitle"] != "Keeper" || u["mail"] != "durable@contoso.example" {
		t.Fatalf("reloaded user = %v", u)
	}
	if m, _ := s2.Manager(id); m != jan {
		t.Errorf("manager = %q", m)
	}
	if got := s2.UserLicenses(id); len(got) != 1 {
		t.Errorf("inherited licence lost: %v", got)
	}
	if k, _ := s2.SKU("SPE_E3"); k.ConsumedUnits != 2 {
		t.Errorf("consumedUnits = %d, want 2 (Anna direct, the new user via All Staff)", k.ConsumedUnits)
	}
	if _, ok := s2.TemporaryAccessPass(id); !ok {
		t.Error("TAP lost")
	}
	if len(s2.UserAppRoleAssignments(id)) != 1 || len(s2.SentMail()) != 1 {
		t.Error("app role assignment or mail lost")
	}
	if _, ok := s2.DeletedUser(piet); !ok {
		t.Error("soft-deleted user lost")
	}
	if !reflect.DeepEqual(s1.Snapshot(), s2.Snapshot()) {
		t.Errorf("snapshots differ:\n%+v\n%+v", s1.Snapshot(), s2.Snapshot())
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	// Writes through the second simulator reach a third; the restored user comes back.
	srv2 := httptest.NewServer(s2)
	defer srv2.Close()
	e2 := &testEnv{t: t, sim: s2, srv: srv2}
	e2.must(200, "POST", "/directory/deletedItems/"+piet+"/restore", nil)
	e2.must(204, "DELETE", "/groups/"+staff+"/members/"+id+"/$ref", nil)
	e2.must(201, "POST", "/users", newUserBody("third"))
	e2.must(204, "DELETE", "/users/"+anna, nil)
	e2.must(204, "DELETE", "/directory/deletedItems/"+anna, nil)
	e2.must(204, "DELETE", "/users/"+id+"/appRoleAssignments/"+s2.UserAppRoleAssignments(id)[0].ID, nil)
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := New()
	if err := s3.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if _, ok := s3.DeletedUser(anna); ok || len(s3.UserAppRoleAssignments(id)) != 0 {
		t.Error("hard delete or removed app role assignment not stored")
	}
	if k, _ := s3.SKU("SPE_E3"); k.ConsumedUnits != 0 {
		t.Errorf("consumedUnits after reload = %d, want 0", k.ConsumedUnits)
	}
	if _, ok := s3.User(piet); !ok || s3.UserCount() != 4 {
		t.Errorf("third simulator: piet restored %v, %d users", ok, s3.UserCount())
	}
	if got := s3.UserLicenses(id); len(got) != 0 {
		t.Errorf("licence still inherited after leaving the group: %v", got)
	}
	if r := e2.sim.Stats(); r.Writes == 0 {
		t.Error("no writes counted")
	}
	// Reset empties the stored tenant too.
	s3.Reset()
	s4 := New()
	if err := s4.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	defer s4.Close()
	if s4.UserCount() != 0 {
		t.Errorf("after Reset the store still has %d users", s4.UserCount())
	}
}

// TestPersistConcurrentWrites stores writes made in parallel (run with -race)
// and finds every one of them after a reload.
func TestPersistConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenant.db")
	s1 := New()
	if err := s1.Seed(Seed{Domains: []string{"contoso.example"}}); err != nil {
		t.Fatal(err)
	}
	if err := s1.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	srv := httptest.NewServer(s1)
	defer srv.Close()
	e := &testEnv{t: t, sim: s1, srv: srv}
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r := e.do("POST", "/users", newUserBody(fmt.Sprintf("w%d.u%d", w, i)))
				if r.status != 201 {
					errs <- fmt.Sprintf("worker %d user %d: %d %s", w, i, r.status, r.raw)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	s2 := New()
	if err := s2.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := s2.UserCount(); n != workers*each {
		t.Errorf("reloaded %d users, want %d", n, workers*each)
	}
}
