package policy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Entra's UPN rules the expectations below follow: characters A-Z a-z 0-9
// ' . - _ ! # ^ ~, no "." right before the @, at most 64 characters before
// the @ (https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy#username-policies);
// no accent characters in userPrincipalName / mail, mailNickname at most 64
// characters (https://learn.microsoft.com/en-us/graph/api/resources/user).

func TestNamesRealWorld(t *testing.T) {
	tests := []struct {
		name    string
		p       Person
		display string
		given   string
		surname string
		local   string
	}{
		// Dutch prefixes.
		{"roepnaam and de", Person{GivenName: "Johannes Petrus", PreferredName: "Jan", Prefix: "de", FamilyName: "Vries"},
			"Jan de Vries", "Jan", "de Vries", "jan.devries"},
		{"prefix capitalised in HR", Person{GivenName: "Jan", Prefix: "De", FamilyName: "Vries"},
			"Jan de Vries", "Jan", "de Vries", "jan.devries"},
		{"van der", Person{GivenName: "Pieter", Prefix: "van der", FamilyName: "Berg"},
			"Pieter van der Berg", "Pieter", "van der Berg", "pieter.vanderberg"},
		{"van den", Person{GivenName: "Anna", Prefix: "Van Den", FamilyName: "Heuvel"},
			"Anna van den Heuvel", "Anna", "van den Heuvel", "anna.vandenheuvel"},
		{"den", Person{GivenName: "Kees", Prefix: "den", FamilyName: "Hartog"},
			"Kees den Hartog", "Kees", "den Hartog", "kees.denhartog"},
		{"ter", Person{GivenName: "Willem", Prefix: "ter", FamilyName: "Horst"},
			"Willem ter Horst", "Willem", "ter Horst", "willem.terhorst"},
		{"'t", Person{GivenName: "Marieke", Prefix: "'t", FamilyName: "Hart"},
			"Marieke 't Hart", "Marieke", "'t Hart", "marieke.thart"},
		{"in 't with diaeresis", Person{GivenName: "Zoë", Prefix: "in 't", FamilyName: "Veld"},
			"Zoë in 't Veld", "Zoë", "in 't Veld", "zoe.intveld"},
		{"van 't", Person{GivenName: "Joost", Prefix: "van 't", FamilyName: "Hek"},
			"Joost van 't Hek", "Joost", "van 't Hek", "joost.vanthek"},
		{"typographic apostrophe in prefix", Person{GivenName: "Sanne", Prefix: "’t", FamilyName: "Zand"},
			"Sanne ’t Zand", "Sanne", "’t Zand", "sanne.tzand"},

		// Partner names per nameUsage.
		{"own-partner", Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", PartnerFamilyName: "Bakker", NameUsage: "own-partner"},
			"Jan de Vries-Bakker", "Jan", "de Vries-Bakker", "jan.devries-bakker"},
		{"own-partner with partner prefix", Person{GivenName: "Fleur", FamilyName: "Smit", PartnerPrefix: "van der", PartnerFamilyName: "Meer", NameUsage: "own-partner"},
			"Fleur Smit-van der Meer", "Fleur", "Smit-van der Meer", "fleur.smit-vandermeer"},
		{"partner", Person{GivenName: "Els", FamilyName: "Jansen", PartnerPrefix: "van", PartnerFamilyName: "Dijk", NameUsage: "partner"},
			"Els van Dijk", "Els", "van Dijk", "els.vandijk"},
		{"partner-own", Person{GivenName: "Els", FamilyName: "Jansen", PartnerPrefix: "van", PartnerFamilyName: "Dijk", NameUsage: "partner-own"},
			"Els van Dijk-Jansen", "Els", "van Dijk-Jansen", "els.vandijk-jansen"},
		{"partner-own keeps own prefix lower case", Person{GivenName: "Jan", Prefix: "De", FamilyName: "Vries", PartnerFamilyName: "Bakker", NameUsage: "partner-own"},
			"Jan Bakker-de Vries", "Jan", "Bakker-de Vries", "jan.bakker-devries"},
		{"AFAS code PB", Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", PartnerFamilyName: "Bakker", NameUsage: "PB"},
			"Jan Bakker-de Vries", "Jan", "Bakker-de Vries", "jan.bakker-devries"},
		{"AFAS code BP", Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", PartnerFamilyName: "Bakker", NameUsage: "BP"},
			"Jan de Vries-Bakker", "Jan", "de Vries-Bakker", "jan.devries-bakker"},
		{"partner usage without partner name falls back to own", Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", NameUsage: "partner"},
			"Jan de Vries", "Jan", "de Vries", "jan.devries"},

		// Given and preferred names.
		{"preferred name replaces official names", Person{GivenName: "Hendrika Johanna", PreferredName: "Riek", FamilyName: "Visser"},
			"Riek Visser", "Riek", "Visser", "riek.visser"},
		{"two given names, no preferred name", Person{GivenName: "Anne Marie", FamilyName: "Jansen"},
			"Anne Marie Jansen", "Anne Marie", "Jansen", "annemarie.jansen"},
		{"hyphenated given name", Person{GivenName: "Jan-Willem", FamilyName: "Bos"},
			"Jan-Willem Bos", "Jan-Willem", "Bos", "jan-willem.bos"},

		// Turkish, Moroccan, Polish, Scandinavian, German and other names common in NL.
		{"Turkish ş and dotless ı", Person{GivenName: "Gülşen", FamilyName: "Yıldırım"},
			"Gülşen Yıldırım", "Gülşen", "Yıldırım", "gulsen.yildirim"},
		{"Turkish ç ğ ö ü", Person{GivenName: "Çağlar", FamilyName: "Öztürk"},
			"Çağlar Öztürk", "Çağlar", "Öztürk", "caglar.ozturk"},
		{"Turkish dotted capital İ", Person{GivenName: "İbrahim", FamilyName: "Şahin"},
			"İbrahim Şahin", "İbrahim", "Şahin", "ibrahim.sahin"},
		{"Moroccan family name with El", Person{GivenName: "Mohamed", FamilyName: "El Amrani"},
			"Mohamed El Amrani", "Mohamed", "El Amrani", "mohamed.elamrani"},
		{"Moroccan compound given name", Person{GivenName: "Fatima Zahra", FamilyName: "Azzouz"},
			"Fatima Zahra Azzouz", "Fatima Zahra", "Azzouz", "fatimazahra.azzouz"},
		{"Polish ł and ś", Person{GivenName: "Łukasz", FamilyName: "Wiśniewski"},
			"Łukasz Wiśniewski", "Łukasz", "Wiśniewski", "lukasz.wisniewski"},
		{"Polish ę", Person{GivenName: "Grzegorz", FamilyName: "Brzęczyszczykiewicz"},
			"Grzegorz Brzęczyszczykiewicz", "Grzegorz", "Brzęczyszczykiewicz", "grzegorz.brzeczyszczykiewicz"},
		{"Danish ø and å", Person{GivenName: "Søren", FamilyName: "Ødegård"},
			"Søren Ødegård", "Søren", "Ødegård", "soren.odegard"},
		{"Danish æ", Person{GivenName: "Mads", FamilyName: "Kjær"},
			"Mads Kjær", "Mads", "Kjær", "mads.kjaer"},
		{"Swedish å and ö", Person{GivenName: "Åsa", FamilyName: "Ekström"},
			"Åsa Ekström", "Åsa", "Ekström", "asa.ekstrom"},
		{"German ß", Person{GivenName: "Wolfgang", FamilyName: "Groß"},
			"Wolfgang Groß", "Wolfgang", "Groß", "wolfgang.gross"},
		{"German umlauts fold to the base letter", Person{GivenName: "Jürgen", FamilyName: "Müller"},
			"Jürgen Müller", "Jürgen", "Müller", "jurgen.muller"},
		{"French ç and è", Person{GivenName: "François", FamilyName: "Lefèvre"},
			"François Lefèvre", "François", "Lefèvre", "francois.lefevre"},
		{"Irish apostrophe", Person{GivenName: "Siobhán", FamilyName: "O'Brien"},
			"Siobhán O'Brien", "Siobhán", "O'Brien", "siobhan.obrien"},
		{"Goan apostrophe", Person{GivenName: "Priya", FamilyName: "D'Souza"},
			"Priya D'Souza", "Priya", "D'Souza", "priya.dsouza"},
		{"Flemish typographic apostrophe", Person{GivenName: "Wouter", FamilyName: "D’Hondt"},
			"Wouter D’Hondt", "Wouter", "D’Hondt", "wouter.dhondt"},
		{"Dutch ĳ ligature", Person{GivenName: "Ĳsbrand", FamilyName: "Ĳzerman"},
			"Ĳsbrand Ĳzerman", "Ĳsbrand", "Ĳzerman", "ijsbrand.ijzerman"},
		{"Spanish double family name", Person{GivenName: "José", FamilyName: "García López"},
			"José García López", "José", "García López", "jose.garcialopez"},
		{"Vietnamese stacked diacritics", Person{GivenName: "An", FamilyName: "Nguyễn"},
			"An Nguyễn", "An", "Nguyễn", "an.nguyen"},
		{"Ukrainian in Cyrillic", Person{GivenName: "Олександр", FamilyName: "Шевченко"},
			"Олександр Шевченко", "Олександр", "Шевченко", "oleksandr.shevchenko"},
		{"decomposed accent", Person{GivenName: "Rene\u0301", FamilyName: "Dubois"},
			"René Dubois", "René", "Dubois", "rene.dubois"},
		{"en dash in double name", Person{GivenName: "Lisa", FamilyName: "Smit–Jansen"},
			"Lisa Smit–Jansen", "Lisa", "Smit–Jansen", "lisa.smit-jansen"},
		{"stray whitespace", Person{GivenName: "  Jan ", Prefix: " de  ", FamilyName: "Vries\u00a0"},
			"Jan de Vries", "Jan", "de Vries", "jan.devries"},

		// Edge cases.
		{"mononym", Person{GivenName: "Sukarno"},
			"Sukarno", "Sukarno", "", "sukarno"},
		{"family name only capitalises the leading prefix", Person{Prefix: "de", FamilyName: "Vries"},
			"De Vries", "", "de Vries", "devries"},
		{"very long name truncates the family part first",
			Person{GivenName: "Maximiliaan", Prefix: "van", FamilyName: "Oostenbrugge-Wolkenstein-Rodenegg-Haersolte-Haerst-Zuylen-Nijevelt"},
			"Maximiliaan van Oostenbrugge-Wolkenstein-Rodenegg-Haersolte-Haerst-Zuylen-Nijevelt", "Maximiliaan",
			"van Oostenbrugge-Wolkenstein-Rodenegg-Haersolte-Haerst-Zuylen-Ni",
			"maximiliaan.vanoostenbrugge-wolkenstein-rodenegg-haersolte-ha"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d names", len(tests))
	}
	var n Naming // defaults, as docs/policy.md
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := n.Names(tt.p, "Contoso.Example")
			if err != nil {
				t.Fatalf("Names: %v", err)
			}
			want := Names{
				DisplayName:  tt.display,
				GivenName:    tt.given,
				Surname:      tt.surname,
				MailNickname: tt.local,
				UPN:          tt.local + "@contoso.example",
			}
			if got != want {
				t.Errorf("Names(%+v)\n got %+v\nwant %+v", tt.p, got, want)
			}
			if !ValidLocalPart(tt.local) || len(tt.local) > MaxLocalPart-collisionRoom {
				t.Errorf("local part %q is not valid", tt.local)
			}
		})
	}
}

func TestNamesTemplates(t *testing.T) {
	jan := Person{GivenName: "Johannes Petrus", PreferredName: "Jan", Prefix: "de", FamilyName: "Vries"}
	tests := []struct {
		name    string
		naming  Naming
		p       Person
		display string
		upn     string
		nick    string
	}{
		{"initial and family", Naming{UPN: "{givenInitial}.{prefix}{family}"}, jan,
			"Jan de Vries", "j.devries@contoso.example", "j.devries"},
		{"initials glued to family", Naming{UPN: "{initials}{surname}"}, jan,
			"Jan de Vries", "j.p.devries@contoso.example", "j.p.devries"},
		{"separate mail nickname", Naming{UPN: "{given}.{surname}", MailNickname: "{given}{family}"}, jan,
			"Jan de Vries", "jan.devries@contoso.example", "janvries"},
		{"sort form keeps prefix lower case after the given name", Naming{DisplayName: "{family}, {given} {prefix}"}, jan,
			"Vries, Jan de", "jan.devries@contoso.example", "jan.devries"},
		{"leading prefix is capitalised", Naming{DisplayName: "{prefix} {family}, {initials}"}, jan,
			"De Vries, J.P.", "jan.devries@contoso.example", "jan.devries"},
		{"leading apostrophe prefix stays", Naming{DisplayName: "{surname}, {given}"}, Person{GivenName: "Marieke", Prefix: "'t", FamilyName: "Hart"},
			"'t Hart, Marieke", "marieke.thart@contoso.example", "marieke.thart"},
		{"empty parts leave no stray separators", Naming{DisplayName: "{family}, {given}"}, Person{FamilyName: "Vries"},
			"Vries", "vries@contoso.example", "vries"},
		{"literal upper case in address template is lowered", Naming{UPN: "EXT-{given}.{family}"}, jan,
			"Jan de Vries", "ext-jan.vries@contoso.example", "ext-jan.vries"},
		{"literal dots never double", Naming{UPN: "{given}.{prefix}.{family}"}, Person{GivenName: "Kees", FamilyName: "Bos"},
			"Kees Bos", "kees.bos@contoso.example", "kees.bos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.naming.Names(tt.p, "contoso.example")
			if err != nil {
				t.Fatalf("Names: %v", err)
			}
			if got.DisplayName != tt.display || got.UPN != tt.upn || got.MailNickname != tt.nick {
				t.Errorf("got display %q upn %q nick %q, want %q %q %q", got.DisplayName, got.UPN, got.MailNickname, tt.display, tt.upn, tt.nick)
			}
		})
	}
}

func TestNamesErrors(t *testing.T) {
	tests := []struct {
		name   string
		naming Naming
		p      Person
		domain string
		want   error
		text   string
	}{
		{"no name at all", Naming{}, Person{Prefix: "de"}, "contoso.example", errNoName, ""},
		{"unknown name usage", Naming{}, Person{GivenName: "Jan", FamilyName: "Vries", NameUsage: "maiden"}, "contoso.example", errUnknownUsage, `"maiden"`},
		{"unusable script", Naming{}, Person{GivenName: "太郎", FamilyName: "山田"}, "contoso.example", ErrNoUsableName, ""},
		{"no domain", Naming{}, Person{GivenName: "Jan"}, "", nil, "no domain"},
		{"bad template", Naming{UPN: "{given}.{achternaam}"}, Person{GivenName: "Jan"}, "contoso.example", nil, "unknown placeholder {achternaam}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.naming.Names(tt.p, tt.domain)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not mention %q", err, tt.text)
			}
		})
	}
}

func TestNamesLengthLimits(t *testing.T) {
	long := strings.Repeat("Abcdefghij", 10) // 100 characters
	got, err := Naming{}.Names(Person{GivenName: long, Prefix: "van der", FamilyName: long}, "contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	local, _, _ := strings.Cut(got.UPN, "@")
	if len(local) != MaxLocalPart-collisionRoom || !ValidLocalPart(local) {
		t.Errorf("local part %q (%d characters) not cut to %d", local, len(local), MaxLocalPart-collisionRoom)
	}
	// The family part gives way first, down to one letter, then the prefix,
	// then the given name.
	if want := strings.ToLower(long[:MaxLocalPart-collisionRoom-3]) + ".va"; local != want {
		t.Errorf("local part %q, want %q", local, want)
	}
	if utf8.RuneCountInString(got.GivenName) != MaxNamePart || utf8.RuneCountInString(got.Surname) != MaxNamePart {
		t.Errorf("given %d / surname %d runes, want %d", utf8.RuneCountInString(got.GivenName), utf8.RuneCountInString(got.Surname), MaxNamePart)
	}
	if n := utf8.RuneCountInString(got.DisplayName); n > MaxDisplayName {
		t.Errorf("display name has %d runes", n)
	}
	numbered, err := Naming{}.numbered(Person{GivenName: long, FamilyName: long}, "contoso.example", MaxCollisionNumber)
	if err != nil {
		t.Fatal(err)
	}
	local, _, _ = strings.Cut(numbered.UPN, "@")
	if len(local) != MaxLocalPart || !strings.HasSuffix(local, "999") || len(numbered.MailNickname) != MaxLocalPart {
		t.Errorf("numbered local part %q (%d), nickname %d", local, len(local), len(numbered.MailNickname))
	}
}

// directory is an in-test UPNChecker: the addresses in use, as the directory
// adapter would report them.
type directory struct {
	taken map[string]bool
	asked []string
	err   error
}

func (d *directory) UPNTaken(_ context.Context, upn string) (bool, error) {
	d.asked = append(d.asked, upn)
	if d.err != nil {
		return false, d.err
	}
	return d.taken[strings.ToLower(upn)], nil
}

func TestUniqueUPN(t *testing.T) {
	jan := Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries"}
	errDown := errors.New("directory unavailable")
	tests := []struct {
		name      string
		taken     []string
		own       string
		err       error
		want      string
		wantNick  string
		wantAsked int
		wantErr   error
	}{
		{"free", nil, "", nil, "jan.devries@contoso.example", "jan.devries", 1, nil},
		{"taken gets 2", []string{"jan.devries@contoso.example"}, "", nil, "jan.devries2@contoso.example", "jan.devries2", 2, nil},
		{"taken and 2 gets 3", []string{"Jan.DeVries@contoso.example", "jan.devries2@contoso.example"}, "", nil, "jan.devries3@contoso.example", "jan.devries3", 3, nil},
		{"lowest free number, not the next after the highest", []string{"jan.devries@contoso.example", "jan.devries3@contoso.example"}, "", nil, "jan.devries2@contoso.example", "jan.devries2", 2, nil},
		{"own UPN is not a collision", []string{"jan.devries@contoso.example"}, "jan.devries@contoso.example", nil, "jan.devries@contoso.example", "jan.devries", 0, nil},
		{"own numbered UPN is kept when lower ones are taken", []string{"jan.devries@contoso.example", "jan.devries2@contoso.example"}, "jan.devries2@contoso.example", nil, "jan.devries2@contoso.example", "jan.devries2", 1, nil},
		{"checker error propagates", nil, "", errDown, "", "", 1, errDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &directory{taken: map[string]bool{}, err: tt.err}
			for _, u := range tt.taken {
				d.taken[strings.ToLower(u)] = true
			}
			own := func(upn string) bool { return strings.EqualFold(upn, tt.own) }
			got, err := Naming{}.UniqueUPN(context.Background(), jan, "contoso.example", d, own)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "jan.devries@contoso.example") {
					t.Errorf("error %q does not name the UPN", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.UPN != tt.want || got.MailNickname != tt.wantNick {
				t.Errorf("got %s / %s, want %s / %s", got.UPN, got.MailNickname, tt.want, tt.wantNick)
			}
			if len(d.asked) != tt.wantAsked {
				t.Errorf("asked the directory %d times (%v), want %d", len(d.asked), d.asked, tt.wantAsked)
			}
		})
	}
}

func TestUniqueUPNCollidingPeople(t *testing.T) {
	// Different people whose names fold to the same base take the lowest free
	// number in turn.
	people := []struct {
		p    Person
		want string
	}{
		{Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries"}, "jan.devries@contoso.example"},
		{Person{GivenName: "Jan", FamilyName: "Devries"}, "jan.devries2@contoso.example"},
		{Person{GivenName: "Ján", Prefix: "De", FamilyName: "Vriës"}, "jan.devries3@contoso.example"},
		{Person{GivenName: "Jan", FamilyName: "Vries", PartnerPrefix: "de", PartnerFamilyName: "Vries", NameUsage: "partner"}, "jan.devries4@contoso.example"},
		{Person{GivenName: "Pieter", Prefix: "van der", FamilyName: "Berg"}, "pieter.vanderberg@contoso.example"},
		{Person{GivenName: "Pieter", FamilyName: "Vanderberg"}, "pieter.vanderberg2@contoso.example"},
	}
	d := &directory{taken: map[string]bool{}}
	for _, x := range people {
		got, err := Naming{}.UniqueUPN(context.Background(), x.p, "contoso.example", d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.UPN != x.want {
			t.Errorf("%+v: got %s, want %s", x.p, got.UPN, x.want)
		}
		d.taken[got.UPN] = true // the account is created
	}
}

func TestUniqueUPNExhaustedAndCancelled(t *testing.T) {
	jan := Person{GivenName: "Jan", FamilyName: "Bos"}
	all := &allTaken{}
	_, err := Naming{}.UniqueUPN(context.Background(), jan, "contoso.example", all, nil)
	if !errors.Is(err, ErrNoFreeUPN) {
		t.Fatalf("error %v, want ErrNoFreeUPN", err)
	}
	if all.n != MaxCollisionNumber {
		t.Errorf("asked %d times, want %d", all.n, MaxCollisionNumber)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Naming{}.UniqueUPN(ctx, jan, "contoso.example", &allTaken{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

type allTaken struct{ n int }

func (a *allTaken) UPNTaken(context.Context, string) (bool, error) { a.n++; return true, nil }

func TestIsVariant(t *testing.T) {
	jan := Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries"}
	tests := []struct {
		upn  string
		want bool
	}{
		{"jan.devries@contoso.example", true},
		{"Jan.DeVries@Contoso.Example", true},
		{"jan.devries2@contoso.example", true},
		{"jan.devries999@contoso.example", true},
		{"jan.devries1@contoso.example", false},
		{"jan.devries02@contoso.example", false},
		{"jan.devries1000@contoso.example", false},
		{"jan.devriesx@contoso.example", false},
		{"jan.devries@fabrikam.example", false},
		{"piet.devries@contoso.example", false},
		{"jan.devries", false},
	}
	for _, tt := range tests {
		got, err := Naming{}.IsVariant(jan, "contoso.example", tt.upn)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("IsVariant(%q) = %v, want %v", tt.upn, got, tt.want)
		}
	}
}

func FuzzNames(f *testing.F) {
	f.Add("Johannes Petrus", "de", "Vries", "Jan", "", "Bakker", "partner-own")
	f.Add("Marieke", "'t", "Hart", "", "van", "Dijk", "own-partner")
	f.Add("Gülşen", "", "Yıldırım", "", "", "", "own")
	f.Add("...", "--", "'.'", " ", "\u0301", "ß", "p")
	f.Add(strings.Repeat("Ø", 80), "van der", strings.Repeat("x-", 60), "", "", "", "")
	f.Add("山田", "", "太郎", "", "", "", "")
	templates := []Naming{{}, {UPN: "{givenInitial}.{prefix}{family}", DisplayName: "{family}, {given} {prefix}"}, {UPN: "{initials}{surname}", MailNickname: "{given}_{family}"}}
	f.Fuzz(func(t *testing.T, given, prefix, family, preferred, pprefix, pfamily, usage string) {
		p := Person{GivenName: given, Prefix: prefix, FamilyName: family, PreferredName: preferred,
			PartnerPrefix: pprefix, PartnerFamilyName: pfamily, NameUsage: usage}
		for _, n := range templates {
			got, err := n.Names(p, "contoso.example")
			if err != nil {
				if !errors.Is(err, ErrNoUsableName) && !errors.Is(err, errNoName) && !errors.Is(err, errUnknownUsage) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			local, domain, ok := strings.Cut(got.UPN, "@")
			if !ok || domain != "contoso.example" || !ValidLocalPart(local) || len(local) > MaxLocalPart-collisionRoom {
				t.Fatalf("invalid UPN %q for %+v", got.UPN, p)
			}
			if !ValidLocalPart(got.MailNickname) || len(got.MailNickname) > MaxLocalPart-collisionRoom {
				t.Fatalf("invalid mail nickname %q", got.MailNickname)
			}
			if !utf8.ValidString(got.DisplayName) || got.DisplayName == "" || utf8.RuneCountInString(got.DisplayName) > MaxDisplayName {
				t.Fatalf("invalid display name %q", got.DisplayName)
			}
			if utf8.RuneCountInString(got.GivenName) > MaxNamePart || utf8.RuneCountInString(got.Surname) > MaxNamePart {
				t.Fatalf("given %q / surname %q too long", got.GivenName, got.Surname)
			}
			numbered, err := n.numbered(p, "contoso.example", MaxCollisionNumber)
			if err != nil {
				t.Fatal(err)
			}
			if nl, _, _ := strings.Cut(numbered.UPN, "@"); nl != local+"999" || !ValidLocalPart(nl) {
				t.Fatalf("numbered UPN %q is not %q+999", numbered.UPN, local)
			}
		}
	})
}

// A width bounds a placeholder's share of a name; the rest follows the
// template as before.
func TestTemplateWidths(t *testing.T) {
	per := Person{GivenName: "Johannes Petrus", PreferredName: "Maximiliaan", Prefix: "van der", FamilyName: "Hoeven-Vandenbroucke"}
	tests := []struct {
		name              string
		naming            Naming
		wantUPN, wantDisp string
	}{
		{"given bounded in the UPN", Naming{UPN: "{given:3}.{prefix}{family}"}, "max.vanderhoeven-vandenbroucke@contoso.example", "Maximiliaan van der Hoeven-Vandenbroucke"},
		{"family bounded in the display name", Naming{DisplayName: "{given} {family:5}."}, "maximiliaan.vanderhoeven-vandenbroucke@contoso.example", "Maximiliaan Hoeve."},
		{"a cut never ends on a hyphen", Naming{UPN: "{family:7}"}, "hoeven@contoso.example", "Maximiliaan van der Hoeven-Vandenbroucke"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.naming.Names(per, "contoso.example")
			if err != nil {
				t.Fatal(err)
			}
			if got.UPN != tt.wantUPN || got.DisplayName != tt.wantDisp {
				t.Fatalf("got %q / %q, want %q / %q", got.UPN, got.DisplayName, tt.wantUPN, tt.wantDisp)
			}
		})
	}
}

// Workflow histories recorded before Person had json names carry "GivenName",
// "FamilyName": they still decode (Go matches JSON keys without regard to case), and new
// payloads use the lower-camel names the Temporal UI shows.
func TestPersonJSONNames(t *testing.T) {
	var old Person
	if err := json.Unmarshal([]byte(`{"GivenName":"Jan","Prefix":"de","FamilyName":"Vries","NameUsage":"own"}`), &old); err != nil {
		t.Fatal(err)
	}
	if old != (Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", NameUsage: "own"}) {
		t.Fatalf("old payload decoded as %+v", old)
	}
	b, err := json.Marshal(Person{GivenName: "Jan", FamilyName: "Vries"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"givenName":"Jan","familyName":"Vries"}` {
		t.Fatalf("new payload %s", b)
	}
}
