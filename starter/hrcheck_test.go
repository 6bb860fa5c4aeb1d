package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/hr/afas/afastest"
)

// clearHREnv makes the test independent of the machine's LIFECYCLE_* settings.
func clearHREnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "LIFECYCLE_") {
			t.Setenv(name, "")
		}
	}
}

const hrDoc = `{"employees":[
 {"employeeId":"1","givenName":"Maarten","familyName":"Linden","prefix":"van der","contracts":[{"id":"1-1","start":"2015-01-01","department":"DIR","jobCode":"D00","jobTitle":"Directeur"}]},
 {"employeeId":"2","givenName":"Els","familyName":"Bakker","workEmail":"els@contoso.example","contracts":[{"id":"2-1","start":"2019-05-01","department":"ICT","managerEmployeeId":"1"}]},
 {"employeeId":"3","givenName":"Jan","familyName":"Vries","contracts":[{"id":"3-1","start":"2020-01-01","managerEmployeeId":"404"}]},
 {"employeeId":"Zoë-4","givenName":"Zoë","familyName":"Kok","contracts":[{"id":"4-1","start":"2020-01-01"}]},
 {"employeeId":"12345678901234567","givenName":"Lang","familyName":"Nummer","contracts":[{"id":"5-1","start":"2020-01-01"}]}
]}`

func TestHRCheckFileSource(t *testing.T) {
	clearHREnv(t)
	path := filepath.Join(t.TempDir(), "hr.json")
	if err := os.WriteFile(path, []byte(hrDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIFECYCLE_HR_SOURCE", "file")
	t.Setenv("LIFECYCLE_HR_FILE", path)

	var out bytes.Buffer
	if err := run(context.Background(), []string{"hr", "check", "--json", "--show", "2"}, &out); err != nil {
		t.Fatal(err)
	}
	var rep HRCheckReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if rep.Source != "file" || rep.Employees != 3 || len(rep.Rejected) != 2 || rep.ManagersResolved != 1 || rep.ManagerLinksDropped != 1 || len(rep.Sample) != 2 {
		t.Errorf("report %+v", rep)
	}
	reasons := rep.Rejected[0].Reason + " | " + rep.Rejected[1].Reason
	if !strings.Contains(reasons, "printable ASCII") || !strings.Contains(reasons, "at most 16") {
		t.Errorf("rejection reasons %q do not name the limits", reasons)
	}

	out.Reset()
	if err := run(context.Background(), []string{"hr", "check"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"employees read:     3", "rejected:           2", "managers resolved:  1 of 3 employees (1 links dropped)",
		"Els Bakker", "els@contoso.example", "at most 16"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestHRCheckAFAS(t *testing.T) {
	clearHREnv(t)
	srv := afastest.New()
	defer srv.Close()
	t.Setenv("LIFECYCLE_HR_SOURCE", "afas")
	t.Setenv("LIFECYCLE_AFAS_BASE_URL", srv.BaseURL())
	t.Setenv("LIFECYCLE_AFAS_TOKEN", afastest.TokenXML)
	t.Setenv("LIFECYCLE_AFAS_INTEGRATION_ID", "12345_135624")

	var out bytes.Buffer
	if err := run(context.Background(), []string{"hr", "check", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var rep HRCheckReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Source != "afas" || rep.Employees != 3 || len(rep.Rejected) != 0 || rep.ManagersResolved != 2 || len(rep.Sample) != 3 {
		t.Errorf("report %+v", rep)
	}
	srv.Lock()
	defer srv.Unlock()
	if len(srv.Calls) == 0 || srv.IntegrationIDs[0] != "12345_135624" || len(srv.Updates) != 0 {
		t.Errorf("calls %v, integration ids %v, updates %d (a check writes nothing)", srv.Calls, srv.IntegrationIDs, len(srv.Updates))
	}
}

func TestHRCheckUntrustedReadFails(t *testing.T) {
	clearHREnv(t)
	srv := afastest.New()
	defer srv.Close()
	srv.Lock()
	srv.EmploymentPages = map[int]json.RawMessage{0: afastest.Fixture("employments_moved_page1.json"), 2: afastest.Fixture("employments_moved_page2.json")}
	srv.Unlock()
	t.Setenv("LIFECYCLE_HR_SOURCE", "afas")
	t.Setenv("LIFECYCLE_AFAS_BASE_URL", srv.BaseURL())
	t.Setenv("LIFECYCLE_AFAS_TOKEN", afastest.TokenXML)
	t.Setenv("LIFECYCLE_AFAS_PAGE_SIZE", "2")
	err := run(context.Background(), []string{"hr", "check"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "cannot be trusted") || !strings.Contains(err.Error(), "page 1 and again on page 2") {
		t.Fatalf("error %v", err)
	}
}
