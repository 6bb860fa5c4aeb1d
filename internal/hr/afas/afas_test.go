package afas

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/internal/vendorhttp"
)

const tokenXML = `<token><version>1</version><data>ABCDEF0123456789</data></token>`

// fake is an AFAS Profit REST endpoint serving GetConnector rows the way the
// documentation describes: skip/take paging, filters, AfasToken auth.
type fake struct {
	t          *testing.T
	employees  []map[string]any
	employment []map[string]any
	mu         sync.Mutex
	calls      []string
	puts       []map[string]any
	throttle   int // number of 429 replies still to give
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	want := "AfasToken " + base64.StdEncoding.EncodeToString([]byte(tokenXML))
	if r.Header.Get("Authorization") != want {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"externalMessage":"Geen toegang"}`)
		return
	}
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/ProfitRestServices/connectors/KnEmployee":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(400)
			return
		}
		f.puts = append(f.puts, body)
		io.WriteString(w, `{"results":{}}`)
		return
	case r.Method != http.MethodGet:
		w.WriteHeader(405)
		return
	}
	var rows []map[string]any
	switch r.URL.Path {
	case "/ProfitRestServices/connectors/T4E_HelloID_Users_v2":
		rows = f.employees
	case "/ProfitRestServices/connectors/T4E_HelloID_Employments_v2":
		rows = f.employment
	default:
		w.WriteHeader(404)
		return
	}
	q := r.URL.Query()
	if q.Get("orderbyfieldids") == "" {
		f.t.Errorf("paging without orderbyfieldids: %s", r.URL)
	}
	if q.Get("filterfieldids") == "Medewerker" && q.Get("operatortypes") == "1" {
		var keep []map[string]any
		for _, row := range rows {
			if row["Medewerker"] == q.Get("filtervalues") {
				keep = append(keep, row)
			}
		}
		rows = keep
	}
	skip, _ := strconv.Atoi(q.Get("skip"))
	take, _ := strconv.Atoi(q.Get("take"))
	end := min(skip+take, len(rows))
	if skip > len(rows) {
		skip = end
	}
	page := rows[skip:end]
	if page == nil {
		page = []map[string]any{}
	}
	json.NewEncoder(w).Encode(map[string]any{"skip": skip, "take": take, "rows": page})
}

func newFake(t *testing.T) *fake {
	emp := func(id, roep, vv, naam, code, mail string) map[string]any {
		return map[string]any{"Medewerker": id, "Persoonsnummer": "P" + id, "Roepnaam": roep, "Voornaam": roep, "Voorletters": roep[:1] + ".",
			"Voorvoegsel": vv, "Achternaam": naam, "Voorvoegsel_partner": nil, "Geboortenaam_partner": nil,
			"Naamgebruik_code": code, "Email_werk": mail, "Telefoonnr_werk": nil}
	}
	job := func(id, begin string, end any, dept, fn, mgr string, fte any) map[string]any {
		return map[string]any{"Medewerker": id, "Begindatum_contract": begin + "T00:00:00Z", "Einddatum_contract": end,
			"Begindatum_functie": begin + "T00:00:00Z", "Einddatum_functie": end,
			"Organisatorische_eenheid_code": dept, "Organisatorische_eenheid_omschrijving": dept + " afdeling",
			"Functie_code": fn, "Functie_omschrijving": "Functie " + fn, "Kostenplaats_code": "4130",
			"Werkgever_code": "01", "Werkgever_omschrijving": "Contoso B.V.", "Medewerkernummer_leidinggevende": mgr,
			"Soort_medewerker": "Employee", "FTE": fte}
	}
	p := emp("1003", "Els", "", "Bakker", "0", "els.bakker@contoso.example")
	partner := emp("1005", "Anne", "", "Vos", "1", "")
	partner["Voorvoegsel_partner"], partner["Geboortenaam_partner"] = "van", "Rijn"
	return &fake{t: t,
		employees: []map[string]any{
			emp("1001", "Jan", "de", "Vries", "0", ""),
			emp("1002", "Piet", "", "Jansen", "0", ""),
			p,
			emp("1004", "Kees", "", "Smit", "0", ""),
			partner,
		},
		employment: []map[string]any{
			job("1001", "2025-03-01", nil, "ICT", "F045", "1003", 0.9),
			job("1002", "2024-01-01", "2025-12-31T00:00:00Z", "Sales", "S10", "1003", "1,0"),
			job("1002", "2026-01-01", nil, "ICT", "F045", "1003", 1),
			job("1003", "2019-05-01", nil, "ICT", "M01", "", 1),
			job("1004", "31-12-2024", nil, "ICT", "F045", "1003", 1), // malformed date
			job("1005", "2023-02-01", nil, "HR", "H10", "1003", 0.8),
		}}
}

func newSource(t *testing.T, f *fake, token string, page int) *Source {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	s, err := New(Config{BaseURL: srv.URL, Token: token, PageSize: page}, WithHTTPClient(srv.Client()),
		WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSnapshotPagedIntoModel(t *testing.T) {
	f := newFake(t)
	f.throttle = 1 // the first call is rate limited once
	s := newSource(t, f, tokenXML, 2)
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Employees) != 4 {
		t.Fatalf("employees %+v", snap.Employees)
	}
	if len(snap.Rejected) != 1 || snap.Rejected[0].EmployeeID != "1004" || !strings.Contains(snap.Rejected[0].Reason, "Begindatum") {
		t.Errorf("rejected %+v, want 1004 for its unreadable date", snap.Rejected)
	}
	// 5 employee rows in pages of 2 → 3 calls; 6 employment rows → 4 calls (last empty); +1 throttled.
	if len(f.calls) != 8 {
		t.Errorf("calls %d: %v", len(f.calls), f.calls)
	}
	day := hr.MustParseDate("2025-06-01")
	jan, _ := snap.Find("1001")
	if v := jan.ViewOn(day); v.Status != hr.StatusActive || v.Department != "ICT" || v.JobTitle != "Functie F045" || v.ManagerEmployeeID != "1003" || v.Primary.FTE != 0.9 || v.Company != "Contoso B.V." {
		t.Errorf("1001 view %+v", v)
	}
	piet, _ := snap.Find("1002")
	v := piet.ViewOn(day)
	if v.Department != "Sales" || v.Primary.FTE != 1 || v.EmploymentStart.String() != "2024-01-01" || v.LeaveDate != nil ||
		len(v.FutureChanges) == 0 || v.FutureChanges[0].Date.String() != "2026-01-01" || v.FutureChanges[0].New != "ICT" {
		t.Errorf("1002 view %+v", v)
	}
	anne, _ := snap.Find("1005")
	if anne.NameUsage != hr.NameUsagePartnerOwn || anne.FullName() != "Anne van Rijn-Vos" {
		t.Errorf("1005 = %+v (%s)", anne, anne.FullName())
	}
	els, _ := snap.Find("1003")
	if els.WorkEmail != "els.bakker@contoso.example" {
		t.Errorf("1003 mail %q", els.WorkEmail)
	}
}

func TestUnauthorizedNamesTheSetting(t *testing.T) {
	f := newFake(t)
	s := newSource(t, f, "<token><version>1</version><data>WRONG</data></token>", 100)
	_, err := s.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized") || !strings.Contains(err.Error(), "LIFECYCLE_AFAS_TOKEN") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "WRONG") || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString([]byte("WRONG"))) {
		t.Errorf("error leaks the token: %v", err)
	}
	if !errors.As(err, new(*vendorhttp.AuthError)) {
		t.Errorf("error %T is not an AuthError", err)
	}
}

func TestRateLimitGivesUpWithClearError(t *testing.T) {
	f := newFake(t)
	f.throttle = 100
	s := newSource(t, f, tokenXML, 100)
	_, err := s.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "giving up after 5 attempts") {
		t.Fatalf("error %v", err)
	}
}

func TestEmployeeFiltered(t *testing.T) {
	f := newFake(t)
	s := newSource(t, f, base64.StdEncoding.EncodeToString([]byte(tokenXML)), 100)
	e, err := s.Employee(context.Background(), "1002")
	if err != nil || len(e.Contracts) != 2 || e.FamilyName != "Jansen" {
		t.Fatalf("Employee(1002) = %+v, %v", e, err)
	}
	if !strings.Contains(f.calls[0], "filterfieldids=Medewerker") || !strings.Contains(f.calls[0], "filtervalues=1002") {
		t.Errorf("not filtered: %v", f.calls)
	}
	if _, err := s.Employee(context.Background(), "1004"); !errors.As(err, new(*hr.RejectedError)) {
		t.Errorf("Employee(1004) err %v", err)
	}
	if _, err := s.Employee(context.Background(), "42"); !errors.Is(err, hr.ErrNotFound) {
		t.Errorf("Employee(42) err %v", err)
	}
}

func TestWriteBackSendsOnlyChanges(t *testing.T) {
	f := newFake(t)
	s := newSource(t, f, tokenXML, 100)
	s.cfg.UPNField = "EmailPortal"
	ctx := context.Background()
	// Same e-mail as AFAS holds, no UPN: nothing is sent.
	if err := s.WriteBack(ctx, "1003", hr.WorkContact{Email: "Els.Bakker@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	if len(f.puts) != 0 {
		t.Fatalf("unchanged write-back sent %v", f.puts)
	}
	if err := s.WriteBack(ctx, "1001", hr.WorkContact{Email: "jan.devries@contoso.example", UPN: "jan.devries@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	if len(f.puts) != 1 {
		t.Fatalf("puts %v", f.puts)
	}
	got, _ := json.Marshal(f.puts[0])
	want := `{"AfasEmployee":{"Element":{"@EmId":"1001","Objects":[{"KnPerson":{"Element":{"Fields":{"BcCo":"P1001","EmAd":"jan.devries@contoso.example","EmailPortal":"jan.devries@contoso.example","MatchPer":0}}}}]}}}`
	if string(got) != want {
		t.Errorf("KnEmployee body\n got %s\nwant %s", got, want)
	}
	if err := s.WriteBack(ctx, "42", hr.WorkContact{Email: "x@contoso.example"}); !errors.Is(err, hr.ErrNotFound) {
		t.Errorf("write-back for unknown id: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "LIFECYCLE_AFAS_BASE_URL"},
		{Config{BaseURL: "ftp://x"}, "LIFECYCLE_AFAS_BASE_URL"},
		{Config{BaseURL: "https://1.rest.afas.online"}, "LIFECYCLE_AFAS_TOKEN"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want mention of %s", tc.cfg, err, tc.want)
		}
	}
}

func FuzzBuild(f *testing.F) {
	f.Add([]byte(`[{"Medewerker":"1","Roepnaam":"A","Achternaam":"B","Naamgebruik_code":"0"}]`),
		[]byte(`[{"Medewerker":"1","Begindatum_functie":"2025-01-01T00:00:00Z","Einddatum_functie":null,"FTE":1}]`))
	f.Add([]byte(`[{"Medewerker":1},{"Medewerker":{}},null]`), []byte(`[{"Medewerker":"1","FTE":"x"},{"Begindatum_contract":"2025-99-01"}]`))
	f.Fuzz(func(t *testing.T, emps, jobs []byte) {
		var er, jr []json.RawMessage
		if json.Unmarshal(emps, &er) != nil || json.Unmarshal(jobs, &jr) != nil {
			return
		}
		out, _ := Build(er, jr)
		snap := hr.Validate(hr.Snapshot{Employees: out})
		for _, e := range snap.Employees {
			_ = e.ViewOn(hr.MustParseDate("2025-06-01"))
		}
	})
}

// NeedsWriteBack answers as WriteBack would send: the e-mail when it differs, the UPN only
// with a UPN field configured.
func TestNeedsWriteBackFollowsWhatWouldBeSent(t *testing.T) {
	mail := "jan.devries@contoso.example"
	c := hr.WorkContact{Email: mail, UPN: mail}
	for _, tc := range []struct {
		name     string
		upnField string
		held     hr.WorkContact
		want     bool
	}{
		{"same e-mail, UPN not written", "", hr.WorkContact{Email: "Jan.DeVries@contoso.example"}, false},
		{"no e-mail held", "", hr.WorkContact{}, true},
		{"same e-mail, UPN field empty in AFAS", "KnPerson.UPN", hr.WorkContact{Email: mail}, true},
		{"both held", "KnPerson.UPN", hr.WorkContact{Email: mail, UPN: mail}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Source{cfg: Config{UPNField: tc.upnField}}
			if got := s.NeedsWriteBack(tc.held, c); got != tc.want {
				t.Errorf("NeedsWriteBack = %v, want %v", got, tc.want)
			}
		})
	}
}
