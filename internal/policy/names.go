package policy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name usage values (how the surname is composed), matching AFAS Naamgebruik
// B, P, BP and PB; the AFAS codes are accepted too.
const (
	NameUsageOwn        = "own"
	NameUsagePartner    = "partner"
	NameUsageOwnPartner = "own-partner"
	NameUsagePartnerOwn = "partner-own"
)

// Person is the name data of an employee as HR holds it.
type Person struct {
	GivenName         string `json:"givenName"`               // official given name(s), "Johannes Petrus"
	Prefix            string `json:"prefix,omitempty"`        // own surname prefix, "de", "van der", "'t"
	FamilyName        string `json:"familyName"`              // own family name without prefix, "Vries"
	PreferredName     string `json:"preferredName,omitempty"` // roepnaam, "Jan"
	PartnerPrefix     string `json:"partnerPrefix,omitempty"`
	PartnerFamilyName string `json:"partnerFamilyName,omitempty"`
	NameUsage         string `json:"nameUsage,omitempty"` // own, partner, own-partner, partner-own ("" = own)
}

// Names are the directory attributes derived from a Person.
type Names struct {
	DisplayName  string `json:"displayName"`
	GivenName    string `json:"givenName"`
	Surname      string `json:"surname"`
	MailNickname string `json:"mailNickname"`
	// UPN is the full user principal name, local@domain.
	UPN string `json:"userPrincipalName"`
}

// ErrNoUsableName is returned (wrapped) when a person's name yields no
// characters usable in a UPN or mail nickname, for example a name written
// only in a script the engine does not transliterate.
var ErrNoUsableName = errors.New("name has no characters usable in a user principal name")

// errUnknownUsage and errNoName are wrapped by Names for unusable input.
var (
	errUnknownUsage = errors.New("unknown name usage")
	errNoName       = errors.New("person has neither a given name nor a family name")
)

// ErrNoFreeUPN is returned (wrapped) by UniqueUPN when every numbered
// variant up to MaxCollisionNumber is taken.
var ErrNoFreeUPN = errors.New("no free user principal name")

// MaxCollisionNumber is the highest number UniqueUPN appends. Generated
// local parts keep room for it, so a numbered UPN is always the base UPN
// with the number appended and never exceeds MaxLocalPart.
const MaxCollisionNumber = 999

// collisionRoom is the room kept for a collision number.
var collisionRoom = len(strconv.Itoa(MaxCollisionNumber))

// Placeholders usable in naming templates.
const (
	phGiven        = "given"
	phGivenInitial = "givenInitial"
	phInitials     = "initials"
	phPrefix       = "prefix"
	phFamily       = "family"
	phSurname      = "surname"
)

var placeholders = []string{phGiven, phGivenInitial, phInitials, phPrefix, phFamily, phSurname}

// truncation order for address templates: the family part gives way first.
var truncateOrder = []string{phFamily, phSurname, phPrefix, phGiven, phInitials, phGivenInitial}

// maxTemplateLiteral bounds the literal characters of an address template, so
// the name always has room.
const maxTemplateLiteral = 16

type segment struct {
	lit   string // literal text, when ph is empty
	ph    string // placeholder name
	width int    // at most this many characters of the value; 0 = no bound
}

// parseTemplate splits a template into literals and placeholders. Address
// templates (UPN, mail nickname) may only contain a-z A-Z 0-9 . - _ besides
// placeholders.
func parseTemplate(t string, address bool) ([]segment, error) {
	var segs []segment
	named, literal := 0, 0
	rest := t
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			segs = append(segs, segment{lit: rest})
			literal += len(rest)
			break
		}
		if rest[open] == '}' {
			return nil, errors.New(`"}" without "{"`)
		}
		if open > 0 {
			segs = append(segs, segment{lit: rest[:open]})
			literal += open
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, errors.New(`"{" without "}"`)
		}
		name := rest[open+1 : open+end]
		width := 0
		if n, w, ok := strings.Cut(name, ":"); ok {
			name = n
			max := MaxDisplayName
			if address {
				max = MaxLocalPart - collisionRoom
			}
			v, err := strconv.Atoi(w)
			if err != nil || v < 1 || v > max {
				return nil, fmt.Errorf("{%s:%s}: the width must be a whole number from 1 to %d (Entra allows %d characters there)", n, w, max, max)
			}
			width = v
		}
		if !contains(placeholders, name) {
			return nil, fmt.Errorf("unknown placeholder {%s} (known: {%s})", name, strings.Join(placeholders, "}, {"))
		}
		if name != phPrefix {
			named++
		}
		segs = append(segs, segment{ph: name, width: width})
		rest = rest[open+end+1:]
	}
	if named == 0 {
		return nil, errors.New("uses no name placeholder such as {given} or {family}")
	}
	for _, s := range segs {
		if s.ph != "" {
			continue
		}
		for _, r := range s.lit {
			if unicode.IsControl(r) {
				return nil, errors.New("contains control characters")
			}
			if address && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				return nil, fmt.Errorf("contains %q; outside placeholders only letters, digits, '.', '-' and '_' may appear", r)
			}
		}
	}
	if address && literal > maxTemplateLiteral {
		return nil, fmt.Errorf("has %d literal characters; at most %d leave room for the name", literal, maxTemplateLiteral)
	}
	if !address && utf8.RuneCountInString(t)-placeholderRunes(segs) > MaxDisplayName-countPlaceholders(segs) {
		return nil, fmt.Errorf("has more literal text than the %d characters Entra allows in a display name", MaxDisplayName)
	}
	return segs, nil
}

func countPlaceholders(segs []segment) int {
	n := 0
	for _, s := range segs {
		if s.ph != "" {
			n++
		}
	}
	return n
}

// placeholderRunes counts the characters the placeholders take in a template's
// text (braces included).
func placeholderRunes(segs []segment) int {
	n := 0
	for _, s := range segs {
		if s.ph != "" {
			n += len(s.ph) + 2
			if s.width > 0 {
				n += 1 + len(strconv.Itoa(s.width))
			}
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nameParts are a person's name pieces in display form.
type nameParts struct {
	given        string // preferred name, else given names
	givenInitial string // "J"
	initials     string // "J.P."
	prefix       string // lower case, "van der"
	family       string // "Vries", "Vries-Bakker", "Dijk-de Vries"
}

func (np nameParts) value(ph string) string {
	switch ph {
	case phGiven:
		return np.given
	case phGivenInitial:
		return np.givenInitial
	case phInitials:
		return np.initials
	case phPrefix:
		return np.prefix
	case phFamily:
		return np.family
	case phSurname:
		return joinSpace(np.prefix, np.family)
	}
	return ""
}

func joinSpace(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// normUsage maps a name usage, including AFAS codes, to its canonical value.
func normUsage(u string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "", NameUsageOwn, "b":
		return NameUsageOwn, nil
	case NameUsagePartner, "p":
		return NameUsagePartner, nil
	case NameUsageOwnPartner, "bp":
		return NameUsageOwnPartner, nil
	case NameUsagePartnerOwn, "pb":
		return NameUsagePartnerOwn, nil
	}
	return "", fmt.Errorf("%w %q (expected own, partner, own-partner or partner-own)", errUnknownUsage, u)
}

// parts composes the name pieces. The surname follows the name usage:
// own "de Vries", partner "Bakker", own-partner "de Vries-Bakker",
// partner-own "Bakker-de Vries". When the partner's family name is missing
// the own name is used, and vice versa. Prefixes are lower case.
func (p Person) parts() (nameParts, error) {
	usage, err := normUsage(p.NameUsage)
	if err != nil {
		return nameParts{}, err
	}
	given := cleanDisplay(p.GivenName)
	preferred := cleanDisplay(p.PreferredName)
	ownPrefix := strings.ToLower(cleanDisplay(p.Prefix))
	ownFamily := cleanDisplay(p.FamilyName)
	partnerPrefix := strings.ToLower(cleanDisplay(p.PartnerPrefix))
	partnerFamily := cleanDisplay(p.PartnerFamilyName)
	if ownFamily == "" {
		ownPrefix = ""
	}
	if partnerFamily == "" {
		partnerPrefix = ""
	}

	var np nameParts
	np.given = preferred
	if np.given == "" {
		np.given = given
	}
	np.initials = initials(given)
	if np.initials == "" {
		np.initials = initials(preferred)
	}
	if r, _ := firstLetter(np.given); r != 0 {
		np.givenInitial = string(unicode.ToUpper(r))
	}

	switch {
	case partnerFamily == "" || usage == NameUsageOwn && ownFamily != "":
		np.prefix, np.family = ownPrefix, ownFamily
	case ownFamily == "" || usage == NameUsagePartner:
		np.prefix, np.family = partnerPrefix, partnerFamily
	case usage == NameUsageOwnPartner:
		np.prefix, np.family = ownPrefix, ownFamily+"-"+joinSpace(partnerPrefix, partnerFamily)
	default: // partner-own
		np.prefix, np.family = partnerPrefix, partnerFamily+"-"+joinSpace(ownPrefix, ownFamily)
	}
	if np.given == "" && np.family == "" {
		return nameParts{}, errNoName
	}
	return np, nil
}

// firstLetter returns the first letter of s.
func firstLetter(s string) (rune, int) {
	for i, r := range s {
		if unicode.IsLetter(r) {
			return r, i
		}
	}
	return 0, -1
}

// initials returns "J.P." for "Johannes Petrus" and "J.W." for "Jan-Willem".
func initials(given string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(given, func(r rune) bool { return unicode.IsSpace(r) || isDash(r) }) {
		if r, _ := firstLetter(w); r != 0 {
			b.WriteRune(unicode.ToUpper(r))
			b.WriteByte('.')
		}
	}
	return b.String()
}

// capitalize upper-cases the first letter of a prefix that opens a display
// name ("De Vries"), as Dutch spelling does when no given name or initial
// precedes it; a prefix opening with an apostrophe ("'t Hart") stays as is.
func capitalize(prefix string) string {
	r, size := utf8.DecodeRuneInString(prefix)
	if !unicode.IsLetter(r) {
		return prefix
	}
	return string(unicode.ToUpper(r)) + prefix[size:]
}

// renderDisplay fills a display template.
func renderDisplay(segs []segment, np nameParts) string {
	var b strings.Builder
	for _, s := range segs {
		if s.ph == "" {
			b.WriteString(s.lit)
			continue
		}
		v := np.value(s.ph)
		if s.width > 0 {
			v = truncateRunes(v, s.width)
		}
		leading := strings.TrimSpace(b.String()) == ""
		if leading && (s.ph == phPrefix || s.ph == phSurname && np.prefix != "") {
			v = capitalize(v)
		}
		b.WriteString(v)
	}
	out := cleanDisplay(b.String())
	out = strings.ReplaceAll(out, " ,", ",")
	return strings.Trim(out, " ,")
}

// renderAddress fills a UPN or mail nickname template within budget
// characters: each name value is folded (see foldAddress), then, while the
// result is too long, the family part is shortened first, then the prefix,
// then the given name and initials.
func renderAddress(segs []segment, np nameParts, budget int) string {
	vals := make([]string, len(segs))
	for i, s := range segs {
		if s.ph == "" {
			vals[i] = strings.ToLower(s.lit)
		} else {
			vals[i] = cleanValue(foldAddress(np.value(s.ph)))
			if s.width > 0 && len(vals[i]) > s.width {
				vals[i] = strings.TrimRight(vals[i][:s.width], ".-")
			}
		}
	}
	build := func() string { return cleanAddress(strings.Join(vals, "")) }
	out := build()
	for _, ph := range truncateOrder {
		for i := len(segs) - 1; i >= 0 && len(out) > budget; i-- {
			if segs[i].ph != ph || len(vals[i]) <= 1 {
				continue
			}
			keep := max(len(vals[i])-(len(out)-budget), 1)
			vals[i] = strings.TrimRight(vals[i][:keep], ".-")
			out = build()
		}
	}
	if len(out) > budget { // only reachable with absurd literals
		out = cleanAddress(out[:budget])
	}
	return out
}

// Names derives the directory names of a person (pure):
//
//   - GivenName: the preferred name (roepnaam) when present, else the given
//     names; Surname: prefix and family name composed per NameUsage
//     ("de Vries", "Bakker-de Vries"); both at most 64 characters.
//   - DisplayName: the displayName template, NFC-composed, with diacritics
//     and capitals kept. A prefix is lower case after a given name or
//     initials ("Jan de Vries", "Vries, Jan de") and capitalised when it
//     opens the name ("De Vries, J."), except one opening with an
//     apostrophe ("'t Hart"). At most 256 characters.
//   - UPN and MailNickname: their templates, lower-cased, diacritics folded,
//     spaces and apostrophes dropped, hyphens kept, only a-z 0-9 . - (and
//     template literals), never starting or ending with "." or "-", at most
//     61 characters so a collision number up to 999 always fits in Entra's
//     64; a name too long loses the end of its family part first.
//
// The domain is lower-cased. Empty templates take the defaults.
func (n Naming) Names(p Person, domain string) (Names, error) {
	return n.numbered(p, domain, 1)
}

// numbered derives the names with a collision number appended to the UPN
// local part and mail nickname (number 1 means none).
func (n Naming) numbered(p Person, domain string, number int) (Names, error) {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" {
		return Names{}, errors.New("deriving names: no domain")
	}
	np, err := p.parts()
	if err != nil {
		return Names{}, fmt.Errorf("deriving names: %w", err)
	}
	upnT, mailT, dispT := n.templates()
	upnSegs, err := parseTemplate(upnT, true)
	if err != nil {
		return Names{}, fmt.Errorf("naming.upn template %q: %w", upnT, err)
	}
	mailSegs, err := parseTemplate(mailT, true)
	if err != nil {
		return Names{}, fmt.Errorf("naming.mailNickname template %q: %w", mailT, err)
	}
	dispSegs, err := parseTemplate(dispT, false)
	if err != nil {
		return Names{}, fmt.Errorf("naming.displayName template %q: %w", dispT, err)
	}

	budget := MaxLocalPart - collisionRoom
	local := renderAddress(upnSegs, np, budget)
	nick := renderAddress(mailSegs, np, budget)
	if local == "" || nick == "" {
		return Names{}, fmt.Errorf("deriving names for %q: %w", joinSpace(np.given, joinSpace(np.prefix, np.family)), ErrNoUsableName)
	}
	if number > 1 {
		suffix := strconv.Itoa(number)
		local += suffix
		nick += suffix
	}
	out := Names{
		GivenName:    truncateRunes(np.given, MaxNamePart),
		Surname:      truncateRunes(joinSpace(np.prefix, np.family), MaxNamePart),
		DisplayName:  truncateRunes(renderDisplay(dispSegs, np), MaxDisplayName),
		MailNickname: nick,
		UPN:          local + "@" + domain,
	}
	if out.DisplayName == "" {
		out.DisplayName = truncateRunes(joinSpace(np.given, joinSpace(np.prefix, np.family)), MaxDisplayName)
	}
	return out, nil
}

func (n Naming) templates() (upn, mail, display string) {
	upn, mail, display = n.UPN, n.MailNickname, n.DisplayName
	if strings.TrimSpace(upn) == "" {
		upn = DefaultUPNTemplate
	}
	if strings.TrimSpace(mail) == "" {
		mail = upn
	}
	if strings.TrimSpace(display) == "" {
		display = DefaultDisplayNameTemplate
	}
	return upn, mail, display
}

// UPNChecker asks the directory whether an address is in use. The directory
// adapter looks at the userPrincipalName and mail of existing users only; an
// address held elsewhere (a proxyAddress, a deleted user awaiting restore)
// is found when Entra refuses the create, and the hire then chooses again.
type UPNChecker interface {
	UPNTaken(ctx context.Context, upn string) (bool, error)
}

// UniqueUPN derives the person's names and picks the lowest free UPN:
// jan.devries@…, then jan.devries2@…, jan.devries3@… up to
// MaxCollisionNumber; the mail nickname carries the same number. Every
// candidate is asked of the directory; a candidate for which own returns true
// (the employee's own current UPN or alias) counts as free without asking.
// own may be nil. Checker errors are returned wrapped.
//
// Note that the lowest free number may be lower than the one an existing
// account holds once an earlier holder is gone; call this when creating an
// account or when the name changes (see IsVariant), not on every sync.
func (n Naming) UniqueUPN(ctx context.Context, p Person, domain string, c UPNChecker, own func(upn string) bool) (Names, error) {
	base, err := n.Names(p, domain)
	if err != nil {
		return Names{}, err
	}
	for number := 1; number <= MaxCollisionNumber; number++ {
		if err := ctx.Err(); err != nil {
			return Names{}, fmt.Errorf("choosing a UPN: %w", err)
		}
		cand := base
		if number > 1 {
			if cand, err = n.numbered(p, domain, number); err != nil {
				return Names{}, err
			}
		}
		if own != nil && own(cand.UPN) {
			return cand, nil
		}
		taken, err := c.UPNTaken(ctx, cand.UPN)
		if err != nil {
			return Names{}, fmt.Errorf("checking whether %s is taken: %w", cand.UPN, err)
		}
		if !taken {
			return cand, nil
		}
	}
	return Names{}, fmt.Errorf("%s and its numbered variants up to %d are all taken: %w", base.UPN, MaxCollisionNumber, ErrNoFreeUPN)
}

// IsVariant reports whether upn is the person's base UPN or a numbered
// variant of it (base local part followed by a number from 2 to
// MaxCollisionNumber), ignoring case. A workflow uses it to decide whether a
// name change calls for a new UPN.
func (n Naming) IsVariant(p Person, domain, upn string) (bool, error) {
	base, err := n.Names(p, domain)
	if err != nil {
		return false, err
	}
	upn = strings.ToLower(strings.TrimSpace(upn))
	if upn == base.UPN {
		return true, nil
	}
	baseLocal, baseDomain, _ := strings.Cut(base.UPN, "@")
	local, dom, ok := strings.Cut(upn, "@")
	if !ok || dom != baseDomain || !strings.HasPrefix(local, baseLocal) {
		return false, nil
	}
	num := local[len(baseLocal):]
	if num == "" || num[0] == '0' {
		return false, nil
	}
	k, err := strconv.Atoi(num)
	if err != nil {
		return false, nil
	}
	return k >= 2 && k <= MaxCollisionNumber, nil
}

// Names derives a person's names with the policy's naming and domain.
func (p *Policy) Names(per Person) (Names, error) {
	return p.Naming.Names(per, p.Tenant.Domain)
}

// UniqueUPN picks the person's lowest free UPN in the policy's domain; see
// Naming.UniqueUPN.
func (p *Policy) UniqueUPN(ctx context.Context, per Person, c UPNChecker, own func(upn string) bool) (Names, error) {
	return p.Naming.UniqueUPN(ctx, per, p.Tenant.Domain, c, own)
}
