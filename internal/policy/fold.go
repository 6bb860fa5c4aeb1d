package policy

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Entra's rules for the part of a UPN before the @ ("Microsoft Entra username
// policies",
// https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy#username-policies):
// characters A-Z a-z 0-9 ' . - _ ! # ^ ~, no "." immediately before the @,
// up to 64 characters before the @ and 48 after. The Graph user resource
// (https://learn.microsoft.com/en-us/graph/api/resources/user) adds that
// userPrincipalName and mail can't contain accent characters and that
// mailNickname is at most 64 characters. The engine uses the conservative
// subset a-z 0-9 . - for generated names (apostrophes are dropped by the
// naming convention), never starts or ends with "." or "-" and never
// doubles a dot.
const (
	// MaxLocalPart is the longest UPN local part (before the @) and mail
	// nickname Entra accepts.
	MaxLocalPart = 64
	// MaxDisplayName is the longest displayName Entra accepts.
	MaxDisplayName = 256
	// MaxNamePart is the longest givenName or surname Entra accepts.
	MaxNamePart = 64
)

// letterFold spells letters that have no Unicode decomposition to a base
// letter (checked after NFKD and lower-casing), plus Cyrillic following the
// ICAO 9303 passport transliteration, which is how such names appear on
// Dutch identity documents.
var letterFold = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d",
	'þ': "th", 'ı': "i", 'ə': "e", 'ħ': "h", 'ŧ': "t", 'ŋ': "n", 'ĸ': "k",
	'ƒ': "f", 'ɨ': "i", 'ʉ': "u", 'ǝ': "e", 'ɛ': "e", 'ɔ': "o",
	// Cyrillic (letters with diacritics, such as й ё ї, decompose first).
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'ґ': "g", 'д': "d", 'е': "e",
	'є': "ie", 'ж': "zh", 'з': "z", 'и': "i", 'і': "i", 'к': "k", 'л': "l",
	'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "ie", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu", 'я': "ia",
}

// isDash reports the hyphen-like characters people type within names.
func isDash(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
		return true
	}
	return false
}

// foldAddress turns one name value into address characters: lower case,
// diacritics removed (é → e, ü → u, ĳ → ij, ß → ss, ø → o), spaces,
// apostrophes and anything else Entra would refuse dropped, hyphens and dots
// kept. The result may be empty.
func foldAddress(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		r = unicode.ToLower(r)
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.':
			b.WriteRune(r)
		case isDash(r):
			b.WriteByte('-')
		default:
			if f, ok := letterFold[r]; ok {
				b.WriteString(f)
			}
			// Combining marks, spaces, apostrophes, symbols and letters of
			// other scripts are dropped.
		}
	}
	return b.String()
}

// cleanAddress collapses runs of dots and of hyphens and trims them from both
// ends, so the value can stand anywhere in a local part.
func cleanAddress(s string) string {
	var b strings.Builder
	var last byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c == '.' || c == '-') && (last == '.' || last == '-' || b.Len() == 0) {
			// A dot after a hyphen (or vice versa) keeps the first one.
			continue
		}
		b.WriteByte(c)
		last = c
	}
	return strings.TrimRight(b.String(), ".-")
}

// cleanValue collapses runs of dots and hyphens within one name value and
// trims hyphens from its ends; dots at the ends ("J.P.") are left for
// cleanAddress to settle once the values are joined.
func cleanValue(s string) string {
	var b strings.Builder
	var last byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c == '.' || c == '-') && (last == '.' || last == '-') {
			continue
		}
		b.WriteByte(c)
		last = c
	}
	return strings.Trim(b.String(), "-")
}

// ValidLocalPart reports whether s is a local part the engine would
// generate: 1 to 64 characters of a-z 0-9 . - _, not starting or ending with
// "." or "-", without "..". Every such value is also valid for Entra.
func ValidLocalPart(s string) bool {
	if s == "" || len(s) > MaxLocalPart {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	if strings.Contains(s, "..") {
		return false
	}
	return !strings.ContainsAny(s[:1], ".-") && !strings.ContainsAny(s[len(s)-1:], ".-")
}

// cleanDisplay composes the text (NFC, so "e" + combining acute becomes
// "é"), collapses whitespace (including non-breaking spaces) and drops
// control and format characters, keeping diacritics and case.
func cleanDisplay(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			if unicode.IsSpace(r) {
				return ' '
			}
			return -1
		}
		return r
	}, norm.NFC.String(s))
	return strings.Join(strings.Fields(s), " ")
}

// truncateRunes cuts s to at most n runes, trimming trailing spaces and
// hyphens the cut leaves.
func truncateRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return strings.TrimRight(string(rs[:n]), " -")
}
