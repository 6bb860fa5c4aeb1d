package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// designSample is the example policy of docs/policy.md's first version.
const designSample = `tenant:
  domain: contoso.example        # verified domain used for UPNs and mail
  usageLocation: NL
naming:
  upn: "{given}.{prefix}{family}"        # lower-cased, diacritics folded, spaces and quotes dropped;
  displayName: "{given} {prefix} {family}" # a taken UPN gets a number: jan.devries2@contoso.example
lifecycle:
  timezone: Europe/Amsterdam
  createDaysBeforeStart: 14      # pre-hire: created disabled this many days ahead
  temporaryAccessPass: true      # issued on the start date, sent to the manager
  transferGraceDays: 0           # old department's access kept this long after a transfer
  leaveTime: "17:00"             # local time on the last day when access ends
  deleteAfterDays: 30            # 0 = never delete, only disable
guard:
  maxDisablePercent: 5           # a plan above this pauses for approval
  maxDeletePercent: 2
rules:                           # every matching rule applies; ` + "`when`" + ` keys AND, listed values OR
  - name: all-staff
    groups: ["All Staff"]
    licenses: ["SPE_E3"]         # skuPartNumber
  - name: ict
    when: {department: ["ICT"]}
    groups: ["ICT Admins"]
  - name: sales-leads
    when: {department: ["Sales"], jobCode: ["M01"]}
    groups: ["Sales Leadership"]
    appRoles: [{app: "Salesforce", role: "Standard User"}]
`

func wantSample() Policy {
	return Policy{
		Tenant: Tenant{Domain: "contoso.example", UsageLocation: "NL"},
		Naming: Naming{UPN: "{given}.{prefix}{family}", MailNickname: "{given}.{prefix}{family}", DisplayName: "{given} {prefix} {family}"},
		Lifecycle: Lifecycle{Timezone: "Europe/Amsterdam", CreateDaysBeforeStart: 14, TemporaryAccessPass: true,
			TransferGraceDays: 0, LeaveTime: "17:00", DeleteAfterDays: 30},
		Guard: Guard{MaxDisablePercent: 5, MaxDeletePercent: 2, MaxRemovalPercent: DefaultMaxRemovalPercent},
		Rules: []Rule{
			{Name: "all-staff", Groups: []string{"All Staff"}, Licenses: []string{"SPE_E3"}},
			{Name: "ict", When: Match{Department: []string{"ICT"}}, Groups: []string{"ICT Admins"}},
			{Name: "sales-leads", When: Match{Department: []string{"Sales"}, JobCode: []string{"M01"}},
				Groups: []string{"Sales Leadership"}, AppRoles: []AppRole{{App: "Salesforce", Role: "Standard User"}}},
		},
	}
}

// exported strips unexported bookkeeping for comparison.
func exported(p *Policy) Policy {
	return Policy{Tenant: p.Tenant, Naming: p.Naming, Lifecycle: p.Lifecycle, Guard: p.Guard, Scope: p.Scope, Rules: p.Rules}
}

func TestParseDesignSample(t *testing.T) {
	p, err := Parse("policy.yaml", []byte(designSample))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := exported(p), wantSample(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if p.Location().String() != "Europe/Amsterdam" || p.Source() != "policy.yaml" {
		t.Errorf("location %v, source %q", p.Location(), p.Source())
	}
	// 17:00 on 31 January 2027 in Amsterdam is 16:00 UTC (CET, UTC+1); on
	// 30 June 2027 it is 15:00 UTC (CEST, UTC+2).
	if got := p.LeaveAt(2027, time.January, 31).UTC(); !got.Equal(time.Date(2027, 1, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("LeaveAt winter = %v", got)
	}
	if got := p.LeaveAt(2027, time.June, 30).UTC(); !got.Equal(time.Date(2027, 6, 30, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("LeaveAt summer = %v", got)
	}
	if got := p.StartOfDay(2027, time.March, 1).UTC(); !got.Equal(time.Date(2027, 2, 28, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("StartOfDay = %v", got)
	}
}

func TestParseJSONAndRoundTrip(t *testing.T) {
	const doc = `{
  "tenant": {"domain": "contoso.example", "usageLocation": "NL"},
  "naming": {"upn": "{given}.{prefix}{family}", "displayName": "{given} {prefix} {family}"},
  "lifecycle": {"timezone": "Europe/Amsterdam", "createDaysBeforeStart": 14, "temporaryAccessPass": true,
                "transferGraceDays": 0, "leaveTime": "17:00", "deleteAfterDays": 30},
  "guard": {"maxDisablePercent": 5, "maxDeletePercent": 2},
  "rules": [
    {"name": "all-staff", "groups": ["All Staff"], "licenses": ["SPE_E3"]},
    {"name": "ict", "when": {"department": ["ICT"]}, "groups": ["ICT Admins"]},
    {"name": "sales-leads", "when": {"department": ["Sales"], "jobCode": ["M01"]},
     "groups": ["Sales Leadership"], "appRoles": [{"app": "Salesforce", "role": "Standard User"}]}
  ]
}`
	p, err := Parse("policy.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := exported(p), wantSample(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// A marshalled policy reads back to the same policy (workflows may carry
	// it as a payload).
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("payload", data)
	if err != nil {
		t.Fatalf("re-parse %s: %v", data, err)
	}
	if !reflect.DeepEqual(exported(back), exported(p)) {
		t.Errorf("round trip changed the policy:\n%s", data)
	}
	// An unknown key in JSON is refused at its line too.
	_, err = Parse("policy.json", []byte("{\n  \"tenant\": {\"domain\": \"contoso.example\"},\n  \"rulez\": []\n}"))
	assertErr(t, err, `policy.json:3: unknown key "rulez" in the policy`)
}

func TestParseDefaults(t *testing.T) {
	p, err := Parse("min.yaml", []byte("tenant:\n  domain: Contoso.Example\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Tenant.Domain = "contoso.example"
	if got := exported(p); !reflect.DeepEqual(got, exported(want)) {
		t.Errorf("got %+v\nwant %+v", got, exported(want))
	}
	if p.Location().String() != DefaultTimezone {
		t.Errorf("location %v", p.Location())
	}
	// Explicit false and zero override the defaults; a custom UPN template
	// also becomes the mail nickname template.
	p, err = Parse("x.yaml", []byte(`tenant: {domain: contoso.example}
naming: {upn: "{givenInitial}{family}"}
lifecycle: {temporaryAccessPass: false, deleteAfterDays: 0, createDaysBeforeStart: 0}
guard: {maxDisablePercent: 2.5, maxDeletePercent: 0}
scope: {companies: ["Contoso B.V."], employeeTypes: [Employee, Trainee]}
rules: []
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Lifecycle.TemporaryAccessPass || p.Lifecycle.DeleteAfterDays != 0 || p.Lifecycle.CreateDaysBeforeStart != 0 ||
		p.Guard.MaxDisablePercent != 2.5 || p.Guard.MaxDeletePercent != 0 || p.Naming.MailNickname != "{givenInitial}{family}" ||
		p.Lifecycle.LeaveTime != DefaultLeaveTime || !reflect.DeepEqual(p.Scope.EmployeeTypes, []string{"Employee", "Trainee"}) {
		t.Errorf("overrides not applied: %+v", exported(p))
	}
}

func TestParseAcceptsNumbersAsText(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`tenant: {domain: contoso.example}
rules:
  - name: finance
    when: {costCenter: [4130, "4140"], jobCode: [012]}
    groups: [Finance]
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rules[0].When; !reflect.DeepEqual(got.CostCenter, []string{"4130", "4140"}) || !reflect.DeepEqual(got.JobCode, []string{"012"}) {
		t.Errorf("when = %+v", got)
	}
}

func assertErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error\n%v\ndoes not contain %q", err, w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const base = "tenant: {domain: contoso.example, usageLocation: NL}\n"
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"syntax error", "tenant:\n  domain: contoso.example\n rules: [\n", []string{"policy.yaml:2: cannot parse: did not find expected key"}},
		{"tab indentation", "tenant:\n\tdomain: x\n", []string{"policy.yaml:2: cannot parse", "tabs cannot indent YAML"}},
		{"empty file", "", []string{"policy.yaml:1: the policy is empty"}},
		{"comment only", "# nothing\n", []string{"policy.yaml:1: the policy is empty"}},
		{"not a mapping", "- a\n- b\n", []string{"policy.yaml:1: the policy must be a mapping"}},
		{"two documents", base + "---\ntenant: {}\n", []string{"policy.yaml:2: a second YAML document"}},
		{"unknown top-level key", base + "guards:\n  maxDisablePercent: 5\n", []string{`policy.yaml:2: unknown key "guards" in the policy`}},
		{"unknown key in rule named later", base + "rules:\n  - gruops: [A]\n    name: ict\n", []string{`policy.yaml:3: unknown key "gruops" in rule "ict"`}},
		{"unknown key in tenant", "tenant:\n  domain: contoso.example\n  domian: x\n", []string{`policy.yaml:3: unknown key "domian" in tenant`}},
		{"unknown when key", base + "rules:\n  - name: ict\n    when:\n      dept: [ICT]\n    groups: [A]\n",
			[]string{`policy.yaml:5: unknown key "dept" in when of rule "ict"`, "department, jobCode, jobTitle, employeeType, company, costCenter"}},
		{"unknown app role key", base + "rules:\n  - name: crm\n    appRoles:\n      - {app: CRM, rol: User}\n",
			[]string{`policy.yaml:5: unknown key "rol" in app role #1 of rule "crm"`}},
		{"duplicate key", "tenant:\n  domain: contoso.example\n  domain: fabrikam.example\n", []string{`policy.yaml:3: key "domain" appears twice in tenant (first at line 2)`}},
		{"missing domain", "tenant: {usageLocation: NL}\n", []string{"policy.yaml:1: tenant.domain is required"}},
		{"implausible domain", "tenant:\n  domain: contoso\n", []string{`policy.yaml:2: tenant.domain "contoso" is not a domain name`}},
		{"domain with @", "tenant:\n  domain: jan@contoso.example\n", []string{`policy.yaml:2: tenant.domain "jan@contoso.example" contains '@'`}},
		{"bad usage location", "tenant:\n  domain: contoso.example\n  usageLocation: Netherlands\n", []string{"policy.yaml:3: tenant.usageLocation"}},
		{"licences need usage location", "tenant: {domain: contoso.example}\nrules:\n  - name: all\n    licenses: [SPE_E3]\n", []string{"policy.yaml:4: tenant.usageLocation is required"}},
		{"bad timezone", base + "lifecycle:\n  timezone: Europe/Amsterdm\n", []string{`policy.yaml:3: lifecycle.timezone "Europe/Amsterdm" is not a known time zone`}},
		{"local timezone", base + "lifecycle:\n  timezone: Local\n", []string{"policy.yaml:3: lifecycle.timezone \"Local\" depends on the machine"}},
		{"bad leaveTime", base + "lifecycle:\n  leaveTime: \"5pm\"\n", []string{`policy.yaml:3: lifecycle.leaveTime "5pm" must be a 24-hour time HH:MM`}},
		{"pass lifetime too long", base + "lifecycle:\n  temporaryAccessPassLifetimeMinutes: 50000\n", []string{"policy.yaml:3: lifecycle.temporaryAccessPassLifetimeMinutes must be between 10 and 43200"}},
		{"UPN width beyond the local part", base + "naming:\n  upn: \"{given:80}.{family}\"\n", []string{`policy.yaml:3: naming.upn "{given:80}.{family}": {given:80}: the width must be a whole number from 1 to 61`}},
		{"width not a number", base + "naming:\n  displayName: \"{given:x} {family}\"\n", []string{`policy.yaml:3: naming.displayName`, "{given:x}: the width must be a whole number from 1 to 256"}},
		{"display literal beyond 256", base + "naming:\n  displayName: \"{given} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n", []string{`policy.yaml:3: naming.displayName`, "more literal text than the 256 characters"}},
		{"leaveTime out of range", base + "lifecycle:\n  leaveTime: \"24:00\"\n", []string{`policy.yaml:3: lifecycle.leaveTime "24:00"`}},
		{"negative days", base + "lifecycle:\n  deleteAfterDays: -1\n", []string{"policy.yaml:3: lifecycle.deleteAfterDays must be between 0 and 3650 days, got -1"}},
		{"days not a number", base + "lifecycle:\n  transferGraceDays: two\n", []string{`policy.yaml:3: lifecycle.transferGraceDays must be a whole number, got "two"`}},
		{"fractional days", base + "lifecycle:\n  createDaysBeforeStart: 1.5\n", []string{`policy.yaml:3: lifecycle.createDaysBeforeStart must be a whole number`}},
		{"bool as yes", base + "lifecycle:\n  temporaryAccessPass: yes\n", []string{`policy.yaml:3: lifecycle.temporaryAccessPass must be true or false, got "yes"`}},
		{"percentage above 100", base + "guard:\n  maxDisablePercent: 150\n", []string{"policy.yaml:3: guard.maxDisablePercent must be a percentage between 0 and 100, got 150"}},
		{"negative percentage", base + "guard:\n  maxDeletePercent: -2\n", []string{"policy.yaml:3: guard.maxDeletePercent must be a percentage"}},
		{"removal percentage above 100", base + "guard:\n  maxDisablePercent: 5\n  maxRemovalPercent: 101\n", []string{"policy.yaml:4: guard.maxRemovalPercent must be a percentage between 0 and 100, got 101"}},
		{"removal percentage not a number", base + "guard:\n  maxRemovalPercent: many\n", []string{"policy.yaml:3: guard.maxRemovalPercent"}},
		{"unknown placeholder", base + "naming:\n  upn: \"{first}.{family}\"\n", []string{"policy.yaml:3: naming.upn", "unknown placeholder {first}"}},
		{"space in UPN template", base + "naming:\n  upn: \"{given} {family}\"\n", []string{"policy.yaml:3: naming.upn", `contains ' '`}},
		{"template without name", base + "naming:\n  displayName: \"{prefix}\"\n", []string{"policy.yaml:3: naming.displayName", "no name placeholder"}},
		{"unbalanced brace", base + "naming:\n  displayName: \"{given {family}\"\n", []string{"policy.yaml:3: naming.displayName", "unknown placeholder"}},
		{"rules not a list", base + "rules:\n  name: x\n", []string{"policy.yaml:3: rules must be a list"}},
		{"rule without name", base + "rules:\n  - groups: [A]\n", []string{"policy.yaml:3: rule #1 has no name"}},
		{"duplicate rule names", base + "rules:\n  - name: ict\n    groups: [A]\n  - name: ICT\n    groups: [B]\n",
			[]string{`policy.yaml:5: duplicate rule name "ICT" (first used at line 3)`}},
		{"rule grants nothing", base + "rules:\n  - name: empty\n    when: {department: [ICT]}\n", []string{`policy.yaml:3: rule "empty" grants nothing`}},
		{"empty when list", base + "rules:\n  - name: ict\n    when: {department: []}\n    groups: [A]\n", []string{`policy.yaml:4: rule "ict": when.department lists no values`}},
		{"when value not a list", base + "rules:\n  - name: ict\n    when: {department: ICT}\n    groups: [A]\n", []string{`policy.yaml:4: rule "ict": when.department must be a list`}},
		{"app role without role", base + "rules:\n  - name: crm\n    appRoles:\n      - app: CRM\n", []string{`policy.yaml:5: rule "crm": app role #1 needs both app and role`}},
		{"empty group", base + "rules:\n  - name: g\n    groups: [A, \"\"]\n", []string{`policy.yaml:4: rule "g": groups has an empty entry`}},
		{"duplicate group", base + "rules:\n  - name: g\n    groups:\n      - Finance\n      - finance\n", []string{`policy.yaml:6: rule "g": groups lists "finance" twice`}},
		{"SKU with space", base + "rules:\n  - name: g\n    licenses: [\"SPE E3\"]\n", []string{`policy.yaml:4: rule "g": licenses: "SPE E3" is not a SKU part number`}},
		{"scope entry empty", base + "scope:\n  companies: [\"\"]\n", []string{"policy.yaml:3: scope.companies has an empty entry"}},
		{"merge key", "defaults: &d {domain: contoso.example}\ntenant:\n  <<: *d\n",
			[]string{`policy.yaml:1: unknown key "defaults" in the policy`, "policy.yaml:3: merge keys (<<) are not supported in tenant"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("policy.yaml", []byte(tt.doc))
			assertErr(t, err, tt.want...)
			var pe *Error
			if !errors.As(err, &pe) || pe.File != "policy.yaml" {
				t.Errorf("error %v is not a *policy.Error for policy.yaml", err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	doc := "tenant:\n  domain: contoso.example\n  usageLocation: NL\n" + // lines 1-3
		"lifecycle:\n  timezone: Mars/Olympus\n  leaveTime: \"17.00\"\n" + // lines 4-6
		"rules:\n  - name: a\n    groups: [X]\n  - name: a\n    groups: [Y]\n" // lines 7-11
	_, err := Parse("policy.yaml", []byte(doc))
	assertErr(t, err, "policy.yaml:5: lifecycle.timezone", "policy.yaml:6: lifecycle.leaveTime", `policy.yaml:10: duplicate rule name "a"`)
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "policy.yaml:5:") || !strings.HasPrefix(lines[2], "policy.yaml:10:") {
		t.Errorf("problems not one per line in line order:\n%v", err)
	}
}

func TestParseAnchorsAndAliases(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`tenant: {domain: contoso.example}
rules:
  - name: ict
    when: {department: &ict [ICT, Infra]}
    groups: [ICT]
  - name: ict-admins
    when: {department: *ict, jobCode: [A1]}
    groups: [ICT Admins]
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rules[1].When.Department; !reflect.DeepEqual(got, []string{"ICT", "Infra"}) {
		t.Errorf("alias resolved to %v", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(designSample), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Source() != path || len(p.Rules) != 3 {
		t.Errorf("source %q, %d rules", p.Source(), len(p.Rules))
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("tenant:\n  domain: contoso.example\nrules:\n  - name: x\n    gruops: [A]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	assertErr(t, err, bad+`:5: unknown key "gruops" in rule "x"`)
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	p := Default()
	p.Tenant.Domain = "Contoso.Example"
	p.Rules = []Rule{{Name: " all ", Groups: []string{" All Staff "}}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Tenant.Domain != "contoso.example" || p.Rules[0].Name != "all" || p.Rules[0].Groups[0] != "All Staff" {
		t.Errorf("not normalised: %+v", exported(p))
	}
	p.Lifecycle.LeaveTime = "25:00"
	err := p.Validate()
	assertErr(t, err, `policy: lifecycle.leaveTime "25:00"`)
}
