package policy

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validate checks a policy's values: a plausible domain, a loadable time
// zone, HH:MM leave time, day counts between 0 and 3650, percentages between
// 0 and 100, templates using only known placeholders, unique non-empty rule
// names, rules that grant something, app roles with app and role. It also
// normalises what it checks (trimmed names, lower-case domain, upper-case
// usage location) and resolves the time zone. Parse calls it; call it
// yourself for a policy built in code.
func (p *Policy) Validate() error {
	v := &validator{p: p}
	v.tenant()
	v.naming()
	v.lifecycle()
	v.guard()
	v.scope()
	v.rules()
	if len(v.errs) > 0 {
		return joinSorted(v.errs)
	}
	return nil
}

type validator struct {
	p    *Policy
	errs []*Error
}

// line finds the line of path, or of its nearest recorded parent.
func (v *validator) line(path string) int {
	for path != "" {
		if l, ok := v.p.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	if v.p.lines != nil {
		// Loaded from a file but nothing on the path is in it (a required key left out):
		// point at the top of the file, where the missing section belongs.
		return 1
	}
	return 0
}

func (v *validator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.p.source, Line: v.line(path), Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) tenant() {
	t := &v.p.Tenant
	t.Domain = strings.ToLower(strings.TrimSpace(t.Domain))
	if t.Domain == "" {
		v.errorf("tenant.domain", "tenant.domain is required: the verified domain used for UPNs")
	} else if reason := checkDomain(t.Domain); reason != "" {
		v.errorf("tenant.domain", "tenant.domain %q %s", t.Domain, reason)
	}
	t.UsageLocation = strings.ToUpper(strings.TrimSpace(t.UsageLocation))
	if t.UsageLocation != "" && !isCountryCode(t.UsageLocation) {
		v.errorf("tenant.usageLocation", "tenant.usageLocation %q must be a two-letter country code such as NL", t.UsageLocation)
	}
	if t.UsageLocation == "" {
		for i, r := range v.p.Rules {
			if len(r.Licenses) > 0 {
				v.errorf(fmt.Sprintf("rules[%d].licenses", i), "tenant.usageLocation is required because rule %q assigns licences (Entra refuses a licence without it)", r.Name)
				break
			}
		}
	}
}

// maxDomainLength is the longest UPN suffix Entra accepts: "There can be up
// to 48 characters after the @ symbol" (Microsoft Entra username policies,
// https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy#username-policies).
const maxDomainLength = 48

// checkDomain returns why a domain name is implausible, or "".
func checkDomain(d string) string {
	if len(d) > maxDomainLength {
		return fmt.Sprintf("is longer than the %d characters Entra allows after the @", maxDomainLength)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "is not a domain name (expected something like contoso.com)"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "is not a domain name"
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Sprintf("contains %q; a domain has letters, digits, hyphens and dots only", c)
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "is not a domain name"
	}
	return ""
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func (v *validator) naming() {
	n := &v.p.Naming
	if strings.TrimSpace(n.UPN) == "" {
		n.UPN = DefaultUPNTemplate
	}
	if strings.TrimSpace(n.MailNickname) == "" {
		n.MailNickname = n.UPN
	}
	if strings.TrimSpace(n.DisplayName) == "" {
		n.DisplayName = DefaultDisplayNameTemplate
	}
	for _, t := range []struct {
		path, text string
		address    bool
	}{
		{"naming.upn", n.UPN, true},
		{"naming.mailNickname", n.MailNickname, true},
		{"naming.displayName", n.DisplayName, false},
	} {
		if _, err := parseTemplate(t.text, t.address); err != nil {
			v.errorf(t.path, "%s %q: %v", t.path, t.text, err)
		}
	}
}

func (v *validator) lifecycle() {
	l := &v.p.Lifecycle
	l.Timezone = strings.TrimSpace(l.Timezone)
	if l.Timezone == "" {
		v.errorf("lifecycle.timezone", "lifecycle.timezone must name an IANA time zone such as %s", DefaultTimezone)
	} else if strings.EqualFold(l.Timezone, "local") {
		v.errorf("lifecycle.timezone", "lifecycle.timezone %q depends on the machine; name an IANA time zone such as %s", l.Timezone, DefaultTimezone)
	} else if loc, err := time.LoadLocation(l.Timezone); err != nil {
		v.errorf("lifecycle.timezone", "lifecycle.timezone %q is not a known time zone (expected an IANA name such as %s)", l.Timezone, DefaultTimezone)
	} else {
		v.p.loc = loc
	}
	l.LeaveTime = strings.TrimSpace(l.LeaveTime)
	if _, _, ok := parseClock(l.LeaveTime); !ok {
		v.errorf("lifecycle.leaveTime", "lifecycle.leaveTime %q must be a 24-hour time HH:MM such as 17:00", l.LeaveTime)
	}
	// A Temporary Access Pass lives from 10 minutes to 30 days
	// (https://learn.microsoft.com/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration:
	// minimumLifetimeInMinutes and maximumLifetimeInMinutes, 10 to 43200).
	if n := l.TemporaryAccessPassLifetimeMinutes; n != 0 && (n < minPassMinutes || n > maxPassMinutes) {
		v.errorf("lifecycle.temporaryAccessPassLifetimeMinutes", "lifecycle.temporaryAccessPassLifetimeMinutes must be between %d and %d minutes (0: the tenant's default), got %d",
			minPassMinutes, maxPassMinutes, n)
	}
	for _, d := range []struct {
		key string
		n   int
	}{
		{"createDaysBeforeStart", l.CreateDaysBeforeStart},
		{"transferGraceDays", l.TransferGraceDays},
		{"deleteAfterDays", l.DeleteAfterDays},
	} {
		if d.n < 0 || d.n > maxDays {
			v.errorf("lifecycle."+d.key, "lifecycle.%s must be between 0 and %d days, got %d", d.key, maxDays, d.n)
		}
	}
}

// The range Entra allows for a Temporary Access Pass's lifetime, in minutes.
const (
	minPassMinutes = 10
	maxPassMinutes = 43200
)

func (v *validator) guard() {
	g := v.p.Guard
	for _, x := range []struct {
		key string
		n   float64
	}{
		{"maxDisablePercent", g.MaxDisablePercent},
		{"maxDeletePercent", g.MaxDeletePercent},
		{"maxRemovalPercent", g.MaxRemovalPercent},
	} {
		if !(x.n >= 0 && x.n <= 100) { // also refuses NaN
			v.errorf("guard."+x.key, "guard.%s must be a percentage between 0 and 100, got %v", x.key, x.n)
		}
	}
	if _, err := g.WindowDuration(); err != nil {
		v.errorf("guard.window", "%v", err)
	}
}

func (v *validator) scope() {
	s := &v.p.Scope
	v.values("scope.companies", "scope.companies", s.Companies)
	v.values("scope.departments", "scope.departments", s.Departments)
	v.values("scope.employeeTypes", "scope.employeeTypes", s.EmployeeTypes)
}

// values checks a list of match values: none empty, no duplicates.
func (v *validator) values(path, what string, vals []string) {
	seen := map[string]int{}
	for i, s := range vals {
		p := fmt.Sprintf("%s[%d]", path, i)
		key := matchKey(s)
		if key == "" {
			v.errorf(p, "%s has an empty entry", what)
			continue
		}
		if j, dup := seen[key]; dup {
			v.errorf(p, "%s lists %q twice (also entry %d)", what, strings.TrimSpace(s), j+1)
			continue
		}
		seen[key] = i
	}
}

func (v *validator) rules() {
	names := map[string]int{}
	for i := range v.p.Rules {
		r := &v.p.Rules[i]
		path := fmt.Sprintf("rules[%d]", i)
		r.Name = strings.TrimSpace(r.Name)
		ctx := fmt.Sprintf("rule %q", r.Name)
		switch {
		case r.Name == "":
			ctx = fmt.Sprintf("rule #%d", i+1)
			v.errorf(path+".name", "%s has no name; every rule needs a unique name", ctx)
		case strings.ContainsFunc(r.Name, unicode.IsControl) || !utf8.ValidString(r.Name):
			v.errorf(path+".name", "%s: the name contains control characters", ctx)
		default:
			key := strings.ToLower(r.Name)
			if j, dup := names[key]; dup {
				v.errorf(path+".name", "duplicate rule name %q (first used at line %d)", r.Name, v.line(fmt.Sprintf("rules[%d].name", j)))
			} else {
				names[key] = i
			}
		}

		m := r.When
		for k, vals := range [][]string{m.Department, m.JobCode, m.JobTitle, m.EmployeeType, m.Company, m.CostCenter} {
			v.values(path+".when."+whenKeys[k], ctx+": when."+whenKeys[k], vals)
		}

		if len(r.Groups)+len(r.Licenses)+len(r.AppRoles) == 0 {
			v.errorf(path, "%s grants nothing: give it groups, licenses or appRoles", ctx)
		}
		v.items(path+".groups", ctx+": groups", r.Groups, false)
		v.items(path+".licenses", ctx+": licenses", r.Licenses, true)
		seen := map[string]int{}
		for j := range r.AppRoles {
			ar := &r.AppRoles[j]
			ap := fmt.Sprintf("%s.appRoles[%d]", path, j)
			ar.App, ar.Role = strings.TrimSpace(ar.App), strings.TrimSpace(ar.Role)
			if ar.App == "" || ar.Role == "" {
				v.errorf(ap, "%s: app role #%d needs both app and role", ctx, j+1)
				continue
			}
			key := Entitlement{Kind: KindAppRole, App: ar.App, Role: ar.Role}.key()
			if k, dup := seen[key]; dup {
				v.errorf(ap, "%s: app role %s/%s is listed twice (also entry %d)", ctx, ar.App, ar.Role, k+1)
				continue
			}
			seen[key] = j
		}
	}
}

// items checks group names or SKU part numbers: trimmed, non-empty, unique
// within the list; SKU part numbers have no spaces.
func (v *validator) items(path, what string, vals []string, sku bool) {
	seen := map[string]int{}
	for i := range vals {
		vals[i] = strings.TrimSpace(vals[i])
		s := vals[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case s == "":
			v.errorf(p, "%s has an empty entry", what)
			continue
		case sku && strings.ContainsFunc(s, unicode.IsSpace):
			v.errorf(p, "%s: %q is not a SKU part number (such as SPE_E3): it contains spaces", what, s)
			continue
		case strings.ContainsFunc(s, unicode.IsControl):
			v.errorf(p, "%s: %q contains control characters", what, s)
			continue
		}
		key := strings.ToLower(s)
		if j, dup := seen[key]; dup {
			v.errorf(p, "%s lists %q twice (also entry %d)", what, s, j+1)
			continue
		}
		seen[key] = i
	}
}
