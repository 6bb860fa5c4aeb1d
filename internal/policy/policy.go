// Package policy is the engine's access policy: which groups, licences and
// app roles an employee receives from their HR attributes, how accounts are
// named (UPN, mail nickname, display name, following Dutch naming
// conventions), which employees the engine manages at all (scope), the
// lifecycle timings (time zone, pre-hire days, leave time, retention) and the
// mass-change guard thresholds.
//
// A policy is read from a YAML file (JSON is valid YAML) with Load or Parse.
// Every problem is reported with the file name, the line and the reason, and
// unknown keys are refused, so a typo never silently changes access. Whether
// the groups, licences and app roles the policy names exist in the tenant is
// checked separately with CheckTenant, through the Catalog interface.
//
// Keys a file leaves out take these defaults: lifecycle.timezone
// Europe/Amsterdam, createDaysBeforeStart 14, temporaryAccessPass true,
// transferGraceDays 0, leaveTime "17:00", deleteAfterDays 30; guard 5% of
// accounts disabled / 2% deleted / 10% losing managed access, window 24h; naming.upn "{given}.{prefix}{family}",
// naming.mailNickname the UPN template, naming.displayName
// "{given} {prefix} {family}"; no scope (everyone is managed). tenant.domain
// has no default.
//
// Rules: every matching rule applies. Within a rule's `when`, keys
// (department, jobCode, jobTitle, employeeType, company, costCenter) AND and
// listed values OR; values compare case-insensitively, ignoring surrounding
// spaces. Only what some rule names is managed: nothing else is ever removed.
//
// Everything except Load, CheckTenant and UniqueUPN is pure: no I/O, no clock,
// no map iteration order. Entitlements, Diff, InScope, Guard.Check and Names
// may therefore be called from deterministic workflow code. UniqueUPN asks the
// directory through the UPNChecker interface and belongs in an activity.
package policy

import (
	"time"
	// The time zone database is embedded so that the policy's time zone loads
	// on machines without a system zoneinfo.
	_ "time/tzdata"
)

// Defaults applied where the policy file is silent.
const (
	// DefaultTimezone is the IANA time zone used when lifecycle.timezone is
	// absent: the engine serves Dutch organisations first.
	DefaultTimezone = "Europe/Amsterdam"
	// DefaultCreateDaysBeforeStart is how many days before the start date a
	// pre-hire account is created (disabled).
	DefaultCreateDaysBeforeStart = 14
	// DefaultTemporaryAccessPass says whether a Temporary Access Pass is
	// issued on the start date.
	DefaultTemporaryAccessPass = true
	// DefaultTransferGraceDays is how long the old department's access is kept
	// after a transfer.
	DefaultTransferGraceDays = 0
	// DefaultLeaveTime is the local time on the last working day at which
	// access ends.
	DefaultLeaveTime = "17:00"
	// DefaultDeleteAfterDays is how long a disabled leaver's account is kept
	// before it is deleted.
	DefaultDeleteAfterDays = 30
	// DefaultMaxDisablePercent is the share of managed accounts a single plan
	// may disable before it pauses for approval.
	DefaultMaxDisablePercent = 5
	// DefaultMaxDeletePercent is the share of managed accounts a single plan
	// may delete before it pauses for approval.
	DefaultMaxDeletePercent = 2
	// DefaultMaxRemovalPercent is the share of managed accounts whose managed
	// access (a group, licence or app role a rule grants) the tenant-wide guard
	// lets be removed, outside exits, within its sliding window.
	DefaultMaxRemovalPercent = 10
	// DefaultUPNTemplate builds the UPN local part.
	DefaultUPNTemplate = "{given}.{prefix}{family}"
	// DefaultDisplayNameTemplate builds the display name.
	DefaultDisplayNameTemplate = "{given} {prefix} {family}"
)

// maxDays bounds every day count in the policy; a larger number is almost
// certainly a unit mistake.
const maxDays = 3650

// Policy is a loaded, validated access policy. Build it with Load or Parse;
// a Policy built in code should be checked with Validate.
//
// The JSON form mirrors the file format, so a Policy marshalled with
// encoding/json can be read back with Parse.
type Policy struct {
	Tenant    Tenant    `json:"tenant"`
	Naming    Naming    `json:"naming"`
	Lifecycle Lifecycle `json:"lifecycle"`
	Guard     Guard     `json:"guard"`
	Scope     Scope     `json:"scope"`
	Rules     []Rule    `json:"rules"`

	source string
	// lines maps a value's path ("rules[2].groups[0]") to its line in the
	// source file. It is only looked up, never iterated.
	lines map[string]int
	loc   *time.Location
}

// Tenant describes the Entra tenant the policy is for.
type Tenant struct {
	// Domain is the verified domain used for UPNs and mail, lower case.
	Domain string `json:"domain"`
	// UsageLocation is the two-letter country code set on every account; it
	// is required when any rule assigns licences.
	UsageLocation string `json:"usageLocation,omitempty"`
}

// Naming holds the account naming templates. Empty templates fall back to
// the defaults; MailNickname falls back to the UPN template.
//
// Placeholders (see Names for the exact rules):
//
//	{given}         preferred name (roepnaam), else the given names
//	{givenInitial}  first letter of {given}
//	{initials}      initials of the given names, "J.P."
//	{prefix}        surname prefix as used ("de", "van der", "'t")
//	{family}        surname as used, without its leading prefix ("Vries", "Vries-Bakker")
//	{surname}       {prefix} and {family} together ("de Vries")
//
// A placeholder may carry a width, {given:8}: at most that many characters of
// its value (after folding, in UPN and mail nickname templates). Widths bound
// a template's length where the policy wants it; without them a UPN or mail
// nickname longer than Entra's 64 characters is shortened family part first
// (see Names). A width that can never fit (over 61 in an address template,
// over 256 in the display name) is refused when the policy loads, with the
// file, line and reason, as is literal text that leaves no room for the name.
type Naming struct {
	UPN          string `json:"upn,omitempty"`
	MailNickname string `json:"mailNickname,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
}

// Lifecycle holds the timings of the employee lifecycle.
type Lifecycle struct {
	// Timezone is the IANA time zone in which HR dates and LeaveTime are read.
	Timezone string `json:"timezone"`
	// CreateDaysBeforeStart: a pre-hire account is created (disabled) this
	// many days before the start date.
	CreateDaysBeforeStart int `json:"createDaysBeforeStart"`
	// TemporaryAccessPass: issue a Temporary Access Pass on the start date and
	// send it to the manager.
	TemporaryAccessPass bool `json:"temporaryAccessPass"`
	// TemporaryAccessPassLifetimeMinutes is how long an issued pass should
	// stay usable; 0 asks for the tenant's default. The tenant's Temporary
	// Access Pass policy bounds it: a value outside the tenant's minimum and
	// maximum is clamped, with a warning.
	TemporaryAccessPassLifetimeMinutes int `json:"temporaryAccessPassLifetimeMinutes,omitempty"`
	// TransferGraceDays: the old department's access is kept this long after
	// a transfer.
	TransferGraceDays int `json:"transferGraceDays"`
	// LeaveTime is the local time "HH:MM" on the last day when access ends.
	LeaveTime string `json:"leaveTime"`
	// DeleteAfterDays: a leaver's account is deleted this many days after it
	// is disabled; 0 means never delete, only disable.
	DeleteAfterDays int `json:"deleteAfterDays"`
}

// Scope limits which employees the engine manages. An empty list does not
// restrict; listed dimensions are ANDed, values within a list ORed, compared
// case-insensitively. Accounts of out-of-scope employees are never touched.
type Scope struct {
	Companies     []string `json:"companies,omitempty"`
	Departments   []string `json:"departments,omitempty"`
	EmployeeTypes []string `json:"employeeTypes,omitempty"`
}

// Rule grants groups, licences and app roles to every employee it matches.
type Rule struct {
	// Name identifies the rule; grants carry it as their source "role:<name>".
	Name string `json:"name"`
	// When selects employees; an empty When matches everyone.
	When Match `json:"when,omitzero"`
	// Groups are group display names.
	Groups []string `json:"groups,omitempty"`
	// Licenses are SKU part numbers, such as "SPE_E3".
	Licenses []string `json:"licenses,omitempty"`
	// AppRoles are app role assignments.
	AppRoles []AppRole `json:"appRoles,omitempty"`
}

// Match is a rule's condition: every non-empty list must contain the
// employee's value (keys AND, listed values OR). Values compare
// case-insensitively, ignoring surrounding spaces.
type Match struct {
	Department   []string `json:"department,omitempty"`
	JobCode      []string `json:"jobCode,omitempty"`
	JobTitle     []string `json:"jobTitle,omitempty"`
	EmployeeType []string `json:"employeeType,omitempty"`
	Company      []string `json:"company,omitempty"`
	CostCenter   []string `json:"costCenter,omitempty"`
}

// AppRole names an app role of an enterprise application: the application's
// display name and the role's display name (or value).
type AppRole struct {
	App  string `json:"app"`
	Role string `json:"role"`
}

// Attributes are the fields of an employee's effective HR view that the
// policy looks at.
type Attributes struct {
	Department   string
	JobCode      string
	JobTitle     string
	EmployeeType string
	Company      string
	CostCenter   string
}

// Default returns a policy holding every default and no rules. Its
// Tenant.Domain is empty, so it does not validate until one is set.
func Default() *Policy {
	return &Policy{
		Naming: Naming{
			UPN:          DefaultUPNTemplate,
			MailNickname: DefaultUPNTemplate,
			DisplayName:  DefaultDisplayNameTemplate,
		},
		Lifecycle: Lifecycle{
			Timezone:              DefaultTimezone,
			CreateDaysBeforeStart: DefaultCreateDaysBeforeStart,
			TemporaryAccessPass:   DefaultTemporaryAccessPass,
			TransferGraceDays:     DefaultTransferGraceDays,
			LeaveTime:             DefaultLeaveTime,
			DeleteAfterDays:       DefaultDeleteAfterDays,
		},
		Guard: Guard{
			MaxDisablePercent: DefaultMaxDisablePercent,
			MaxDeletePercent:  DefaultMaxDeletePercent,
			MaxRemovalPercent: DefaultMaxRemovalPercent,
		},
	}
}

// Source returns the name the policy was loaded from ("" when built in code).
func (p *Policy) Source() string { return p.source }

// Location returns the policy's time zone. It is resolved when the policy is
// parsed or validated; for a policy that was neither (for example one
// decoded from JSON) it is loaded from the embedded zone database on each
// call, falling back to UTC when the name is unknown.
func (p *Policy) Location() *time.Location {
	if p.loc != nil {
		return p.loc
	}
	loc, err := time.LoadLocation(p.Lifecycle.Timezone)
	if err != nil || p.Lifecycle.Timezone == "" {
		return time.UTC
	}
	return loc
}

// LeaveClock returns the hour and minute of Lifecycle.LeaveTime, or those of
// DefaultLeaveTime when it does not parse.
func (l Lifecycle) LeaveClock() (hour, minute int) {
	h, m, ok := parseClock(l.LeaveTime)
	if !ok {
		h, m, _ = parseClock(DefaultLeaveTime)
	}
	return h, m
}

// StartOfDay returns midnight at the start of the given calendar day in the
// policy's time zone (how a date "YYYY-MM-DD" is read).
func (p *Policy) StartOfDay(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, p.Location())
}

// LeaveAt returns the moment access ends for an employee whose last day is
// the given calendar day: that day at LeaveTime in the policy's time zone.
func (p *Policy) LeaveAt(year int, month time.Month, day int) time.Time {
	h, m := p.Lifecycle.LeaveClock()
	return time.Date(year, month, day, h, m, 0, 0, p.Location())
}

// parseClock reads "HH:MM" (24-hour, two digits each).
func parseClock(s string) (hour, minute int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, false
		}
	}
	hour = int(s[0]-'0')*10 + int(s[1]-'0')
	minute = int(s[3]-'0')*10 + int(s[4]-'0')
	if hour > 23 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}
