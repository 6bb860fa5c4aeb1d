// Package sample bundles the dev-mode sample organisation: an HR file in
// the shape of docs/hr-file.md (45 people of Contoso B.V. across seven
// departments) and the access policy in the shape of docs/policy.md.
//
// The HR file's dates are written relative to an anchor day and shifted at
// load, so the future hire is always in the future, the leaver is always
// leaving soon and the replacement is always in progress, whatever the date
// the dev stack runs on.
package sample

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/entralifecycle/engine/internal/hr"
)

//go:embed hr.json
var hrJSON []byte

//go:embed policy.yaml
var policyYAML []byte

// Anchor is the day the sample's dates are written against: HR(today)
// moves every date by the days between Anchor and today.
var Anchor = hr.MustParseDate("2026-01-05")

// Notable employees of the sample, for tests and demos.
const (
	CEO             = "1000" // top of the manager chain
	FutureHire      = "1026" // starts 12 days after today
	Leaver          = "1034" // last day 9 days after today
	Mover           = "1075" // moves from ICT to Sales 31 days after today
	PartnerNameUser = "1040" // uses partner-own name usage
	Substitute      = "1021" // replaces Replaced from 20 days ago to 40 days ahead
	Replaced        = "1010"
)

// NameCollision lists the two employees called Jan de Vries.
var NameCollision = []string{"1020", "1030"}

type document struct {
	Anchor       string           `json:"anchor,omitempty"`
	Employees    []hr.Employee    `json:"employees"`
	Replacements []hr.Replacement `json:"replacements"`
}

// HR returns the sample HR file with every date shifted by the number of
// days from Anchor to today's calendar day (in today's location).
func HR(today time.Time) ([]byte, error) {
	var doc document
	if err := json.Unmarshal(hrJSON, &doc); err != nil {
		return nil, fmt.Errorf("sample: decode bundled hr.json: %w", err)
	}
	shift := Anchor.DaysUntil(hr.DateOf(today))
	move := func(d *hr.Date) {
		if d != nil && !d.IsZero() {
			*d = d.AddDays(shift)
		}
	}
	for i := range doc.Employees {
		for j := range doc.Employees[i].Contracts {
			c := &doc.Employees[i].Contracts[j]
			move(&c.Start)
			move(c.End)
		}
	}
	for i := range doc.Replacements {
		move(&doc.Replacements[i].Start)
		move(doc.Replacements[i].End)
	}
	doc.Anchor = ""
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sample: encode hr.json: %w", err)
	}
	return out, nil
}

// Policy returns the sample access policy (YAML).
func Policy() []byte { return slices.Clone(policyYAML) }

// AppRole is an application role the policy assigns.
type AppRole struct {
	App  string `yaml:"app" json:"app"`
	Role string `yaml:"role" json:"role"`
}

type policyDoc struct {
	Tenant struct {
		Domain string `yaml:"domain"`
	} `yaml:"tenant"`
	Rules []struct {
		Name     string              `yaml:"name"`
		When     map[string][]string `yaml:"when"`
		Groups   []string            `yaml:"groups"`
		Licenses []string            `yaml:"licenses"`
		AppRoles []AppRole           `yaml:"appRoles"`
	} `yaml:"rules"`
}

func parsePolicy() policyDoc {
	var p policyDoc
	if err := yaml.Unmarshal(policyYAML, &p); err != nil {
		// The file is embedded and covered by tests; a failure here is a
		// build defect, not a runtime condition.
		panic(fmt.Sprintf("sample: bundled policy.yaml does not parse: %v", err))
	}
	return p
}

// Domain is the tenant domain the sample policy uses.
func Domain() string { return parsePolicy().Tenant.Domain }

// Groups lists, sorted, every group the sample policy names, so a simulated
// tenant can be seeded with exactly these.
func Groups() []string {
	var out []string
	for _, r := range parsePolicy().Rules {
		out = append(out, r.Groups...)
	}
	return uniqueSorted(out)
}

// SKUs lists, sorted, every licence (skuPartNumber) the sample policy names.
func SKUs() []string {
	var out []string
	for _, r := range parsePolicy().Rules {
		out = append(out, r.Licenses...)
	}
	return uniqueSorted(out)
}

// Apps lists, sorted by app then role, every app role the policy names.
func Apps() []AppRole {
	seen := map[AppRole]bool{}
	var out []AppRole
	for _, r := range parsePolicy().Rules {
		for _, a := range r.AppRoles {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].App != out[j].App {
			return out[i].App < out[j].App
		}
		return out[i].Role < out[j].Role
	})
	return out
}

func uniqueSorted(in []string) []string {
	sort.Strings(in)
	return slices.Compact(in)
}
