package afas

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/afas/afastest"
)

func fixtureSource(t *testing.T, srv *afastest.Server, cfg Config) *Source {
	t.Helper()
	cfg.BaseURL, cfg.Token = srv.BaseURL(), afastest.TokenXML
	s, err := New(cfg, WithHTTPClient(srv.Client()), WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFixtureSnapshotSortsByUniqueColumnsAndSendsIntegrationID(t *testing.T) {
	srv := afastest.New()
	defer srv.Close()
	s := fixtureSource(t, srv, Config{PageSize: 2, IntegrationID: "12345_135624"})
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Employees) != 3 || len(snap.Rejected) != 0 {
		t.Fatalf("employees %d, rejected %+v", len(snap.Employees), snap.Rejected)
	}
	anne, _ := snap.Find("1003")
	if anne.FullName() != "Anne van Rijn-Vos" || anne.Contracts[0].ManagerEmployeeID != "1002" {
		t.Errorf("1003 = %q, %+v", anne.FullName(), anne.Contracts)
	}
	srv.Lock()
	defer srv.Unlock()
	var employmentCalls int
	for _, c := range srv.Calls {
		if strings.Contains(c, afastest.EmploymentsConnector) {
			employmentCalls++
			if !strings.Contains(c, "orderbyfieldids=ExternalID%2CMedewerker%2CBegindatum_functie") {
				t.Errorf("employment page not sorted by the unique column set: %s", c)
			}
		}
	}
	if employmentCalls != 2 {
		t.Errorf("employment pages read: %d, want 2", employmentCalls)
	}
	for i, id := range srv.IntegrationIDs {
		if id != "12345_135624" {
			t.Errorf("request %d carried IntegrationId %q", i, id)
		}
	}
}

func TestRowsMovingAcrossPagesFailTheSnapshot(t *testing.T) {
	srv := afastest.New()
	defer srv.Close()
	srv.Lock()
	srv.EmploymentPages = map[int]json.RawMessage{
		0: afastest.Fixture("employments_moved_page1.json"),
		2: afastest.Fixture("employments_moved_page2.json"),
	}
	srv.Unlock()
	s := fixtureSource(t, srv, Config{PageSize: 2})
	snap, err := s.Snapshot(context.Background())
	if !errors.Is(err, hr.ErrUntrustedSnapshot) {
		t.Fatalf("Snapshot = %d employees, %v; want an untrusted snapshot", len(snap.Employees), err)
	}
	for _, want := range []string{"0B6D1F3E-2C55-4E1A-9F0B-1002000000A1", "page 1 and again on page 2", "ExternalID,Medewerker,Begindatum_functie"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDuplicateExternalIDRejectsInsteadOfRenaming(t *testing.T) {
	emp := json.RawMessage(`{"Medewerker":"7","Persoonsnummer":"P7","Voornaam":"Jo","Achternaam":"Dam","Naamgebruik_code":"0"}`)
	job := json.RawMessage(`{"ExternalID":"G-1","Medewerker":"7","Begindatum_contract":"2024-01-01T00:00:00Z","Begindatum_functie":"2024-01-01T00:00:00Z"}`)
	emps, rejected := Build([]json.RawMessage{emp}, []json.RawMessage{job, job})
	if len(emps) != 0 || len(rejected) != 1 || !strings.Contains(rejected[0].Reason, `ExternalID "G-1" appears more than once`) {
		t.Fatalf("employees %+v, rejected %+v", emps, rejected)
	}
}

func TestWriteBackAgainstFixtureOnlyOnce(t *testing.T) {
	srv := afastest.New()
	defer srv.Close()
	s := fixtureSource(t, srv, Config{})
	ctx := context.Background()
	c := hr.WorkContact{Email: "els.bakker@contoso.example", UPN: "els.bakker@contoso.example"}
	if err := s.WriteBack(ctx, "1002", c); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBack(ctx, "1002", c); err != nil {
		t.Fatalf("second write-back: %v", err)
	}
	if n := srv.UpdateCount(); n != 1 {
		t.Fatalf("updates %d, want 1 (the second finds the address in place)", n)
	}
	if got := srv.User("1002")["Email_werk"]; got != "els.bakker@contoso.example" {
		t.Errorf("Email_werk = %v", got)
	}
	srv.Lock()
	defer srv.Unlock()
	f := srv.Updates[0].Fields
	if _, ok := f["UPN"]; ok || f["EmAd"] != "els.bakker@contoso.example" || f["BcCo"] != "P1002" || srv.Refused != 0 {
		t.Errorf("update fields %v, refused %d", f, srv.Refused)
	}
}
