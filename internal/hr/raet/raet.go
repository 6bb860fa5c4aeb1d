// Package raet is the HR connector for Visma Raet through the Youforce IAM
// API, for both HR Core Beaufort (api.youforce.com, the default) and HR Core
// Business (api.youserve.nl).
//
// Wire format (https://vr-api-integration.github.io/youforce-api-documentation/iam_api_intro.html,
// https://community.visma.com/t5/Kennisbank-Youforce-API/IAM-other-endpoints/ta-p/428401):
// OAuth 2.0 client credentials at https://connect.visma.com/connect/token,
// then GET {base}/iam/v1.0/{persons,employments,organizationUnits,jobProfiles,roleAssignments}
// with "Authorization: Bearer"; a reply is {"value":[…],"nextLink":"…"} and
// paging follows nextLink until it is absent. Empty properties are omitted;
// an open end date is 9999-12-31. The API allows 100 calls per minute
// (https://community.visma.com/t5/Kennisbank-Youforce-API/API-Status-amp-Policy/ta-p/428099),
// so calls are spaced 600 ms apart.
//
// The two products differ (read in the public HelloID connectors
// Tools4everBV/HelloID-Conn-Prov-Source-Raet-Beaufort-IAM-API persons.ps1 /
// departments.ps1 and Tools4everBV/HelloID-Conn-Prov-Source-Raet-Core-Business-IAM-API
// persons.ps1 / README "Differences between RAET versions"):
//
//   - Beaufort: the manager of an organisation unit is the person holding an
//     active role assignment with the manager role (short name MGR by
//     default) on that unit, from /roleAssignments; with several, the lowest
//     personCode. organizationUnits.manager is not used. nameAssembleOrder is a
//     letter (E, P, C, B, D).
//   - Core Business: organizationUnits.manager is a person id, mapped to that
//     person's personCode; nameAssembleOrder is a digit 0-4 (0 PB, 1 B, 2 P,
//     3 BP, 4 B). Persons and employments come in versions with
//     validFrom / validUntil, several per id: the version valid today is
//     kept (else the next one to start, else the last one that ended).
//
// In both, the manager of an employee is the manager of their unit, or for
// the unit's own manager that of the nearest parent unit.
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
//	LIFECYCLE_RAET_PRODUCT        Product: beaufort or business (default: business for an api.youserve.nl base URL, else beaufort)
//	LIFECYCLE_RAET_MANAGER_ROLE   ManagerRole: the role short name that marks a unit's manager in Beaufort (default MGR)
type Config struct {
	BaseURL      string
	TokenURL     string
	ClientID     string
	ClientSecret string
	TenantID     string
	PageSize     int
	Product      string
	ManagerRole  string
}

// Products.
const (
	ProductBeaufort = "beaufort"
	ProductBusiness = "business"
)

// DefaultManagerRole is the Beaufort role short name of a unit's manager.
const DefaultManagerRole = "MGR"

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

// WithClock sets the clock that decides which record versions and role
// assignments are valid today (tests).
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// Source reads employees from the Youforce IAM API.
type Source struct {
	cfg      Config
	http     *http.Client
	interval time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
	cl       *vendorhttp.Client
}

var _ hr.Source = (*Source)(nil)
var _ hr.WriteBackNeeder = (*Source)(nil)

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
	switch cfg.Product = strings.ToLower(strings.TrimSpace(cfg.Product)); cfg.Product {
	case "":
		cfg.Product = ProductBeaufort
		if strings.Contains(strings.ToLower(cfg.BaseURL), "youserve") {
			cfg.Product = ProductBusiness
		}
	case ProductBeaufort, ProductBusiness:
	default:
		return nil, fmt.Errorf("raet: LIFECYCLE_RAET_PRODUCT %q: want beaufort or business", cfg.Product)
	}
	if cfg.ManagerRole = strings.TrimSpace(cfg.ManagerRole); cfg.ManagerRole == "" {
		cfg.ManagerRole = DefaultManagerRole
	}
	s := &Source{cfg: cfg, http: http.DefaultClient, interval: 600 * time.Millisecond, now: time.Now}
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
			if pages > 0 {
				// A partial list must never pass for a full one.
				return nil, fmt.Errorf("%w: %w", hr.Untrusted(SourceName, "%s: page %d failed after %d records", endpoint, pages+1, len(all)), err)
			}
			return nil, fmt.Errorf("raet: read %s: %w", endpoint, err)
		}
		rows, err := vendorhttp.DecodeRows(p.Value)
		if err != nil {
			return nil, hr.Untrusted(SourceName, "%s page %d: %v", endpoint, pages+1, err)
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
	Persons, Employments, OrganizationUnits, JobProfiles, RoleAssignments []json.RawMessage
}

// Options are the settings Build needs besides the records.
type Options struct {
	// Product is ProductBeaufort (the default) or ProductBusiness.
	Product string
	// ManagerRole is the Beaufort manager role short name (default MGR).
	ManagerRole string
	// Today decides which versions and role assignments are valid.
	Today hr.Date
}

func (s *Source) options() Options {
	return Options{Product: s.cfg.Product, ManagerRole: s.cfg.ManagerRole, Today: today(s.now())}
}

// today is the calendar day in the Netherlands, where Raet's dates live.
func today(t time.Time) hr.Date {
	if loc, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return hr.DateIn(t, loc)
	}
	return hr.DateOf(t.UTC())
}

func (s *Source) read(ctx context.Context, filter url.Values) (Data, error) {
	var d Data
	var err error
	personFilter := filter
	if s.cfg.Product == ProductBusiness {
		// Unit managers are person ids: every person is needed to map them.
		personFilter = nil
	}
	if d.Persons, err = s.list(ctx, "persons", personFilter); err != nil {
		return d, err
	}
	if d.Employments, err = s.list(ctx, "employments", filter); err != nil {
		return d, err
	}
	units := "organizationUnits"
	if s.cfg.Product == ProductBusiness {
		units = "organizationunits" // the spelling HR Core Business integrations use
	}
	if d.OrganizationUnits, err = s.list(ctx, units, nil); err != nil {
		return d, err
	}
	if d.JobProfiles, err = s.list(ctx, "jobProfiles", nil); err != nil {
		return d, err
	}
	if s.cfg.Product == ProductBeaufort {
		d.RoleAssignments, err = s.list(ctx, "roleAssignments", nil)
	}
	return d, err
}

// Snapshot reads persons, employments, organisation units, job profiles
// and (Beaufort) role assignments and returns the validated snapshot. A
// page that fails or does not decode fails the whole read.
func (s *Source) Snapshot(ctx context.Context) (hr.Snapshot, error) {
	d, err := s.read(ctx, nil)
	if err != nil {
		return hr.Snapshot{}, err
	}
	return hr.Validate(Build(d, s.options())), nil
}

// Employee reads one person (filtered by personCode). The organisation
// units, job profiles and role assignments are read in full, since the
// manager may be anyone.
func (s *Source) Employee(ctx context.Context, id string) (hr.Employee, error) {
	d, err := s.read(ctx, url.Values{"personCode": {id}})
	if err != nil {
		return hr.Employee{}, err
	}
	snap := Build(d, s.options())
	for _, r := range snap.Rejected {
		if r.EmployeeID == id {
			return hr.Employee{}, &hr.RejectedError{Rejection: r}
		}
	}
	for _, e := range snap.Employees {
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

// NeedsWriteBack is always false: write-back is not offered.
func (s *Source) NeedsWriteBack(hr.WorkContact, hr.WorkContact) bool { return false }

type text = vendorhttp.Text

type person struct {
	ID                    text `json:"id"`
	PersonCode            text `json:"personCode"`
	KnownAs               text `json:"knownAs"`
	FirstNames            text `json:"firstNames"`
	LastNameAtBirth       text `json:"lastNameAtBirth"`
	LastNameAtBirthPrefix text `json:"lastNameAtBirthPrefix"`
	PartnerName           text `json:"partnerName"`
	PartnerNamePrefix     text `json:"partnerNamePrefix"`
	NameAssembleOrder     text `json:"nameAssembleOrder"`
	ValidFrom             text `json:"validFrom"`
	ValidUntil            text `json:"validUntil"`
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
	ValidFrom        text `json:"validFrom"`
	ValidUntil       text `json:"validUntil"`
}

type orgUnit struct {
	ID            text `json:"id"`
	ShortName     text `json:"shortName"`
	FullName      text `json:"fullName"`
	Manager       text `json:"manager"`
	ParentOrgUnit text `json:"parentOrgUnit"`
	ValidFrom     text `json:"validFrom"`
	ValidUntil    text `json:"validUntil"`
}

type jobProfile struct {
	ID        text `json:"id"`
	ShortName text `json:"shortName"`
	FullName  text `json:"fullName"`
}

// roleAssignment is a Beaufort /roleAssignments record: a person holding a
// role (shortName) on an organisation unit (its id in organizationUnit,
// its code in organizationUnitCode) from startDate to endDate.
type roleAssignment struct {
	PersonCode           text `json:"personCode"`
	ShortName            text `json:"shortName"`
	OrganizationUnit     text `json:"organizationUnit"`
	OrganizationUnitCode text `json:"organizationUnitCode"`
	StartDate            text `json:"startDate"`
	EndDate              text `json:"endDate"`
}

// nameUsage maps nameAssembleOrder. Beaufort uses letters (E own, P
// partner, B partner-own, C and D own-partner); Core Business digits, which
// the HelloID Core Business connector converts as 0 PB (partner-own), 1 B
// (own), 2 P (partner), 3 BP (own-partner), 4 B (own).
func nameUsage(order string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(order)) {
	case "", "E", "1", "4":
		return hr.NameUsageOwn, nil
	case "P", "2":
		return hr.NameUsagePartner, nil
	case "B", "0":
		return hr.NameUsagePartnerOwn, nil
	case "C", "D", "3":
		return hr.NameUsageOwnPartner, nil
	}
	return "", fmt.Errorf("unknown nameAssembleOrder %q (want E, P, B, C, D or 0-4)", order)
}

// period is a record version's validity as comparable "YYYY-MM-DD" text;
// a missing start is the distant past, a missing end the distant future.
func period(from, until text) (string, string) {
	f, u := day10(string(from)), day10(string(until))
	if f == "" {
		f = "0000-00-00"
	}
	if u == "" {
		u = "9999-12-31"
	}
	return f, u
}

func day10(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 10 {
		s = s[:10]
	}
	return s
}

// better reports whether version a (from, until) should be kept over b on
// day: one valid on the day wins (the later start among those), then the
// next one to start, then the one that ended last.
func better(a, b [2]string, day string) bool {
	rank := func(v [2]string) int {
		switch {
		case v[0] <= day && day <= v[1]:
			return 0
		case v[0] > day:
			return 1
		}
		return 2
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra < rb
	}
	switch ra {
	case 0:
		return a[0] > b[0]
	case 1:
		return a[0] < b[0]
	}
	return a[1] > b[1]
}

// Build maps IAM records to employees (not yet validated). Unreadable
// organisation units, job profiles or role assignments are skipped
// (contracts keep the raw id); an unreadable person or employment rejects
// that person. A manager that cannot be resolved is reported in Warnings.
func Build(d Data, o Options) hr.Snapshot {
	role := o.ManagerRole
	if role == "" {
		role = DefaultManagerRole
	}
	b := &builder{day: o.Today.String(), bad: map[string][]string{}}
	b.readUnits(d.OrganizationUnits)
	b.readJobs(d.JobProfiles)
	b.readPersons(d.Persons)
	if o.Product == ProductBusiness {
		b.unitManagersFromUnits()
	} else {
		b.unitManagersFromRoles(d.RoleAssignments, role)
	}
	b.readEmployments(d.Employments)
	b.assemble()
	sort.Slice(b.snap.Warnings, func(i, j int) bool { return b.snap.Warnings[i].Reason < b.snap.Warnings[j].Reason })
	return b.snap
}

// builder holds what Build has read so far.
type builder struct {
	snap hr.Snapshot
	day  string
	// bad collects the problems that reject a person, by personCode.
	bad         map[string][]string
	units       map[string]orgUnit
	jobs        map[string]jobProfile
	persons     map[string]person
	idToCode    map[string]string // person id -> personCode
	unitManager map[string]string // unit id -> manager's personCode
	contracts   map[string][]hr.Contract
}

// readUnits keeps, per organisation unit, the version valid today.
func (b *builder) readUnits(raws []json.RawMessage) {
	b.units = map[string]orgUnit{}
	unitVersion := map[string][2]string{}
	for _, raw := range raws {
		var u orgUnit
		if json.Unmarshal(raw, &u) != nil || u.ID == "" {
			continue
		}
		f, t := period(u.ValidFrom, u.ValidUntil)
		if old, ok := unitVersion[string(u.ID)]; ok && !better([2]string{f, t}, old, b.day) {
			continue
		}
		b.units[string(u.ID)], unitVersion[string(u.ID)] = u, [2]string{f, t}
	}
}

// readJobs keeps the first readable record of each job profile.
func (b *builder) readJobs(raws []json.RawMessage) {
	b.jobs = map[string]jobProfile{}
	for _, raw := range raws {
		var j jobProfile
		if json.Unmarshal(raw, &j) == nil && j.ID != "" {
			if _, dup := b.jobs[string(j.ID)]; !dup {
				b.jobs[string(j.ID)] = j
			}
		}
	}
}

// readPersons keeps, per personCode, the version valid today; an unreadable
// record with a personCode marks that person bad, one without is rejected.
func (b *builder) readPersons(raws []json.RawMessage) {
	b.persons = map[string]person{}
	b.idToCode = map[string]string{}
	personVersion := map[string][2]string{}
	for i, raw := range raws {
		var p person
		if err := json.Unmarshal(raw, &p); err != nil {
			id := vendorhttp.Field(raw, "personCode")
			if id == "" {
				b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{Source: SourceName, Reason: fmt.Sprintf("person record %d: %v", i+1, err)})
			} else {
				b.bad[id] = append(b.bad[id], fmt.Sprintf("person record: %v", err))
				if _, ok := b.persons[id]; !ok {
					b.persons[id] = person{PersonCode: text(id)}
				}
			}
			continue
		}
		if p.PersonCode == "" {
			b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{Source: SourceName, Reason: fmt.Sprintf("person record %d: no personCode", i+1)})
			continue
		}
		code := string(p.PersonCode)
		if p.ID != "" {
			b.idToCode[string(p.ID)] = code
		}
		f, t := period(p.ValidFrom, p.ValidUntil)
		if old, ok := personVersion[code]; ok && !better([2]string{f, t}, old, b.day) {
			continue
		}
		b.persons[code], personVersion[code] = p, [2]string{f, t}
	}
}

// unitManagersFromUnits (Business) takes each unit's manager person id and
// maps it to a personCode; an unknown one is reported in Warnings.
func (b *builder) unitManagersFromUnits() {
	b.unitManager = map[string]string{}
	for id, u := range b.units {
		m := string(u.Manager)
		if m == "" {
			continue
		}
		if code, ok := b.idToCode[m]; ok {
			b.unitManager[id] = code
		} else if _, ok := b.persons[m]; ok {
			b.unitManager[id] = m // already a personCode
		} else {
			b.snap.Warnings = append(b.snap.Warnings, hr.Rejection{Source: SourceName,
				Reason: fmt.Sprintf("organisation unit %s: manager person id %q matches no person; the parent unit's manager applies", id, m)})
		}
	}
}

// unitManagersFromRoles takes, per unit, the lowest personCode holding the
// manager role today.
func (b *builder) unitManagersFromRoles(raws []json.RawMessage, role string) {
	b.unitManager = map[string]string{}
	codeToUnit := map[string]string{}
	for id, u := range b.units {
		if u.ShortName != "" {
			codeToUnit[string(u.ShortName)] = id
		}
	}
	for _, raw := range raws {
		var ra roleAssignment
		if json.Unmarshal(raw, &ra) != nil || ra.PersonCode == "" || !strings.EqualFold(string(ra.ShortName), role) {
			continue
		}
		f, t := period(ra.StartDate, ra.EndDate)
		if f > b.day || t < b.day {
			continue
		}
		unit := string(ra.OrganizationUnit)
		if _, ok := b.units[unit]; !ok {
			unit = codeToUnit[string(ra.OrganizationUnitCode)]
		}
		if unit == "" {
			continue
		}
		if cur, ok := b.unitManager[unit]; !ok || lessCode(string(ra.PersonCode), cur) {
			b.unitManager[unit] = string(ra.PersonCode)
		}
	}
}

// readEmployments turns employments into contracts, per personCode, keeping
// the version of each employment valid today.
func (b *builder) readEmployments(raws []json.RawMessage) {
	b.contracts = map[string][]hr.Contract{}
	empVersion := map[string][2]string{}
	empIndex := map[string]int{}
	for i, raw := range raws {
		var e employment
		if err := json.Unmarshal(raw, &e); err != nil {
			id := vendorhttp.Field(raw, "personCode")
			b.bad[id] = append(b.bad[id], fmt.Sprintf("employment record %d: %v", i+1, err))
			continue
		}
		id := string(e.PersonCode)
		c, ok := b.contract(e)
		if !ok {
			continue
		}
		// Several versions of one employment: keep the one valid today.
		key := id + "\x00" + c.ID
		f, t := period(e.ValidFrom, e.ValidUntil)
		if old, ok := empVersion[key]; ok {
			if better([2]string{f, t}, old, b.day) {
				b.contracts[id][empIndex[key]] = c
				empVersion[key] = [2]string{f, t}
			}
			continue
		}
		empVersion[key], empIndex[key] = [2]string{f, t}, len(b.contracts[id])
		b.contracts[id] = append(b.contracts[id], c)
	}
}

// contract maps one employment; false (with the problem in bad) when its
// dates are unreadable.
func (b *builder) contract(e employment) (hr.Contract, bool) {
	id := string(e.PersonCode)
	start, err := vendorhttp.Day(string(e.HireDate))
	if err != nil || start.IsZero() {
		b.bad[id] = append(b.bad[id], fmt.Sprintf("employment %s: hireDate %q unreadable", e.ID, string(e.HireDate)))
		return hr.Contract{}, false
	}
	end, err := vendorhttp.EndDay(string(e.DischargeDate))
	if err != nil {
		b.bad[id] = append(b.bad[id], fmt.Sprintf("employment %s: dischargeDate: %v", e.ID, err))
		return hr.Contract{}, false
	}
	c := hr.Contract{ID: string(e.ID), Start: start, End: end, Company: string(e.Company), CostCenter: string(e.CostCenter),
		EmployeeType: string(e.EmploymentType)}
	if c.ID == "" {
		c.ID = id + "_" + string(e.EmploymentCode)
	}
	if u, ok := b.units[string(e.OrganizationUnit)]; ok {
		c.Department, c.DepartmentName = string(u.ShortName), string(u.FullName)
		c.ManagerEmployeeID = managerOf(b.units, b.unitManager, u, id)
	} else {
		c.Department = string(e.OrganizationUnit)
	}
	if j, ok := b.jobs[string(e.JobProfile)]; ok {
		c.JobCode, c.JobTitle = string(j.ShortName), string(j.FullName)
	} else {
		c.JobCode = string(e.JobProfile)
	}
	return c, true
}

// assemble builds the employees in personCode order, rejecting those with
// problems, then rejects the people who had only employment problems.
func (b *builder) assemble() {
	ids := make([]string, 0, len(b.persons))
	for id := range b.persons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := b.persons[id]
		usage, err := nameUsage(string(p.NameAssembleOrder))
		if err != nil {
			b.bad[id] = append(b.bad[id], err.Error())
		}
		if len(b.bad[id]) > 0 {
			b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(b.bad[id], "; ")})
			delete(b.bad, id)
			continue
		}
		e := hr.Employee{EmployeeID: id, GivenName: string(p.FirstNames), PreferredName: string(p.KnownAs),
			Prefix: string(p.LastNameAtBirthPrefix), FamilyName: string(p.LastNameAtBirth),
			PartnerPrefix: string(p.PartnerNamePrefix), PartnerFamilyName: string(p.PartnerName), NameUsage: usage,
			Contracts: b.contracts[id]}
		if e.PreferredName != "" {
			e.GivenName = e.PreferredName
		}
		for _, m := range p.EmailAddresses {
			if strings.EqualFold(string(m.Type), "Business") {
				e.WorkEmail = string(m.Address)
			}
		}
		b.snap.Employees = append(b.snap.Employees, e)
	}
	// Employment problems of people without a person record.
	var orphans []string
	for id := range b.bad {
		orphans = append(orphans, id)
	}
	sort.Strings(orphans)
	for _, id := range orphans {
		b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(b.bad[id], "; ")})
	}
}

// lessCode orders person codes numerically when both are numbers (as the
// HelloID connector sorts them), else as text.
func lessCode(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

// managerOf returns the unit's manager, walking to parent units when the
// unit has none or the employee manages the unit themself.
func managerOf(units map[string]orgUnit, managers map[string]string, u orgUnit, self string) string {
	for range 32 {
		if m := managers[string(u.ID)]; m != "" && m != self {
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
