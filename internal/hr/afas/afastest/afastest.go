// Package afastest is a fake AFAS Profit REST endpoint for tests: it serves
// the GetConnector replies in testdata (real reply shapes, see
// testdata/README.md) with skip / take paging in the requested order and
// the Medewerker filter, and accepts KnEmployee updates the way AFAS does,
// including refusing an update that sets a field to the value it already
// holds.
package afastest

import (
	"cmp"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// TokenXML is the App Connector token the server accepts (as
// "AfasToken " + base64 of it).
const TokenXML = `<token><version>1</version><data>ABCDEF0123456789</data></token>`

// Connector names served.
const (
	UsersConnector       = "T4E_HelloID_Users_v2"
	EmploymentsConnector = "T4E_HelloID_Employments_v2"
)

//go:embed testdata/*.json
var fixtures embed.FS

// Fixture returns a fixture's reply as read from testdata.
func Fixture(name string) json.RawMessage {
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		panic(fmt.Sprintf("afastest: fixture %s: %v", name, err))
	}
	return b
}

func fixtureRows(name string) []map[string]any {
	var reply struct {
		Source string           `json:"_source"`
		Rows   []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(Fixture(name), &reply); err != nil || reply.Source == "" {
		panic(fmt.Sprintf("afastest: fixture %s: %v (a fixture names its source in _source)", name, err))
	}
	return reply.Rows
}

// Update is one KnEmployee update the server accepted.
type Update struct {
	EmployeeID string
	Fields     map[string]any
}

// Server is the fake. Its fields may be changed under Lock / Unlock.
type Server struct {
	*httptest.Server

	mu sync.Mutex
	// Users and Employments are the rows of the two GetConnectors.
	Users, Employments []map[string]any
	// EmploymentPages, when set, are served verbatim for the employment
	// GetConnector by skip value, ignoring Employments.
	EmploymentPages map[int]json.RawMessage
	// Calls lists "METHOD path?query" of every request.
	Calls []string
	// IntegrationIDs lists the IntegrationId header of every request.
	IntegrationIDs []string
	// Updates lists the accepted KnEmployee updates.
	Updates []Update
	// Refused counts KnEmployee updates refused for an unchanged field.
	Refused int
}

// New starts a server with the users.json and employments.json fixtures.
// Close it when done.
func New() *Server {
	s := &Server{Users: fixtureRows("users.json"), Employments: fixtureRows("employments.json")}
	s.Server = httptest.NewServer(s)
	return s
}

// Lock locks the server's fields.
func (s *Server) Lock() { s.mu.Lock() }

// Unlock unlocks them.
func (s *Server) Unlock() { s.mu.Unlock() }

// BaseURL is the value for LIFECYCLE_AFAS_BASE_URL.
func (s *Server) BaseURL() string { return s.URL + "/ProfitRestServices" }

// User returns a copy of the user row of employee id.
func (s *Server) User(id string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.Users {
		if u["Medewerker"] == id {
			c := map[string]any{}
			for k, v := range u {
				c[k] = v
			}
			return c
		}
	}
	return nil
}

// UpdateCount is the number of accepted KnEmployee updates.
func (s *Server) UpdateCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.Updates)
}

// knPersonColumn maps KnPerson update fields to the Users GetConnector
// columns that show them.
var knPersonColumn = map[string]string{"EmAd": "Email_werk", "UPN": "UPN"}

func afasError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"externalMessage": msg, "profitLogReference": "fake-0001"})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls = append(s.Calls, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	s.IntegrationIDs = append(s.IntegrationIDs, r.Header.Get("IntegrationId"))
	if r.Header.Get("Authorization") != "AfasToken "+base64.StdEncoding.EncodeToString([]byte(TokenXML)) {
		afasError(w, http.StatusUnauthorized, "Geen toegang")
		return
	}
	const prefix = "/ProfitRestServices/connectors/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		afasError(w, http.StatusNotFound, "Onbekend pad")
		return
	}
	connector := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Method == http.MethodPut && connector == "KnEmployee":
		s.update(w, r)
	case r.Method == http.MethodGet && connector == UsersConnector:
		s.get(w, r, s.Users, nil)
	case r.Method == http.MethodGet && connector == EmploymentsConnector:
		s.get(w, r, s.Employments, s.EmploymentPages)
	default:
		afasError(w, http.StatusNotFound, "Connector "+connector+" niet gevonden")
	}
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, rows []map[string]any, pages map[int]json.RawMessage) {
	q := r.URL.Query()
	skip, _ := strconv.Atoi(q.Get("skip"))
	take, _ := strconv.Atoi(q.Get("take"))
	if pages != nil {
		if p, ok := pages[skip]; ok {
			w.Write(p)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"skip": skip, "take": take, "rows": []any{}})
		return
	}
	if q.Get("filterfieldids") == "Medewerker" && q.Get("operatortypes") == "1" {
		var keep []map[string]any
		for _, row := range rows {
			if fmt.Sprint(row["Medewerker"]) == q.Get("filtervalues") {
				keep = append(keep, row)
			}
		}
		rows = keep
	}
	sorted := slices.Clone(rows)
	if order := q.Get("orderbyfieldids"); order != "" {
		fields := strings.Split(order, ",")
		slices.SortStableFunc(sorted, func(a, b map[string]any) int {
			for _, f := range fields {
				desc := strings.HasPrefix(f, "-")
				f = strings.TrimPrefix(f, "-")
				if c := cmp.Compare(fmt.Sprint(a[f]), fmt.Sprint(b[f])); c != 0 {
					if desc {
						return -c
					}
					return c
				}
			}
			return 0
		})
	}
	from := min(skip, len(sorted))
	to := min(from+take, len(sorted))
	page := sorted[from:to]
	if page == nil {
		page = []map[string]any{}
	}
	json.NewEncoder(w).Encode(map[string]any{"skip": skip, "take": take, "rows": page})
}

// update applies {"AfasEmployee":{"Element":{"@EmId":…,"Objects":[{"KnPerson":{"Element":{"Fields":{…}}}}]}}}.
func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AfasEmployee struct {
			Element struct {
				EmID    string `json:"@EmId"`
				Objects []struct {
					KnPerson struct {
						Element struct {
							Fields map[string]any `json:"Fields"`
						} `json:"Element"`
					} `json:"KnPerson"`
				} `json:"Objects"`
			} `json:"Element"`
		} `json:"AfasEmployee"`
	}
	data, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(data, &body); err != nil || body.AfasEmployee.Element.EmID == "" || len(body.AfasEmployee.Element.Objects) != 1 {
		afasError(w, http.StatusBadRequest, "Ongeldig bericht")
		return
	}
	id := body.AfasEmployee.Element.EmID
	var user map[string]any
	for _, u := range s.Users {
		if u["Medewerker"] == id {
			user = u
		}
	}
	if user == nil {
		afasError(w, http.StatusInternalServerError, "Medewerker "+id+" bestaat niet")
		return
	}
	fields := body.AfasEmployee.Element.Objects[0].KnPerson.Element.Fields
	if fmt.Sprint(fields["BcCo"]) != fmt.Sprint(user["Persoonsnummer"]) {
		afasError(w, http.StatusInternalServerError, "Persoon met nummer "+fmt.Sprint(fields["BcCo"])+" hoort niet bij medewerker "+id)
		return
	}
	for f, v := range fields {
		col, ok := knPersonColumn[f]
		if ok && fmt.Sprint(user[col]) == fmt.Sprint(v) {
			// AFAS refuses to "change" a field to the value it holds.
			s.Refused++
			afasError(w, http.StatusInternalServerError, "Veld "+f+" is niet gewijzigd")
			return
		}
	}
	for f, v := range fields {
		if col, ok := knPersonColumn[f]; ok {
			user[col] = v
		}
	}
	s.Updates = append(s.Updates, Update{EmployeeID: id, Fields: fields})
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"results":{"KnEmployee":{"EmId":"`+id+`"}}}`)
}
