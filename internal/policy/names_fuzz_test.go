package policy

import (
	"errors"
	"strings"
	"testing"
)

// FuzzNamingTemplates fuzzes the naming templates (they come from the policy
// file) together with the person: UPN generation must never panic, and a
// generated local part is always ASCII a-z 0-9 . - _, valid for Entra, at
// most 61 characters so a collision number up to 999 fits in 64, and
// recognised by IsVariant with and without its number. Seeds are in
// testdata/fuzz/FuzzNamingTemplates.
func FuzzNamingTemplates(f *testing.F) {
	f.Add("{given}.{prefix}{family}", "", "Jan", "de", "Vries", "", "")
	f.Fuzz(func(t *testing.T, upnT, mailT, given, prefix, family, pfamily, usage string) {
		n := Naming{UPN: upnT, MailNickname: mailT}
		p := Person{GivenName: given, Prefix: prefix, FamilyName: family, PartnerFamilyName: pfamily, NameUsage: usage}
		const domain = "contoso.example"
		got, err := n.Names(p, domain)
		if err != nil {
			if !errors.Is(err, ErrNoUsableName) && !errors.Is(err, errNoName) && !errors.Is(err, errUnknownUsage) &&
				!strings.Contains(err.Error(), " template ") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		local, dom, ok := strings.Cut(got.UPN, "@")
		if !ok || dom != domain {
			t.Fatalf("UPN %q is not in %s", got.UPN, domain)
		}
		for _, v := range []string{local, got.MailNickname} {
			if !ValidLocalPart(v) || len(v) > MaxLocalPart-collisionRoom {
				t.Fatalf("local part %q (template %q, person %+v) is not a short ASCII local part", v, upnT, p)
			}
			for i := 0; i < len(v); i++ {
				if v[i] >= 0x80 {
					t.Fatalf("non-ASCII local part %q", v)
				}
			}
		}
		numbered, err := n.numbered(p, domain, MaxCollisionNumber)
		if err != nil {
			t.Fatalf("numbered: %v", err)
		}
		nl, _, _ := strings.Cut(numbered.UPN, "@")
		if !ValidLocalPart(nl) || len(nl) > MaxLocalPart {
			t.Fatalf("numbered local part %q too long or invalid", nl)
		}
		for _, upn := range []string{got.UPN, numbered.UPN, strings.ToUpper(got.UPN)} {
			if ok, err := n.IsVariant(p, domain, upn); err != nil || !ok {
				t.Fatalf("IsVariant(%q) = %v, %v; want true", upn, ok, err)
			}
		}
	})
}
