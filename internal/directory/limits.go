package directory

import (
	"strings"
	"unicode"
	"unicode/utf16"
)

// Entra's length limits on the user properties the engine writes, from the
// user resource's property table
// (https://learn.microsoft.com/graph/api/resources/user#properties: "Maximum
// length is 64 / 128 / 256 characters") and the msgraph-sdk-go models/user.go
// doc comments. Graph refuses a longer value with 400 Request_BadRequest
// "Invalid value specified for property …", which would fail the whole
// update; the engine shortens descriptive values instead and says so.
const (
	// MaxEmployeeID is the longest employeeId.
	MaxEmployeeID = 16
	// MaxNamePart bounds givenName, surname, department, companyName,
	// employeeType and mailNickname.
	MaxNamePart = 64
	// MaxJobTitle bounds jobTitle.
	MaxJobTitle = 128
	// MaxDisplayName bounds displayName.
	MaxDisplayName = 256
	// MaxLocalPart bounds the part of a UPN or mail address before the @.
	MaxLocalPart = 64
)

// FitUTF16 shortens s to at most max UTF-16 code units (how Entra counts a
// string's length), never splitting a character, and trims a trailing space.
// It reports whether s was shortened.
func FitUTF16(s string, max int) (string, bool) {
	n := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if n+w > max {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace), true
		}
		n += w
	}
	return s, false
}
