// Package raet is the HR connector for Visma Raet through the Youforce IAM
// API (HR Core Beaufort; HR Core Business serves the same shapes at
// api.youserve.nl).
//
// Wire format (https://vr-api-integration.github.io/youforce-api-documentation/iam_api_intro.html,
// https://community.visma.com/t5/Kennisbank-Youforce-API/IAM-other-endpoints/ta-p/428401):
// OAuth 2.0 client credentials at https://connect.visma.com/connect/token,
// then GET {base}/iam/v1.0/{persons,employments,organizationUnits,jobProfiles}
// with "Authorization: Bearer"; a reply is {"value":[…],"nextLink":"…"} and
// paging follows nextLink until it is absent. Empty properties are omitted;
// an open end date is 9999-12-31. The API allows 100 calls per minute
// (https://community.visma.com/t5/Kennisbank-Youforce-API/API-Status-amp-Policy/ta-p/428099),
// so calls are spaced 600 ms apart. The manager of an employee is the
// manager of their organisation unit (for the unit's own manager: that of
// the parent unit).
package raet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/internal/vendorhttp"
)

// SourceName is the Rejection.Source of records refused by this connector.
const SourceName = "raet"

// Config holds the Raet settings.
//
// Environment (mapped by the binaries):
//
//	LIFECYCLE_RAET_BASE_URL       BaseURL (default https://api.youforce.com; https://api.youserve.nl for HR Core Business)
//	LIFECYCLE_RAET_TOKEN_URL      TokenURL (default https://connect.visma.com/connect/token)
//	LIFECYCLE_RAET_CLIENT_ID      ClientID (required)
//	LIFECYCLE_RAET_CLIENT_SECRET  ClientSecret (required)
//	LIFECYCLE_RAET_TENANT_ID      TenantID (sent as tenant_id and X-Raet-Tenant-Id)
//	LIFECYCLE_RAET_PAGE_SIZE      PageSize (take; default 1000)
type Config struct {
	BaseURL      string
	TokenURL     string
	ClientID     string
	ClientSecret string
	TenantID     string
	PageSize     int
}

// Option adjusts a Source.
type Option func(*Source)

// WithHTTPClient sets the HTTP client.
func WithHTTPClient(c *http.Client) Option { return func(s *Source) { s.http = c } }

// WithCallInterval changes the spacing between API calls (default 600 ms,
// which keeps to 100 calls per minute).
func WithCallInterval(d time.Duration) Option { return func(s *Source) { s.interval = d } }

// WithSleep replaces the wait between retries (tests).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) { s.sleep = f }
}

// Source reads employees from the Youforce IAM API.
type Source struct {
	cfg      Config
	http     *http.Client
	interval time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
	cl       *vendorhttp.Client
}

var _ hr.Source = (*Source)(nil)

// New checks cfg and returns a Source.
func New(cfg Config, opts ...Option) (*Source, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("raet: LIFECYCLE_RAET_CLIENT_ID and LIFECYCLE_RAET_CLIENT_SECRET must be set")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.youforce.com"
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = "https://connect.visma.com/connect/token"
	}
	for name, v := range map[string]string{"LIFECYCLE_RAET_BASE_URL": cfg.BaseURL, "LIFECYCLE_RAET_TOKEN_URL": cfg.TokenURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("raet: %s %q is not an http(s) URL", name, v)
		}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	s := &Source{cfg: cfg, http: http.DefaultClient, interval: 600 * time.Millisecond}
	for _, o := range opts {
		o(s)
	}
	extra := url.Values{}
	if cfg.TenantID != "" {
		extra.Set("tenant_id", cfg.TenantID)
	}
	cc := &vendorhttp.ClientCredentials{Vendor: "raet", TokenURL: cfg.TokenURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Extra: extra, Hint: "LIFECYCLE_RAET_CLIENT_ID and LIFECYCLE_RAET_CLIENT_SECRET", HTTP: s.http}
	s.cl = &vendorhttp.Client{HTTP: s.http, Vendor: "raet", Sleep: s.sleep,
		AuthHint: "LIFECYCLE_RAET_CLIENT_ID, LIFECYCLE_RAET_CLIENT_SECRET and LIFECYCLE_RAET_TENANT_ID (the application's authorisation for this tenant)",
		Pacer:    &vendorhttp.Pacer{Interval: s.interval},
		Auth: func(ctx context.Context, r *http.Request) error {
			t, err := cc.Token(ctx)
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+t)
			r.Header.Set("X-Client-Id", cfg.ClientID)
			if cfg.TenantID != "" {
				r.Header.Set("X-Raet-Tenant-Id", cfg.TenantID)
			}
			return nil
		}}
	return s, nil
}

type page struct {
	Value    json.RawMessage `json:"value"`
	NextLink string          `json:"nextLink"`
}

// list reads every record of an IAM endpoint, following nextLink. The
// query of a nextLink is applied to the endpoint on the configured base
// URL, so the links may be absolute or relative.
func (s *Source) list(ctx context.Context, endpoint string, filter url.Values) ([]json.RawMessage, error) {
	q := url.Values{}
	for k, v := range filter {
		q[k] = v
	}
	q.Set("take", strconv.Itoa(s.cfg.PageSize))
	next := s.cfg.BaseURL + "/iam/v1.0/" + endpoint + "?" + q.Encode()
	var all []json.RawMessage
	for pages := 0; next != ""; pages++ {
		if pages > 100000 {
			return nil, fmt.Errorf("raet: %s: paging does not end", endpoint)
		}
		var p page
		if err := s.cl.Get(ctx, next, &p); err != nil {
			return nil, fmt.Errorf("raet: read %s: %w", endpoint, err)
		}
		rows, err := vendorhttp.DecodeRows(p.Value)
		if err != nil {
			return nil, fmt.Errorf("raet: %s: %w", endpoint, err)
		}
		all = append(all, rows...)
		next = ""
		if p.NextLink != "" {
			u, err := url.Parse(p.NextLink)
			if err != nil {
				return nil, fmt.Errorf("raet: %s: unreadable nextLink: %w", endpoint, err)
			}
			next = s.cfg.BaseURL + "/iam/v1.0/" + endpoint + "?" + u.RawQuery
		}
	}
	return all, nil
}

// Data is everything read from the IAM API, as raw records.
type Data struct {
	Persons, Employments, OrganizationUnits, JobProfiles []json.RawMessage
}

func (s *Source) read(ctx context.Context, filter url.Values) (Data, error) {
	var d Data
	var err error
	if d.Persons, err = s.list(ctx, "persons", filter); err != nil {
		return d, err
	}
	if d.Employments, err = s.list(ctx, "employments", filter); err != nil {
		return d, err
	}
	if d.OrganizationUnits, err = s.list(ctx, "organizationUnits", nil); err != nil {
		return d, err
	}
	d.JobProfiles, err = s.list(ctx, "jobProfiles", nil)
	return d, err
}

// Snapshot reads persons, employments, organisation units and job
// profiles and returns the validated snapshot.
func (s *Source) Snapshot(ctx context.Context) (hr.Snapshot, error) {
	d, err := s.read(ctx, nil)
	if err != nil {
		return hr.Snapshot{}, err
	}
	emps, rejected := Build(d)
	return hr.Validate(hr.Snapshot{Employees: emps, Rejected: rejected}), nil
}

// Employee reads one person (filtered by personCode).
func (s *Source) Employee(ctx context.Context, id string) (hr.Employee, error) {
	d, err := s.read(ctx, url.Values{"personCode": {id}})
	if err != nil {
		return hr.Employee{}, err
	}
	emps, rejected := Build(d)
	for _, r := range rejected {
		if r.EmployeeID == id {
			return hr.Employee{}, &hr.RejectedError{Rejection: r}
		}
	}
	for _, e := range emps {
		if e.EmployeeID == id {
			if reasons := hr.ValidateEmployee(e); len(reasons) > 0 {
				return hr.Employee{}, &hr.RejectedError{Rejection: hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(reasons, "; ")}}
			}
			return e, nil
		}
	}
	return hr.Employee{}, fmt.Errorf("raet: employee %q: %w", id, hr.ErrNotFound)
}

// WriteBack is not offered by the IAM API's read endpoints.
func (s *Source) WriteBack(context.Context, string, hr.WorkContact) error {
	return fmt.Errorf("raet: write-back of work e-mail / UPN: %w", hr.ErrUnsupported)
}

type text = vendorhttp.Text

type person struct {
	PersonCode            text `json:"personCode"`
	KnownAs               text `json:"knownAs"`
	FirstNames            text `json:"firstNames"`
	LastNameAtBirth       text `json:"lastNameAtBirth"`
	LastNameAtBirthPrefix text `json:"lastNameAtBirthPrefix"`
	PartnerName           text `json:"partnerName"`
	PartnerNamePrefix     text `json:"partnerNamePrefix"`
	NameAssembleOrder     text `json:"nameAssembleOrder"`
	ValidFrom             text `json:"validFrom"`
	EmailAddresses        []struct {
		Type    text `json:"type"`
		Address text `json:"address"`
	} `json:"emailAddresses"`
}

type employment struct {
	ID               text `json:"id"`
	PersonCode       text `json:"personCode"`
	EmploymentCode   text `json:"employmentCode"`
	HireDate         text `json:"hireDate"`
	DischargeDate    text `json:"dischargeDate"`
	OrganizationUnit text `json:"organizationUnit"`
	JobProfile       text `json:"jobProfile"`
	Company          text `json:"company"`
	CostCenter       text `json:"costCenter"`
	EmploymentType   text `json:"employmentType"`
}

type orgUnit struct {
	ID            text `json:"id"`
	ShortName     text `json:"shortName"`
	FullName      text `json:"fullName"`
	Manager       text `json:"manager"`
	ParentOrgUnit text `json:"parentOrgUnit"`
}

type jobProfile struct {
	ID        text `json:"id"`
	ShortName text `json:"shortName"`
	FullName  text `json:"fullName"`
}

// nameUsage maps nameAssembleOrder (E own, P partner, B partner-own, C and
// D own-partner), as read in public integration code.
func nameUsage(order string) (string, error) {
	switch strings.ToUpper(order) {
	case "", "E":
		return hr.NameUsageOwn, nil
	case "P":
		return hr.NameUsagePartner, nil
	case "B":
		return hr.NameUsagePartnerOwn, nil
	case "C", "D":
		return hr.NameUsageOwnPartner, nil
	}
	return "", fmt.Errorf("unknown nameAssembleOrder %q", order)
}

// Build maps IAM records to employees. Unreadable organisation units or job
// profiles are skipped (contracts keep the raw id); an unreadable person or
// employment rejects that person.
func Build(d Data) ([]hr.Employee, []hr.Rejection) {
	units := map[string]orgUnit{}
	for _, raw := range d.OrganizationUnits {
		var u orgUnit
		if json.Unmarshal(raw, &u) == nil && u.ID != "" {
			units[string(u.ID)] = u
		}
	}
	jobs := map[string]jobProfile{}
	for _, raw := range d.JobProfiles {
		var j jobProfile
		if json.Unmarshal(raw, &j) == nil && j.ID != "" {
			jobs[string(j.ID)] = j
		}
	}
	var rejected []hr.Rejection
	bad := map[string][]string{}
	persons := map[string]person{}
	for i, raw := range d.Persons {
		var p person
		if err := json.Unmarshal(raw, &p); err != nil {
			id := vendorhttp.Field(raw, "personCode")
			if id == "" {
				rejected = append(rejected, hr.Rejection{Source: SourceName, Reason: fmt.Sprintf("person record %d: %v", i+1, err)})
			} else {
				bad[id] = append(bad[id], fmt.Sprintf("person record: %v", err))
				persons[id] = person{PersonCode: text(id)}
			}
			continue
		}
		if p.PersonCode == "" {
			rejected = append(rejected, hr.Rejection{Source: SourceName, Reason: fmt.Sprintf("person record %d: no personCode", i+1)})
			continue
		}
		// Several versions of a person may be listed: keep the latest.
		if old, ok := persons[string(p.PersonCode)]; !ok || string(p.ValidFrom) >= string(old.ValidFrom) {
			persons[string(p.PersonCode)] = p
		}
	}
	contracts := map[string][]hr.Contract{}
	for i, raw := range d.Employments {
		var e employment
		if err := json.Unmarshal(raw, &e); err != nil {
			id := vendorhttp.Field(raw, "personCode")
			bad[id] = append(bad[id], fmt.Sprintf("employment record %d: %v", i+1, err))
			continue
		}
		id := string(e.PersonCode)
		start, err := vendorhttp.Day(string(e.HireDate))
		if err != nil || start.IsZero() {
			bad[id] = append(bad[id], fmt.Sprintf("employment %s: hireDate %q unreadable", e.ID, string(e.HireDate)))
			continue
		}
		end, err := vendorhttp.EndDay(string(e.DischargeDate))
		if err != nil {
			bad[id] = append(bad[id], fmt.Sprintf("employment %s: dischargeDate: %v", e.ID, err))
			continue
		}
		c := hr.Contract{ID: string(e.ID), Start: start, End: end, Company: string(e.Company), CostCenter: string(e.CostCenter),
			EmployeeType: string(e.EmploymentType)}
		if c.ID == "" {
			c.ID = id + "_" + string(e.EmploymentCode)
		}
		if u, ok := units[string(e.OrganizationUnit)]; ok {
			c.Department, c.DepartmentName = string(u.ShortName), string(u.FullName)
			c.ManagerEmployeeID = managerOf(units, u, id)
		} else {
			c.Department = string(e.OrganizationUnit)
		}
		if j, ok := jobs[string(e.JobProfile)]; ok {
			c.JobCode, c.JobTitle = string(j.ShortName), string(j.FullName)
		} else {
			c.JobCode = string(e.JobProfile)
		}
		contracts[id] = append(contracts[id], c)
	}
	ids := make([]string, 0, len(persons))
	for id := range persons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []hr.Employee
	for _, id := range ids {
		p := persons[id]
		usage, err := nameUsage(string(p.NameAssembleOrder))
		if err != nil {
			bad[id] = append(bad[id], err.Error())
		}
		if len(bad[id]) > 0 {
			rejected = append(rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(bad[id], "; ")})
			delete(bad, id)
			continue
		}
		e := hr.Employee{EmployeeID: id, GivenName: string(p.FirstNames), PreferredName: string(p.KnownAs),
			Prefix: string(p.LastNameAtBirthPrefix), FamilyName: string(p.LastNameAtBirth),
			PartnerPrefix: string(p.PartnerNamePrefix), PartnerFamilyName: string(p.PartnerName), NameUsage: usage,
			Contracts: contracts[id]}
		if e.PreferredName != "" {
			e.GivenName = e.PreferredName
		}
		for _, m := range p.EmailAddresses {
			if strings.EqualFold(string(m.Type), "Business") {
				e.WorkEmail = string(m.Address)
			}
		}
		out = append(out, e)
	}
	// Employment problems of people without a person record.
	var orphans []string
	for id := range bad {
		orphans = append(orphans, id)
	}
	sort.Strings(orphans)
	for _, id := range orphans {
		rejected = append(rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(bad[id], "; ")})
	}
	return out, rejected
}

// managerOf returns the unit's manager, walking to parent units when the
// employee manages the unit themself.
func managerOf(units map[string]orgUnit, u orgUnit, self string) string {
	for range 32 {
		if m := string(u.Manager); m != "" && m != self {
			return m
		}
		parent, ok := units[string(u.ParentOrgUnit)]
		if !ok {
			return ""
		}
		u = parent
	}
	return ""
}
