package devstack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/entralifecycle/engine/internal/graphsim"
)

func testSeed(upn string) graphsim.Seed {
	return graphsim.Seed{Domains: []string{"contoso.example"}, Users: []map[string]any{{
		"displayName": upn, "userPrincipalName": upn, "mailNickname": "x", "accountEnabled": true}}}
}

// A graph.json of an older dev stack is imported once into the new database; from then on
// the database is the tenant, and a write the simulator answered is in the file at once
// (another reader of the file, as after a crash, sees it).
func TestGraphImportsLegacyStateOnceAndStoresEveryWrite(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "graph.json")
	b, err := json.Marshal(testSeed("old@contoso.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(legacy, b, 0o600); err != nil {
		t.Fatal(err)
	}
	store := graphStore{database: filepath.Join(dir, GraphDatabaseFileName), importFile: legacy}
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	newSeed := testSeed("seed@contoso.example")
	g, err := startGraph(addr, &newSeed, store, 0, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.sim.User("old@contoso.example"); !ok {
		t.Fatal("the legacy tenant was not imported")
	}
	if _, ok := g.sim.User("seed@contoso.example"); ok {
		t.Fatal("the seed was applied although a legacy tenant was imported")
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Fatalf("graph.json still there after the import (%v)", err)
	}
	if _, err := os.Stat(legacy + ".imported"); err != nil {
		t.Fatalf("imported file not kept aside: %v", err)
	}

	// A user created through the API is stored before the answer.
	body, _ := json.Marshal(map[string]any{"displayName": "New", "userPrincipalName": "new@contoso.example",
		"mailNickname": "new", "accountEnabled": true, "passwordProfile": map[string]any{"password": "Xx-0123456789"}})
	resp, err := http.Post("http://"+addr+"/v1.0/users", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create user: status %d", resp.StatusCode)
	}
	reader := graphsim.New()
	if err := reader.PersistTo(store.database); err != nil {
		t.Fatal(err)
	}
	if _, ok := reader.User("new@contoso.example"); !ok {
		t.Fatal("an acknowledged write is not in the database")
	}
	_ = reader.Close()
	if err := g.stop(); err != nil {
		t.Fatal(err)
	}

	// Restart: the database wins over the seed; nothing is imported again.
	g2, err := startGraph(addr, &newSeed, store, 0, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = g2.stop() }()
	for _, upn := range []string{"old@contoso.example", "new@contoso.example"} {
		if _, ok := g2.sim.User(upn); !ok {
			t.Errorf("%s lost across the restart", upn)
		}
	}
	if _, ok := g2.sim.User("seed@contoso.example"); ok {
		t.Error("the seed replaced the stored tenant")
	}
}
