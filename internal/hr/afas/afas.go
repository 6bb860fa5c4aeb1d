// Package afas is the HR connector for AFAS Profit, read through its REST
// GetConnectors and written back through the KnEmployee UpdateConnector.
//
// Wire format (https://help.afas.nl/help/NL/SE/App_Cnr_Rest_GET.htm):
// GET {base}/ProfitRestServices/connectors/{GetConnector}?skip=&take=&orderbyfieldids=
// with optional filterfieldids / filtervalues / operatortypes (1 is "=");
// the reply is {"skip":0,"take":N,"rows":[…]}. Paging stops at a short page.
// Pages are only stable when the sort is unique: employees are sorted by
// Medewerker, employments by ExternalID,Medewerker,Begindatum_functie (the
// order the HelloID AFAS connector uses, persons.ps1). A key seen again on a
// later page means the data moved while paging; the read then fails as a
// whole (hr.ErrUntrustedSnapshot) rather than guess. Authentication is
// "Authorization: AfasToken <base64 of the token XML>" (App Connector token,
// https://help.afas.nl/help/NL/SE/api.htm) or an OAuth 2.0 client-credentials
// bearer token.
//
// Two GetConnectors are read: one row per employee and one row per
// employment / position, with the field names of the widely used
// T4E_HelloID_Users_v2 and T4E_HelloID_Employments_v2 definitions (public
// integration code: github.com/Tools4everBV/HelloID-Conn-Prov-Source-AFAS-Profit).
package afas

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/internal/vendorhttp"
)

// SourceName is the Rejection.Source of records refused by this connector.
const SourceName = "afas"

// Config holds the AFAS settings.
//
// Environment (mapped by the binaries):
//
//	LIFECYCLE_AFAS_BASE_URL              BaseURL, e.g. https://12345.rest.afas.online/ProfitRestServices
//	LIFECYCLE_AFAS_TOKEN                 Token: the App Connector token XML (<token><version>1</version><data>…</data></token>) or its base64
//	LIFECYCLE_AFAS_CLIENT_ID             ClientID (OAuth, instead of a token)
//	LIFECYCLE_AFAS_CLIENT_SECRET         ClientSecret
//	LIFECYCLE_AFAS_TOKEN_URL             TokenURL (default BaseURL + "/oauth/token")
//	LIFECYCLE_AFAS_EMPLOYEE_CONNECTOR    EmployeeConnector (default T4E_HelloID_Users_v2)
//	LIFECYCLE_AFAS_EMPLOYMENT_CONNECTOR  EmploymentConnector (default T4E_HelloID_Employments_v2)
//	LIFECYCLE_AFAS_PAGE_SIZE             PageSize (default 1000)
//	LIFECYCLE_AFAS_UPN_FIELD             UPNField: KnPerson field that receives the UPN on write-back (empty: UPN not written)
//	LIFECYCLE_AFAS_INTEGRATION_ID        IntegrationID: sent as the IntegrationId header (AFAS partner integrations)
type Config struct {
	BaseURL             string
	Token               string
	ClientID            string
	ClientSecret        string
	TokenURL            string
	EmployeeConnector   string
	EmploymentConnector string
	PageSize            int
	UPNField            string
	IntegrationID       string
}

// Sort orders of the two GetConnectors: unique column sets, so that skip /
// take pages do not shift (HelloID-Conn-Prov-Source-AFAS-Profit persons.ps1).
const (
	EmployeeOrder   = "Medewerker"
	EmploymentOrder = "ExternalID,Medewerker,Begindatum_functie"
)

// Option adjusts a Source.
type Option func(*Source)

// WithHTTPClient sets the HTTP client (tests, proxies).
func WithHTTPClient(c *http.Client) Option {
	return func(s *Source) { s.http = c }
}

// WithSleep replaces the wait between retries (tests).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) { s.sleep = f }
}

// Source reads employees from AFAS Profit.
type Source struct {
	cfg   Config
	base  string
	http  *http.Client
	sleep func(ctx context.Context, d time.Duration) error
	cl    *vendorhttp.Client
}

var _ hr.Source = (*Source)(nil)
var _ hr.WriteBacker = (*Source)(nil)
var _ hr.WriteBackNeeder = (*Source)(nil)

// New checks cfg and returns a Source.
func New(cfg Config, opts ...Option) (*Source, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("afas: LIFECYCLE_AFAS_BASE_URL is not set")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("afas: LIFECYCLE_AFAS_BASE_URL %q is not an http(s) URL", cfg.BaseURL)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if !strings.HasSuffix(strings.ToLower(base), "/profitrestservices") {
		base += "/ProfitRestServices"
	}
	if cfg.EmployeeConnector == "" {
		cfg.EmployeeConnector = "T4E_HelloID_Users_v2"
	}
	if cfg.EmploymentConnector == "" {
		cfg.EmploymentConnector = "T4E_HelloID_Employments_v2"
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	s := &Source{cfg: cfg, base: base, http: http.DefaultClient}
	for _, o := range opts {
		o(s)
	}
	s.cl = &vendorhttp.Client{HTTP: s.http, Vendor: "afas"}
	s.cl.Sleep = s.sleep
	switch {
	case cfg.Token != "":
		tok := strings.TrimSpace(cfg.Token)
		if strings.HasPrefix(tok, "<") {
			tok = base64.StdEncoding.EncodeToString([]byte(tok))
		}
		header := "AfasToken " + tok
		s.cl.AuthHint = "LIFECYCLE_AFAS_TOKEN"
		s.cl.Auth = func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", header)
			return nil
		}
	case cfg.ClientID != "" && cfg.ClientSecret != "":
		tokenURL := cfg.TokenURL
		if tokenURL == "" {
			tokenURL = base + "/oauth/token"
		}
		cc := &vendorhttp.ClientCredentials{Vendor: "afas", TokenURL: tokenURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Hint: "LIFECYCLE_AFAS_CLIENT_ID and LIFECYCLE_AFAS_CLIENT_SECRET", HTTP: s.http}
		s.cl.AuthHint = "LIFECYCLE_AFAS_CLIENT_ID and LIFECYCLE_AFAS_CLIENT_SECRET (the app's access to the GetConnectors)"
		s.cl.Auth = func(ctx context.Context, r *http.Request) error {
			t, err := cc.Token(ctx)
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+t)
			return nil
		}
	default:
		return nil, errors.New("afas: no credentials: set LIFECYCLE_AFAS_TOKEN, or LIFECYCLE_AFAS_CLIENT_ID and LIFECYCLE_AFAS_CLIENT_SECRET")
	}
	if id := strings.TrimSpace(cfg.IntegrationID); id != "" {
		auth := s.cl.Auth
		s.cl.Auth = func(ctx context.Context, r *http.Request) error {
			r.Header.Set("IntegrationId", id)
			return auth(ctx, r)
		}
	}
	return s, nil
}

type page struct {
	Skip int             `json:"skip"`
	Take int             `json:"take"`
	Rows json.RawMessage `json:"rows"`
}

// rows reads every row of a GetConnector, page by page, sorted by order.
// When key is set, a key value met again on a later page fails the read as
// untrusted: the sort was not stable, so rows may also have been skipped.
func (s *Source) rows(ctx context.Context, connector, order, key string, filter url.Values) ([]json.RawMessage, error) {
	var all []json.RawMessage
	seen := map[string]int{} // key value → page it was first read on
	for skip, pageNo := 0, 1; ; skip, pageNo = skip+s.cfg.PageSize, pageNo+1 {
		q := url.Values{}
		for k, v := range filter {
			q[k] = v
		}
		q.Set("skip", strconv.Itoa(skip))
		q.Set("take", strconv.Itoa(s.cfg.PageSize))
		q.Set("orderbyfieldids", order)
		var p page
		if err := s.cl.Get(ctx, s.base+"/connectors/"+url.PathEscape(connector)+"?"+q.Encode(), &p); err != nil {
			if pageNo > 1 {
				return nil, fmt.Errorf("%w: %w", hr.Untrusted(SourceName, "GetConnector %s: page %d (skip %d) failed after %d rows", connector, pageNo, skip, len(all)), err)
			}
			return nil, fmt.Errorf("afas: read GetConnector %s: %w", connector, err)
		}
		rows, err := vendorhttp.DecodeRows(p.Rows)
		if err != nil {
			return nil, hr.Untrusted(SourceName, "GetConnector %s page %d: %v", connector, pageNo, err)
		}
		if key != "" {
			pageKeys := map[string]bool{}
			for _, raw := range rows {
				v := vendorhttp.Field(raw, key)
				if v == "" || pageKeys[v] {
					continue
				}
				pageKeys[v] = true
				if first, ok := seen[v]; ok {
					return nil, hr.Untrusted(SourceName, "GetConnector %s: %s %q is on page %d and again on page %d: the rows moved while paging "+
						"(sorted by %s); the whole read is discarded, retry later or check that %s is unique", connector, key, v, first, pageNo, order, key)
				}
				seen[v] = pageNo
			}
		}
		all = append(all, rows...)
		if len(rows) < s.cfg.PageSize {
			return all, nil
		}
	}
}

func (s *Source) employeeRows(ctx context.Context, filter url.Values) ([]json.RawMessage, error) {
	return s.rows(ctx, s.cfg.EmployeeConnector, EmployeeOrder, "Medewerker", filter)
}

func (s *Source) employmentRows(ctx context.Context, filter url.Values) ([]json.RawMessage, error) {
	return s.rows(ctx, s.cfg.EmploymentConnector, EmploymentOrder, "ExternalID", filter)
}

// Snapshot reads both GetConnectors and returns the validated snapshot.
func (s *Source) Snapshot(ctx context.Context) (hr.Snapshot, error) {
	emps, err := s.employeeRows(ctx, nil)
	if err != nil {
		return hr.Snapshot{}, err
	}
	jobs, err := s.employmentRows(ctx, nil)
	if err != nil {
		return hr.Snapshot{}, err
	}
	employees, rejected := Build(emps, jobs)
	return hr.Validate(hr.Snapshot{Employees: employees, Rejected: rejected}), nil
}

func byEmployee(id string) url.Values {
	return url.Values{"filterfieldids": {"Medewerker"}, "filtervalues": {id}, "operatortypes": {"1"}}
}

// Employee reads one employee with filtered GetConnector calls.
func (s *Source) Employee(ctx context.Context, id string) (hr.Employee, error) {
	emps, err := s.employeeRows(ctx, byEmployee(id))
	if err != nil {
		return hr.Employee{}, err
	}
	jobs, err := s.employmentRows(ctx, byEmployee(id))
	if err != nil {
		return hr.Employee{}, err
	}
	employees, rejected := Build(emps, jobs)
	for _, r := range rejected {
		if r.EmployeeID == id {
			return hr.Employee{}, &hr.RejectedError{Rejection: r}
		}
	}
	for _, e := range employees {
		if e.EmployeeID == id {
			if reasons := hr.ValidateEmployee(e); len(reasons) > 0 {
				return hr.Employee{}, &hr.RejectedError{Rejection: hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(reasons, "; ")}}
			}
			return e, nil
		}
	}
	return hr.Employee{}, fmt.Errorf("afas: employee %q: %w", id, hr.ErrNotFound)
}

// NeedsWriteBack reports whether WriteBack would send anything, given the
// addresses AFAS held when the employee was read: the e-mail when it differs,
// the UPN only when UPNField is configured and it differs.
func (s *Source) NeedsWriteBack(held, c hr.WorkContact) bool {
	if c.Email != "" && !strings.EqualFold(c.Email, held.Email) {
		return true
	}
	return s.cfg.UPNField != "" && c.UPN != "" && !strings.EqualFold(c.UPN, held.UPN)
}

// WriteBack writes the work e-mail (KnPerson field EmAd) and, when UPNField
// is configured, the UPN through the KnEmployee UpdateConnector. Only
// fields whose value differs from what AFAS holds are sent: AFAS refuses an
// update that sets a field to its current value. Nothing to change sends
// nothing.
func (s *Source) WriteBack(ctx context.Context, id string, c hr.WorkContact) error {
	rows, err := s.employeeRows(ctx, byEmployee(id))
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("afas: write-back for %q: %w", id, hr.ErrNotFound)
	}
	var cur employeeRow
	if err := json.Unmarshal(rows[0], &cur); err != nil {
		return fmt.Errorf("afas: write-back for %q: read current row: %w", id, err)
	}
	if cur.Persoonsnummer == "" {
		return fmt.Errorf("afas: write-back for %q: the employee GetConnector lacks Persoonsnummer, needed to match the person", id)
	}
	fields := map[string]any{}
	if c.Email != "" && !strings.EqualFold(c.Email, string(cur.EmailWerk)) {
		fields["EmAd"] = c.Email
	}
	if s.cfg.UPNField != "" && c.UPN != "" && !strings.EqualFold(c.UPN, string(cur.UPN)) {
		fields[s.cfg.UPNField] = c.UPN
	}
	if len(fields) == 0 {
		return nil
	}
	fields["MatchPer"] = 0 // match the person on BcCo
	fields["BcCo"] = string(cur.Persoonsnummer)
	body := UpdateBody(id, fields)
	if err := s.cl.Do(ctx, http.MethodPut, s.base+"/connectors/KnEmployee", body, nil); err != nil {
		return fmt.Errorf("afas: write-back for %q: %w", id, err)
	}
	return nil
}

// UpdateBody is the KnEmployee UpdateConnector document that changes
// KnPerson fields of employee id.
func UpdateBody(id string, fields map[string]any) map[string]any {
	return map[string]any{
		"AfasEmployee": map[string]any{
			"Element": map[string]any{
				"@EmId": id,
				"Objects": []any{map[string]any{
					"KnPerson": map[string]any{"Element": map[string]any{"Fields": fields}},
				}},
			},
		},
	}
}
